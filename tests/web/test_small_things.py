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
