"""Training's pages as their users meet them: the tourist books, the instructor signs off, operations
keep modules, plans and sessions; private calendar feeds, parsed back with ``icalendar``."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import (
    Attendance,
    BookingState,
    CalendarFeed,
    ModuleKind,
    PlaceState,
    Result,
    Role,
    SessionPlace,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)
from app.timeutil import now_utc
from app.training import places
from app.training import sessions as session_service
from app.training.sessions import SessionData
from tests.conftest import login, post_form
from tests.core.test_queries import count_queries


def client_of(app, user):
    client = app.test_client()
    login(client, user)
    return client


def body(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def trained(app, make):
    """A tourist with a confirmed booking on a flight whose vehicle has a published plan."""
    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle)
    db.session.commit()
    return booking, t


def test_the_tourist_books_a_session_from_the_training_page(app, trained):
    booking, t = trained
    client = client_of(app, booking.user)
    page = body(client.get("/training"))
    assert t.classroom.text("en") in page and "Not booked" in page and "Book" in page
    response = post_form(client, f"/training/sessions/{t.classroom_session.id}/book",
                         {"booking": booking.reference}, page="/training")
    assert response.status_code == 302
    place = db.session.scalar(select(SessionPlace).where(SessionPlace.user_id == booking.user_id))
    assert place.state is PlaceState.BOOKED
    page = body(client.get("/training"))
    assert "is booked" in page and "Cancel my place" in page
    assert "Booked:" in page and "Training centre, room 1" in page


def test_a_tourist_cannot_use_another_tourist_s_booking_or_place(app, make, trained):
    booking, t = trained
    place = places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    other = client_of(app, make.user())
    response = post_form(other, f"/training/sessions/{t.classroom_session.id}/book",
                         {"booking": booking.reference}, page="/training")
    assert response.status_code == 404
    assert post_form(other, f"/training/places/{place.id}/cancel", page="/training").status_code == 404
    assert booking.user.name not in body(other.get("/training"))
    db.session.refresh(place)
    assert place.state is PlaceState.BOOKED


def test_a_full_session_offers_its_waiting_list_on_the_page(app, make):
    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle, capacity=1)
    taker = make.booking(days=60, vehicle=booking.flight.vehicle)
    places.book_place(t.classroom_session.id, taker, taker.user)
    db.session.commit()
    client = client_of(app, booking.user)
    page = body(client.get("/training"))
    assert "Join the waiting list" in page
    response = post_form(client, f"/training/sessions/{t.classroom_session.id}/waitlist",
                         {"booking": booking.reference}, page="/training")
    assert response.status_code == 302
    page = body(client.get("/training"))
    assert "You are number 1 on the waiting list for this session" in page
    # The list already joined is not offered again (and the exam waits for the classroom).
    assert "Join the waiting list" not in page


def test_a_session_needing_a_module_not_yet_booked_says_so_instead_of_offering_a_place(app, trained):
    booking, t = trained
    client = client_of(app, booking.user)
    page = body(client.get("/training"))
    exam = page[page.index(f"module-{booking.id}-{t.exam.id}"):]
    assert f"Book {t.classroom.text('en')} first" in exam
    assert f"/training/sessions/{t.exam_session.id}/book" not in page
    places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    page = body(client.get("/training"))
    assert f"/training/sessions/{t.exam_session.id}/book" in page and "first" not in page


def test_an_offer_not_taken_in_time_shows_as_gone_to_the_next_in_line(app, make):
    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle, capacity=1)
    taker = make.booking(days=60, vehicle=booking.flight.vehicle)
    taken = places.book_place(t.classroom_session.id, taker, taker.user)
    offered = places.join_waitlist(t.classroom_session.id, booking, booking.user)
    places.cancel_place(taken, taker.user)
    db.session.refresh(offered)
    assert offered.state is PlaceState.OFFERED
    client = client_of(app, booking.user)
    db.session.commit()
    assert "Take the place" in body(client.get("/training"))
    offered.offer_expires_at = now_utc() - timedelta(minutes=1)  # before the task that lapses it has run
    db.session.commit()
    page = body(client.get("/training"))
    assert "Take the place" not in page and "was not taken in time" in page


def test_the_instructor_sees_only_their_sessions_and_a_medical_status_only(app, make, trained):
    booking, t = trained
    places.book_place(t.classroom_session.id, booking, booking.user)
    questionnaire = make.questionnaire()
    make.medical_case(booking.user, questionnaire, {"heart": "yes", "medicines": "Secret pills"})
    db.session.commit()
    mine = client_of(app, t.instructor)
    roster = body(mine.get("/instructor"))
    assert booking.user.name in roster and "Not cleared yet" in roster
    assert "Secret pills" not in roster and "heart" not in roster.lower()
    sheet = body(mine.get(f"/instructor/sessions/{t.classroom_session.id}"))
    assert booking.user.name in sheet and "Secret pills" not in sheet

    other = client_of(app, make.user(Role.INSTRUCTOR))
    assert booking.user.name not in body(other.get("/instructor"))
    assert other.get(f"/instructor/sessions/{t.classroom_session.id}").status_code == 404


def test_the_instructor_marks_present_and_passed_and_the_journey_moves(app, make, trained, monkeypatch):
    booking, t = trained
    place = places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    client = client_of(app, t.instructor)
    sheet = f"/instructor/sessions/{t.classroom_session.id}"
    data = {f"p{place.id}-attendance": "present", f"p{place.id}-result": "passed", f"p{place.id}-note": "Calm <b>"}
    # Before the session starts: refused, at its field, and nothing is saved.
    response = post_form(client, f"/instructor/places/{place.id}", data, page=sheet)
    assert response.status_code == 422 and "once the session has started" in body(response)
    db.session.refresh(place)
    assert place.attendance is None

    later = t.classroom_session.ends_at + timedelta(minutes=1)
    monkeypatch.setattr("app.training.signoff.now_utc", lambda: later)
    response = post_form(client, f"/instructor/places/{place.id}", data, page=sheet)
    assert response.status_code == 302
    db.session.refresh(place)
    assert (place.attendance, place.result, place.note) == (Attendance.PRESENT, Result.PASSED, "Calm <b>")
    assert "Calm &lt;b&gt;" in body(client.get(sheet))  # the note is escaped
    roster = body(client.get("/instructor?days=60"))
    row = roster[roster.index(f'<th scope="row">{booking.user.name}</th>'):]
    row = row[:row.index("</tr>")]
    assert "<td>Present</td>" in row and "<td>Passed</td>" in row, row  # the roster shows the sign-off

    other = client_of(app, make.user(Role.INSTRUCTOR))
    assert post_form(other, f"/instructor/places/{place.id}", data, page="/instructor").status_code == 404


def test_operations_write_a_module_in_six_languages_and_a_plan_that_names_what_is_missing(app, make):
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    client = client_of(app, ops)
    form = {"kind": "classroom", "duration_minutes": "90", "topics": ["smoke", "fire"], "default_language": "en",
            **{f"name_{code}": f"Fire ({code})" for code in ("en", "de", "es", "pt", "fr", "it")}}
    response = post_form(client, "/ops/training/modules/new", form, page="/ops/training/modules/new")
    assert response.status_code == 302
    module = db.session.scalar(select(TrainingModule).where(TrainingModule.texts["en"]["name"].as_string() == "Fire (en)"))
    assert module.text("it") == "Fire (it)" and module.topics == ["smoke", "fire"]

    refused = post_form(client, "/ops/training/modules/new", {**form, "duration_minutes": "0", "name_en": ""},
                        page="/ops/training/modules/new")
    assert refused.status_code == 422
    assert "A module lasts from 1 minute to 14 days." in body(refused)
    assert "Give the module a name in its default language." in body(refused)

    response = post_form(client, "/ops/training/plans", {"target": f"vehicle:{make.flight().vehicle}"},
                         page="/ops/training/plans")
    db.session.commit()
    plan = db.session.scalar(select(TrainingPlan).order_by(TrainingPlan.id.desc()).limit(1))
    post_form(client, f"/ops/training/plans/{plan.id}/items", {"module": module.id, "deadline_days": "3"},
              page=f"/ops/training/plans/{plan.id}")
    response = post_form(client, f"/ops/training/plans/{plan.id}/publish", page=f"/ops/training/plans/{plan.id}")
    page = body(client.get(response.headers["Location"]))
    assert "Loss of cabin pressure, Emergency exit" in page and "460.51" in page
    db.session.refresh(plan)
    assert plan.published_at is None


def test_operations_create_a_series_and_moving_a_session_tells_its_participants(app, make, trained):
    booking, t = trained
    places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    client = client_of(app, t.ops)
    start = (now_utc() + timedelta(days=20)).strftime("%Y-%m-%dT09:00")
    response = post_form(client, "/ops/training/sessions/new", {
        "module_id": t.exam.id, "starts_at": start, "timezone": "Europe/Lisbon", "place": "Room 4",
        "capacity": "5", "instructor_ids": [t.instructor.id], "repeat": "3", "every_days": "7",
    }, page="/ops/training/sessions/new")
    assert response.status_code == 302, re.findall(r'field-error">([^<]+)', body(response))
    series = db.session.scalars(select(TrainingSession).where(TrainingSession.place == "Room 4")).all()
    assert len(series) == 3 and len({s.series for s in series}) == 1

    session = t.classroom_session
    url = f"/ops/training/sessions/{session.id}"
    moved = (session.starts_at + timedelta(days=1)).astimezone(ZoneInfo(session.timezone))
    response = post_form(client, url, {
        "starts_at": moved.strftime("%Y-%m-%dT%H:%M"), "timezone": session.timezone, "place": session.place,
        "capacity": str(session.capacity), "instructor_ids": [t.instructor.id],
    }, page=url)
    assert response.status_code == 302, re.findall(r'(?:field-error|form-errors)[^>]*>([^<]+)', body(response))
    assert "every participant has been told" in body(client.get(url))
    db.session.refresh(session)
    assert session.sequence == 1

    # A move past the tourist's deadline (launch in 60 days, training by L-1) asks first.
    late = {"starts_at": (moved + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M"), "timezone": session.timezone,
            "place": session.place, "capacity": str(session.capacity), "instructor_ids": [t.instructor.id]}
    response = post_form(client, url, late, page=url)
    assert response.status_code == 422
    assert booking.user.name in body(response) and "Move it anyway" in body(response)
    db.session.refresh(session)
    assert session.sequence == 1
    response = post_form(client, url, {**late, "confirm_late": "y"}, page=url)
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.sequence == 2


# -- calendar feeds -----------------------------------------------------------------------------------

def _feed_url(client) -> str:
    post_form(client, "/account/calendar", page="/account")
    match = re.search(r'value="(http[^"]+/calendar/[^"]+\.ics)"', body(client.get("/account")))
    assert match, "the account page shows the feed's address"
    return match.group(1).split("127.0.0.1:5000", 1)[-1].replace("http://localhost", "")


def _events(client, url) -> dict[str, icalendar.Event]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}


def test_the_feed_keeps_its_uid_raises_its_sequence_and_marks_a_cancelled_session(app, make, trained):
    booking, t = trained
    places.book_place(t.classroom_session.id, booking, booking.user)
    places.book_place(t.exam_session.id, booking, booking.user)
    db.session.commit()
    client = client_of(app, booking.user)
    url = _feed_url(client)
    anonymous = app.test_client()
    before = _events(anonymous, url)
    assert len(before) == 2
    uid = next(u for u, e in before.items() if str(e["SUMMARY"]) == t.classroom.text("en"))
    first = before[uid]
    assert first.decoded("DTSTART") == t.classroom_session.starts_at
    assert str(first.decoded("DTSTART").tzinfo) == t.classroom_session.timezone  # in the place's zone
    assert int(first["SEQUENCE"]) == 0 and str(first["STATUS"]) == "CONFIRMED"

    session = t.classroom_session
    session_service.update_session(session, SessionData(
        module_id=None, starts_at=session.starts_at + timedelta(hours=2), timezone=session.timezone,
        place=session.place, capacity=session.capacity, instructor_ids=[t.instructor.id]), t.ops)
    db.session.commit()
    after = _events(anonymous, url)[uid]
    assert int(after["SEQUENCE"]) == 1
    assert after.decoded("DTSTART") == first.decoded("DTSTART") + timedelta(hours=2)

    exam_uid = next(u for u in before if u != uid)
    session_service.cancel_session(t.exam_session, "Examiner ill", t.ops)
    db.session.commit()
    cancelled = _events(anonymous, url)[exam_uid]
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) > int(before[exam_uid]["SEQUENCE"])


def test_a_place_given_up_and_taken_again_updates_the_tourist_s_calendar(app, make, trained):
    booking, t = trained
    place = places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    url = _feed_url(client_of(app, booking.user))
    anonymous = app.test_client()
    [(uid, first)] = _events(anonymous, url).items()
    places.cancel_place(place, booking.user)
    db.session.commit()
    given_up = _events(anonymous, url)[uid]
    assert str(given_up["STATUS"]) == "CANCELLED" and int(given_up["SEQUENCE"]) > int(first["SEQUENCE"])
    places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    again = _events(anonymous, url)[uid]
    assert str(again["STATUS"]) == "CONFIRMED" and int(again["SEQUENCE"]) > int(given_up["SEQUENCE"])


def test_a_wrong_or_revoked_feed_address_finds_nothing(app, make, trained):
    booking, t = trained
    client = client_of(app, booking.user)
    url = _feed_url(client)
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 200
    feed_id = url.rsplit("/", 1)[1].split("-")[0]
    for wrong in (f"/calendar/{feed_id}-{'0' * 40}.ics", "/calendar/x.ics", f"/calendar/{feed_id}.ics"):
        assert anonymous.get(wrong).status_code == 404, wrong
    new_url = _feed_url(client)  # a new address: the old one stops working
    assert anonymous.get(url).status_code == 404 and anonymous.get(new_url).status_code == 200
    post_form(client, "/account/calendar/revoke", page="/account")
    assert anonymous.get(new_url).status_code == 404
    assert db.session.scalar(select(db.func.count(CalendarFeed.id)).where(CalendarFeed.revoked_at.is_(None))) == 0


def test_the_instructor_s_feed_has_the_sessions_they_teach(app, make, trained):
    booking, t = trained
    client = client_of(app, t.instructor)
    events = _events(app.test_client(), _feed_url(client))
    assert {str(e["SUMMARY"]) for e in events.values()} == {t.classroom.text("en"), t.exam.text("en")}


# -- query counts ---------------------------------------------------------------------------------------

def _more_sessions(t, n):
    for i in range(n):
        session_service.create_sessions(SessionData(
            module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(hours=3 + i),
            timezone="UTC", place=f"Room {i}", capacity=3, instructor_ids=[t.instructor.id]))


def test_training_page_queries_do_not_grow(app, make, trained):
    booking, t = trained
    client = client_of(app, booking.user)
    _more_sessions(t, 1)
    db.session.commit()
    with count_queries() as small:
        assert client.get("/training").status_code == 200
    _more_sessions(t, 8)
    for _ in range(4):
        other = make.booking(days=60, vehicle=booking.flight.vehicle)
        places.book_place(t.classroom_session.id, other, other.user)
    db.session.commit()
    with count_queries() as large:
        assert client.get("/training").status_code == 200
    assert len(large) == len(small)


def test_roster_queries_do_not_grow(app, make, trained):
    booking, t = trained
    client = client_of(app, t.instructor)
    places.book_place(t.classroom_session.id, booking, booking.user)
    _more_sessions(t, 1)
    db.session.commit()
    with count_queries() as small:
        assert client.get("/instructor").status_code == 200
    _more_sessions(t, 18)
    others = [make.booking(days=60, vehicle=booking.flight.vehicle) for _ in range(5)]
    for other in others:
        places.book_place(t.classroom_session.id, other, other.user)
    db.session.commit()
    with count_queries() as large:
        page = client.get("/instructor").get_data(as_text=True)
    assert all(other.user.name in page for other in others), "the roster lists every participant"
    assert len(large) == len(small), "\n".join(large)


def test_ops_training_table_queries_do_not_grow(app, make, trained):
    booking, t = trained
    client = client_of(app, t.ops)
    url = f"/ops/training?flight={booking.flight_id}"
    with count_queries() as small:
        assert client.get(url).status_code == 200
    for _ in range(5):
        other = booking_service.hold_seat(booking.flight_id, make.user())
        booking_service.transition(other, BookingState.CONFIRMED)
        places.book_place(t.classroom_session.id, other, other.user)
    db.session.commit()
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
    assert ModuleKind.EXAM  # the table lists the exam too


def test_every_training_form_refuses_the_roles_it_is_not_for(app, make, trained):
    """The POST routes against the roles: staff cannot book a tourist's training, tourists and
    other staff cannot sign off or run operations' pages, nobody without sessions has a feed."""
    booking, t = trained
    place = places.book_place(t.classroom_session.id, booking, booking.user)
    db.session.commit()
    s, p = t.classroom_session.id, place.id
    routes = {
        f"/training/sessions/{s}/book": {Role.TOURIST}, f"/training/sessions/{s}/waitlist": {Role.TOURIST},
        f"/training/places/{p}/cancel": {Role.TOURIST}, f"/training/places/{p}/move": {Role.TOURIST},
        f"/instructor/places/{p}": {Role.INSTRUCTOR}, "/account/calendar": {Role.TOURIST, Role.INSTRUCTOR},
        "/account/calendar/revoke": {Role.TOURIST, Role.INSTRUCTOR},
        "/ops/training/modules/new": {Role.OPERATIONS}, f"/ops/training/modules/{t.classroom.id}/archive": {Role.OPERATIONS},
        "/ops/training/plans": {Role.OPERATIONS}, f"/ops/training/plans/{t.plan.id}/publish": {Role.OPERATIONS},
        "/ops/training/sessions/new": {Role.OPERATIONS}, f"/ops/training/sessions/{s}/cancel": {Role.OPERATIONS},
        f"/ops/training/modules/{t.classroom.id}": {Role.OPERATIONS}, f"/ops/training/plans/{t.plan.id}/items": {Role.OPERATIONS},
        f"/ops/training/plans/{t.plan.id}/items/{t.plan.items[0].id}/remove": {Role.OPERATIONS},
        f"/ops/training/sessions/{s}": {Role.OPERATIONS},
    }
    wrong = []
    for role in Role:
        client = client_of(app, make.user(role))
        db.session.commit()
        for url, allowed in routes.items():
            if role in allowed:
                continue
            status = post_form(client, url, {"booking": booking.reference}, page="/account").status_code
            if status not in (403, 404):
                wrong.append(f"{role.value} POST {url}: {status}")
    anonymous = app.test_client()
    for url in routes:
        status = post_form(anonymous, url, page="/login").status_code
        if status != 302:
            wrong.append(f"anonymous POST {url}: {status}")
    assert not wrong, "\n".join(wrong)
    db.session.refresh(place)
    assert place.state is PlaceState.BOOKED and place.attendance is None
    assert t.classroom.archived_at is None and not t.classroom_session.cancelled


