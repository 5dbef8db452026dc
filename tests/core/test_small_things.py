"""Small things a customer notices: the favicon, dates medical staff read, machine-readable times."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Question, QuestionKind, Role
from tests.conftest import login


def test_every_page_links_a_favicon_that_exists_and_favicon_ico_answers(client, make):
    page = client.get("/flights").get_data(as_text=True)
    match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert match, "no favicon linked"
    icon = client.get(match.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).lstrip().startswith("<svg")
    # Browsers ask for /favicon.ico on their own: it leads to the same icon, not to a 404.
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith(match.group(1))


def test_medical_staff_read_a_date_answer_as_the_tourist_does(client, make):
    tourist = make.user()
    make.booking(tourist)
    questionnaire = make.questionnaire()
    questionnaire.questions.append(Question(position=3, key="exam", text="When was your last check-up?",
                                            kind=QuestionKind.DATE, required=False))
    db.session.flush()
    case = make.medical_case(tourist, questionnaire, {"heart": "no", "exam": "2026-06-01"})

    login(client, tourist)
    assert "June 1, 2026" in client.get("/medical").get_data(as_text=True)

    staff = client.application.test_client()
    login(staff, make.user(Role.MEDICAL))
    page = staff.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert '<time datetime="2026-06-01">June 1, 2026</time>' in page
    assert ">2026-06-01<" not in page


def test_times_on_pages_carry_no_microseconds(client, make):
    tourist = make.user()
    make.booking(tourist)  # its history has a moment with microseconds
    login(client, tourist)
    page = client.get("/journey").get_data(as_text=True)
    booking_page = client.get(re.search(r'href="(/bookings/CD-[^"]+)"', page).group(1)).get_data(as_text=True)
    stamps = re.findall(r'<time datetime="([^"]+)"', booking_page)
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps), stamps


def test_an_address_that_only_answers_a_form_says_so_in_the_page_style(client, make):
    from tests.conftest import login

    login(client, make.user())
    response = client.get("/logout")
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert "This address only answers a form." in page and "<nav" in page  # the app's own page


def test_switching_language_on_the_answer_to_a_form_returns_to_the_form_page(client, make):
    """A refused refund answers with the booking page and its language picker; the picker must
    lead back to that page, not to the refund's address, which only answers a form (a 405)."""
    from tests.conftest import post_form
    from tests.payments.test_money_and_status import paid_deposit

    booking = paid_deposit(make)
    from app.payments import payments

    payment_id = payments.ledgers([booking])[booking.id].payments[0].id
    db.session.commit()
    login(client, make.user(Role.OPERATIONS))
    page_url = f"/ops/bookings/{booking.reference}"
    response = post_form(client, f"/ops/payments/{payment_id}/refund", {"amount": "", "reason": ""},
                         page=page_url, headers={"Referer": "http://localhost" + page_url})
    assert response.status_code == 422
    assert f'name="next" value="{page_url}"' in response.get_data(as_text=True)


def test_medical_staff_land_on_their_queue(client, make):
    from tests.conftest import login

    response = login(client, make.user(Role.MEDICAL))
    assert client.get(response.headers["Location"]).headers["Location"] == "/medical/queue"


def test_the_journey_shows_times_without_seconds(client, make):
    """ "Signed version 1 on Dec 5, 2026, 6:30 PM", never "6:30:48 PM"; the same for a hold."""
    from tests.payments.test_money_and_status import paid_deposit

    booking = paid_deposit(make)
    make.booking(booking.user, confirmed=False)
    db.session.commit()
    login(client, booking.user)
    page = client.get("/journey").get_data(as_text=True)
    assert "Signed version" in page and "Your seat is held until" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b\d{1,2}:\d{2}:\d{2}\b", text), re.findall(r".{40}\d{1,2}:\d{2}:\d{2}.{10}", text)


def test_the_home_address_opens_each_roles_own_work(app, make):
    """``/`` after logging in: each role's first page, never a page that is not theirs."""
    expected = {Role.TOURIST: "/journey", Role.OPERATIONS: "/ops/flights", Role.MEDICAL: "/medical/queue",
                Role.LOGISTICS: "/logistics", Role.INSTRUCTOR: "/instructor"}
    for role, path in expected.items():
        client = app.test_client()
        login(client, make.user(role))
        assert client.get("/").headers["Location"].endswith(path), role
    assert app.test_client().get("/").headers["Location"].endswith("/flights")


def test_the_navigation_written_once_follows_the_role_the_page_and_the_language(app, make):
    """The main navigation is kept per role, page and language (app.web.nav_once): what one reader
    saw is never what another is shown."""
    tourist, medic = app.test_client(), app.test_client()
    login(tourist, make.user(Role.TOURIST))
    login(medic, make.user(Role.MEDICAL))
    journey = tourist.get("/journey").get_data(as_text=True)
    assert 'href="/journey" aria-current="page">My journey' in journey
    assert "Medical queue" not in journey
    queue = medic.get("/medical/queue").get_data(as_text=True)
    assert 'aria-current="page">Medical queue' in queue and "My journey" not in queue
    documents = tourist.get("/documents").get_data(as_text=True)
    assert 'href="/journey" >My journey' in documents  # not the current page here
    german = app.test_client()
    login(german, make.user(Role.TOURIST, language="de"))
    nav = german.get("/journey").get_data(as_text=True).split("<main")[0]
    assert 'aria-current="page">Meine Reise' in nav and "My journey" not in nav