def test_a_session_at_a_time_the_clocks_skip_is_refused(app, make, trained):
    booking, t = trained
    client = client_of(app, t.ops)
    response = post_form(client, "/ops/training/sessions/new", {
        "module_id": t.exam.id, "starts_at": "2027-03-14T02:30", "timezone": "America/Denver", "place": "Room 9",
        "capacity": "5", "instructor_ids": [t.instructor.id], "repeat": "1", "every_days": "7",
    }, page="/ops/training/sessions/new")
    assert response.status_code == 422 and "This time does not exist at the place" in body(response)
    for far in ("9999-12-31T23:00", "0001-01-01T00:30"):  # a date no zone arithmetic can reach
        response = post_form(client, "/ops/training/sessions/new", {
            "module_id": t.exam.id, "starts_at": far, "timezone": "America/Denver", "place": "Room 9",
            "capacity": "5", "instructor_ids": [t.instructor.id], "repeat": "1", "every_days": "7",
        }, page="/ops/training/sessions/new")
        assert response.status_code == 422 and "A session starts within the next 10 years." in body(response)
    assert db.session.scalar(select(db.func.count(TrainingSession.id)).where(TrainingSession.place == "Room 9")) == 0


def test_a_waiting_list_closed_at_the_cut_off_is_not_called_an_offer(app, make, monkeypatch):
    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle, capacity=1)
    taker = make.booking(days=60, vehicle=booking.flight.vehicle)
    places.book_place(t.classroom_session.id, taker, taker.user)
    places.join_waitlist(t.classroom_session.id, booking, booking.user)
    # A day before the session: its waiting list closes.
    places.expire_offers(now=t.classroom_session.starts_at - timedelta(hours=20))
    db.session.commit()
    page = body(client_of(app, booking.user).get("/training"))
    assert "closed a day before it starts, without a place for you" in page
    assert "was not taken in time" not in page


def test_a_sessions_time_is_each_readers_own_even_in_one_app_context(app, make, trained):
    """A session's time is worked out once per request (blueprints/training/rendering.py), never
    carried into another request: two readers in other time zones, one after the other, in one
    app context (as a test or a task may hold around several requests)."""
    from flask_login import login_user

    from blueprints.training.rendering import session_time

    _booking, t = trained
    session = t.classroom_session
    tokyo, local = make.user(timezone="Asia/Tokyo"), make.user(timezone=session.timezone)
    db.session.commit()
    shown = []
    with app.app_context():
        for reader in (tokyo, local):
            with app.test_request_context("/training"):
                login_user(reader)
                shown.append(str(session_time(session)))
    assert "your time" in shown[0] and "your time" not in shown[1]


def test_the_roster_s_medical_column_says_what_cleared_through_says(app, make):
    """The roster reads each participant's medical status as a column of its statement
    (``medical.launch_clearance_sql``): cleared exactly where ``medical.cleared_through`` (the
    Python rule it replaced) says so, on awkward cases: no case, cases in progress, clearances
    through the launch's day, ending the day before, without an end, restricted, refused, renewed,
    a launch late in the UTC day, and a place whose booking is gone (no launch: not cleared)."""
    from datetime import UTC, datetime, time

    from app.medical import cases as medical
    from app.models import CaseState as S
    from app.models import MedicalCase
    from app.training import signoff

    t = make.training(capacity=40)
    questionnaire = make.questionnaire()
    names = {}

    def place(name: str, *states, days: int = 60, late: bool = False):
        booking = make.booking(days=days, vehicle="Spaceplane SV-2")
        if late:
            launch = booking.flight.launch_at
            booking.flight.launch_at = datetime.combine(launch.astimezone(UTC).date(), time(23, 30), tzinfo=UTC)
        launch_day = booking.flight.launch_at.astimezone(UTC).date()
        for state, until in states:
            db.session.add(MedicalCase(user_id=booking.user_id, questionnaire_id=questionnaire.id, state=state,
                                       valid_until=None if until is None else launch_day + timedelta(days=until)))
            db.session.flush()
        names[places.book_place(t.classroom_session.id, booking, booking.user).id] = name
        return booking

    place("no case")
    place("answering", (S.ANSWERING, None))
    place("waiting for review", (S.SUBMITTED, None))
    place("information requested", (S.INFO_REQUESTED, None))
    place("cleared through the launch day", (S.CLEARED, 0))
    place("cleared, ends the day before", (S.CLEARED, -1))
    place("restricted, valid", (S.RESTRICTED, 10))
    place("restricted, ends before", (S.RESTRICTED, -5))
    place("cleared without an end", (S.CLEARED, None))
    place("not cleared", (S.NOT_CLEARED, None))
    place("renewing after a clearance", (S.CLEARED, 100), (S.ANSWERING, None))
    place("cleared after a refusal", (S.NOT_CLEARED, None), (S.CLEARED, 3))
    place("refused after a clearance", (S.CLEARED, 3), (S.NOT_CLEARED, None))
    place("a later launch, cleared", (S.CLEARED, 0), days=90)
    place("cleared through a late launch's day", (S.CLEARED, 0), late=True)
    gone = place("cleared, booking gone", (S.CLEARED, 100))
    db.session.flush()
    for p in db.session.scalars(select(SessionPlace).where(SessionPlace.booking_id == gone.id)):
        p.booking_id = None
    db.session.flush()

    rows = [r for s in signoff.roster_sessions(t.instructor, status=medical.launch_clearance_sql) for r in s.people]
    assert {names[r.id] for r in rows} == set(names.values())
    in_sql = {names[r.id]: r.medical == medical.OUTSIDE_CLEARED for r in rows}
    people = {r.id: (r.user_id, r.launch_at) for r in rows if r.launch_at is not None}
    in_python = {names[key]: cleared for key, cleared in medical.cleared_through(people).items()}
    assert in_sql == {name: in_python.get(name, False) for name in names.values()}
    assert {name for name, cleared in in_sql.items() if cleared} == {
        "cleared through the launch day", "restricted, valid", "cleared after a refusal", "a later launch, cleared",
        "cleared through a late launch's day"}
    # Without a status asked for, the rows are as before.
    assert all(r.medical is None for s in signoff.roster_sessions(t.instructor) for r in s.people)


def test_the_roster_says_whether_the_instructor_has_a_feed_as_has_feed_does(app, make):
    """The roster's sessions' statement answers whether the instructor has a live calendar feed
    (a statement of its own only without sessions): as ``calendar.has_feed`` says, without a feed,
    with one, with one revoked, with and without sessions."""
    from app.training import calendar, signoff

    busy = make.training().instructor
    idle = make.user(Role.INSTRUCTOR)
    seen = []
    for step in ("none", "live", "revoked"):
        if step == "live":
            calendar.new_feed(busy), calendar.new_feed(idle)
        elif step == "revoked":
            calendar.revoke(busy), calendar.revoke(idle)
        db.session.flush()
        for instructor in (busy, idle):
            sessions, has_feed = signoff.roster_page(instructor)
            assert has_feed is calendar.has_feed(instructor)
            assert bool(sessions) is (instructor is busy)
            seen.append(has_feed)
    assert seen == [False, False, True, True, False, False]


def test_the_tourist_page_reads_the_places_as_the_orm_loader_gives_them(app, make):
    """``progress.page_progress`` (places as columns) says of every module what ``progress_for``
    (ORM places) says: booked, waiting, and a waiting list closed at the cut-off."""
    from app.training import progress

    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle, capacity=1)
    taker = make.booking(days=60, vehicle=booking.flight.vehicle)
    places.book_place(t.classroom_session.id, taker, taker.user)
    places.join_waitlist(t.classroom_session.id, booking, booking.user)
    db.session.flush()

    def ids(place):
        return None if place is None else (place.id, place.session.id, place.session.place, place.state)

    def said(mine):
        return {b: ([ids(p) for p in p_.places],
                    [(m.module.id, m.state, m.deadline, ids(m.place), ids(m.passed), ids(m.last), ids(m.lapsed),
                      ids(m.closed), m.late, m.overdue, m.valid_until) for m in p_.modules])
                for b, p_ in mine.items()}

    for moment in (None, t.classroom_session.starts_at - timedelta(hours=20)):
        if moment is not None:
            places.expire_offers(now=moment)
            db.session.flush()
        now = now_utc()
        bookings, plans = progress.seats_with_plans(booking.user_id, now)
        more, more_plans = progress.seats_with_plans(taker.user_id, now)
        bookings, plans = bookings + more, {**plans, **more_plans}
        assert said(progress.page_progress(bookings, now, plans)) == said(progress.progress_for(bookings, now, plans))
        assert any(m.place or m.closed for p in progress.page_progress(bookings, now, plans).values()
                   for m in p.modules)
