"""Medical staff correct a decision, find any tourist with a booking, and a tourist tells the
medical team about a change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app import readiness
from app.extensions import db
from app.medical import cases as medical
from app.models import CaseEvent, CaseState, MedicalAccess, MessageStatus, Role
from app.timeutil import now_utc
from tests.conftest import login, outbox, post_form
from tests.core.test_queries import queries_for
from tests.medical.test_medical import cleared_case

S = CaseState


@pytest.fixture
def questionnaire(make):
    return make.questionnaire()


@pytest.fixture
def medic(make):
    return make.user(Role.MEDICAL, name="Dr. Ada Medic")


def events(case):
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def gate(booking):
    from flask import current_app

    with current_app.test_request_context("/"):
        return {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["medical"]


# -- correcting a decision -------------------------------------------------------------------------

def test_a_clearance_too_short_for_the_launch_is_extended_with_a_reason(client, make, questionnaire, medic):
    tourist = make.user(name="Tess Tourist")
    booking = make.booking(tourist, days=200)
    case = cleared_case(make, tourist, questionnaire, medic, valid_days=100)
    first_until = case.valid_until
    assert {r.status for r in outbox(rule="medical_clearance_expiring")} == {MessageStatus.QUEUED}
    db.session.commit()
    login(client, medic)
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "Correct the decision" in html and f'action="/medical/cases/{case.id}/correction"' in html

    # without a reason: refused, nothing changes, the refusal is logged
    response = post_form(client, f"/medical/cases/{case.id}/correction",
                         {"decision": "cleared", "valid_days": "300", "reason": ""})
    assert response.status_code == 422
    assert "Give the reason for the correction" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.valid_until == first_until and len(events(case)) == 3
    assert db.session.scalar(select(MedicalAccess.what).order_by(MedicalAccess.id.desc()).limit(1)) \
        == "decision correction: cleared (refused)"

    response = post_form(client, f"/medical/cases/{case.id}/correction",
                         {"decision": "cleared", "valid_days": "300", "reason": "Launch moved; the ECG holds."})
    assert response.status_code == 302
    db.session.expire_all()
    assert case.state is S.CLEARED and case.valid_until == now_utc().date() + timedelta(days=300)
    old, new = events(case)[-2:]
    assert (old.to_state, old.kind, old.valid_until) == (S.CLEARED, "transition", first_until)  # kept
    assert (new.from_state, new.to_state, new.kind, new.reason, new.actor_id, new.valid_until) == (
        S.CLEARED, S.CLEARED, "correction", "Launch moved; the ECG holds.", medic.id, case.valid_until)
    # the reason is encrypted at rest
    raw = db.session.execute(text("SELECT reason FROM medical_case_events WHERE id = :id"), {"id": new.id}).scalar()
    assert "Launch moved" not in raw
    assert db.session.scalar(select(MedicalAccess.what).where(MedicalAccess.case_id == case.id)
                             .order_by(MedicalAccess.id.desc()).limit(1)) == "decision corrected: cleared"
    # readiness and reminders follow: covered now, no "ends before launch" reminder
    assert gate(booking).status is readiness.GateStatus.DONE
    assert {r.status for r in outbox(rule="medical_clearance_expiring")} == {MessageStatus.DROPPED}
    html = client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "Decision corrected:" in html and "Reason for the correction: Launch moved; the ECG holds." in html


def test_a_correction_to_restrictions_or_a_request_tells_the_tourist(client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=60)
    case = cleared_case(make, tourist, questionnaire, medic)
    db.session.commit()
    login(client, medic)
    assert post_form(client, f"/medical/cases/{case.id}/correction",
                     {"decision": "restricted", "restrictions": "No more than 3 g.", "valid_days": "200",
                      "reason": "Centrifuge result re-read."}).status_code == 302
    db.session.expire_all()
    assert (case.state, case.restrictions) == (S.RESTRICTED, "No more than 3 g.")
    assert outbox(rule="medical_info_requested") == []
    assert post_form(client, f"/medical/cases/{case.id}/correction",
                     {"decision": "info_requested", "message": "Please send your latest ECG.",
                      "reason": "Cardiology asked for a fresh ECG."}).status_code == 302
    db.session.expire_all()
    assert case.state is S.INFO_REQUESTED and case.valid_until is None
    assert outbox(rule="medical_info_requested")  # told as a request is told
    assert gate(booking).status is readiness.GateStatus.ACTION
    assert [e.kind for e in events(case)][-2:] == ["correction", "correction"]
    # a case waiting for review is decided, not corrected
    waiting = make.medical_case(make.user(), questionnaire)
    db.session.commit()
    response = post_form(client, f"/medical/cases/{waiting.id}/correction",
                         {"decision": "not_cleared", "reason": "x"})
    assert response.status_code == 422 and "Only a decided case can be corrected" in response.get_data(as_text=True)


# -- the list of tourists --------------------------------------------------------------------------

def test_every_tourist_with_a_booking_is_listed_with_their_status(client, make, questionnaire, medic):
    nobody = make.user(name="Nora Nocase", email="nora@example.com")
    make.booking(nobody, days=30)
    cleared = make.user(name="Carl Cleared")
    make.booking(cleared, days=40)
    cleared_case(make, cleared, questionnaire, medic)
    short = make.user(name="Sam Short")
    make.booking(short, days=300)
    cleared_case(make, short, questionnaire, medic, valid_days=100)
    waiting = make.user(name="Wendy Waiting")
    make.booking(waiting, days=50)
    waiting_case = make.medical_case(waiting, questionnaire)
    make.medical_case(make.user(name="Bob Nobooking"), questionnaire)
    db.session.commit()
    login(client, medic)
    html = client.get("/medical/queue").get_data(as_text=True)
    assert 'href="/medical/tourists"' in html
    html = client.get("/medical/tourists").get_data(as_text=True)
    assert "4 tourists" in html and "Bob Nobooking" not in html
    assert html.index("Nora Nocase") < html.index("Carl Cleared") < html.index("Wendy Waiting") < html.index("Sam Short")
    assert "No questionnaire yet" in html and "nora@example.com" in html
    assert "Cleared through" in html and "before launch" in html and "Waiting for review" in html
    # The name opens the case, when there is one.
    assert f'<a href="/medical/cases/{waiting_case.id}">Wendy Waiting</a>' in html
    assert '<th scope="row">Nora Nocase</th>' in html

    html = client.get("/medical/tourists?q=NORA").get_data(as_text=True)
    assert "Nora Nocase" in html and "Carl Cleared" not in html and "1 tourist" in html
    html = client.get("/medical/tourists?status=expires_before_launch").get_data(as_text=True)
    assert "Sam Short" in html and "Carl Cleared" not in html
    fragment = client.get("/medical/tourists?q=wendy", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Wendy Waiting" in fragment and "<html" not in fragment and "Nora" not in fragment
    assert db.session.scalar(select(MedicalAccess.what).where(MedicalAccess.actor_id == medic.id)
                             .order_by(MedicalAccess.id.desc()).limit(1)) == "tourists list (search), page 1"

    # bad input: a clear answer, never a 500
    response = client.get("/medical/tourists?q=a%00b")
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)
    response = client.get("/medical/tourists?q=zzz&page=99999999999999999999999")
    assert response.status_code == 200 and "No tourist matches this search." in response.get_data(as_text=True)
    response = client.get("/medical/tourists?q=" + "x" * 5000 + "&status=nonsense&page=-3")
    assert response.status_code == 400
    assert "Search with at most 200 characters" in response.get_data(as_text=True)
    response = client.get("/medical/tourists?page=500")
    assert response.status_code == 200 and "Carl Cleared" in response.get_data(as_text=True)


def test_the_whole_list_walked_by_launch_matches_every_tourist_ranked(app, make, questionnaire, medic):
    """The unfiltered list walks the flights in launch order; it must list exactly what ranking
    every tourist by their soonest launch lists (the statement searches and filters use), page by
    page, ties and all."""
    from app.booking import bookings as booking_service
    from app.models import BookingState, FlightStatus

    now = now_utc()
    soon, same, later, flown = (make.flight(launch_at=now + timedelta(days=d)) for d in (20, 20, 60, 5))

    def seat(tourist, flight, state=BookingState.CONFIRMED):
        booking = booking_service.hold_seat(flight.id, tourist)
        if state is BookingState.CONFIRMED:
            booking_service.transition(booking, state)
        return booking

    twins = [make.user(name="Tia Twin") for _ in range(2)]      # the same name on the same flight
    for twin in twins:
        seat(twin, soon)
    both = make.user(name="Bea Both")                               # two flights at the same moment
    seat(both, same)
    seat(both, soon)
    late_first = make.user(name="Lou Later")                        # booked the later flight first
    seat(late_first, later)
    seat(late_first, soon)
    lapsed = make.user(name="Hal Held")                             # the soonest hold has run out
    seat(lapsed, later)
    seat(lapsed, soon, BookingState.HELD).hold_expires_at = now - timedelta(minutes=1)
    gone = make.user(name="Fay Flown")                              # the soonest flight has flown
    seat(gone, flown)
    seat(gone, later)
    flown.status = FlightStatus.FLOWN
    renewed = make.user(name="Rex Renewed")
    seat(renewed, later)
    cleared_case(make, renewed, questionnaire, medic, valid_days=10)
    make.medical_case(renewed, questionnaire)
    cleared_case(make, both, questionnaire, medic, valid_days=30)
    make.medical_case(late_first, questionnaire, submit=False)
    for i in range(4):
        make.booking(make.user(name=f"Ann {i}"), days=40 + i % 2)
    db.session.flush()

    def listed(statement, per_page, page):
        rows = db.session.execute(statement, {"now": now, "limit": per_page, "offset": (page - 1) * per_page})
        return [(r.user_id, r.first_launch, r.medical_status, r.case_id, r.state) for r in rows if r.user_id]

    ranked, _count = medical._tourists_statements(0, False)
    walked = medical._tourists_by_launch_statement()
    everyone = listed(ranked, 100, 1)
    assert len(everyone) == 11 and listed(walked, 100, 1) == everyone
    for per_page in (1, 2, 3, 5):
        for page in range(1, 12 // per_page + 2):
            assert listed(walked, per_page, page) == listed(ranked, per_page, page), (per_page, page)
    with app.test_request_context("/"):
        assert medical.tourists(per_page=4, page=3).total == 11
        last = medical.tourists(per_page=4, page=9)  # past the end: the last page
        assert (last.page, [r.name for r in last.rows]) == (3, [r.name for r in medical.tourists(per_page=4, page=3).rows])


def test_only_medical_staff_see_the_list(app, make):
    for role in (Role.TOURIST, Role.OPERATIONS, Role.LOGISTICS, Role.INSTRUCTOR):
        c = app.test_client()
        login(c, make.user(role))
        assert c.get("/medical/tourists").status_code == 403


def test_the_list_queries_are_the_same_at_two_sizes(client, make, questionnaire, medic):
    def add(n):
        for i in range(n):
            tourist = make.user()
            make.booking(tourist, days=30 + i)
            if i % 3 == 0:
                cleared_case(make, tourist, questionnaire, medic, valid_days=10)
            elif i % 3 == 1:
                make.medical_case(tourist, questionnaire)
        db.session.commit()

    add(3)
    login(client, medic)
    paths = ("/medical/tourists", "/medical/tourists?status=cleared&q=example", "/medical/tourists?page=9")
    small = {path: queries_for(client, path) for path in paths}
    add(60)
    large = {path: queries_for(client, path) for path in paths}
    assert small == large
    assert "Page 1 of 2" in client.get("/medical/tourists").get_data(as_text=True)


# -- the tourist tells the medical team about a change ---------------------------------------------

def test_a_tourist_reports_a_change_and_the_case_goes_back_to_review(client, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=60)
    case = cleared_case(make, tourist, questionnaire, medic)
    db.session.commit()
    login(client, tourist)
    html = client.get("/medical").get_data(as_text=True)
    assert "Tell the medical team about a change" in html and 'action="/medical/change"' in html

    response = post_form(client, "/medical/change", {"details": "  "})
    assert response.status_code == 422
    db.session.expire_all()
    assert case.state is S.CLEARED

    response = post_form(client, "/medical/change", {"details": "I broke my wrist on 3 March."}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The medical team will review what has changed" in html and "Your change is being reviewed." in html
    db.session.expire_all()
    assert case.state is S.SUBMITTED
    report = events(case)[-1]
    assert (report.kind, report.from_state, report.note, report.actor_id) == (
        "change_report", S.CLEARED, "I broke my wrist on 3 March.", tourist.id)
    raw = db.session.execute(text("SELECT note FROM medical_case_events WHERE id = :id"), {"id": report.id}).scalar()
    assert "wrist" not in raw
    g = gate(booking)
    assert g.status is readiness.GateStatus.WAITING and "change you reported" in g.reason
    assert [r.case_id for r in medical.queue(medical.QueueGroup.REVIEW).rows] == [case.id]
    assert "change reported" in db.session.scalars(select(MedicalAccess.what).where(
        MedicalAccess.actor_id == tourist.id, MedicalAccess.case_id == case.id)).all()

    # the medic sees the report in the history, and the list says so
    medic_client = client.application.test_client()
    login(medic_client, medic)
    html = medic_client.get(f"/medical/cases/{case.id}").get_data(as_text=True)
    assert "The tourist reported a change:" in html and "I broke my wrist" in html
    html = medic_client.get("/medical/tourists").get_data(as_text=True)
    assert "Waiting for review (a change reported)" in html


def test_a_decision_shows_every_problem_at_once(client, make, questionnaire, medic):
    """Clearing with restrictions, without an assessment, without restrictions and for 9,999 days:
    three refusals in one answer, each where it belongs; nothing changes."""
    from tests.fielderrors import field_error

    tourist = make.user()
    make.booking(tourist, days=200)
    case = make.medical_case(tourist, questionnaire)
    db.session.commit()
    login(client, medic)
    response = post_form(client, f"/medical/cases/{case.id}/decision",
                         {"decision": "restricted", "restrictions": "", "valid_days": "9999"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Record an assessment before clearing." in page
    assert field_error(page, "restrictions-restricted") == "State the restrictions the tourist flies with."
    assert field_error(page, "valid_days-restricted").startswith("A clearance holds between 1 and")
    db.session.expire_all()
    assert case.state is S.SUBMITTED and len(events(case)) == 2


def test_a_correction_shows_every_problem_at_once(client, make, questionnaire, medic):
    tourist = make.user()
    make.booking(tourist, days=200)
    case = cleared_case(make, tourist, questionnaire, medic, valid_days=100)
    db.session.commit()
    login(client, medic)
    from tests.fielderrors import field_error

    response = post_form(client, f"/medical/cases/{case.id}/correction",
                         {"decision": "restricted", "restrictions": "", "valid_days": "abc", "reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "correct-valid_days-restricted") != ""
    assert field_error(page, "correct-restrictions-restricted") == "State the restrictions the tourist flies with."
    assert field_error(page, "correct-reason-restricted") == "Give the reason for the correction, for the medical record."
    db.session.expire_all()
    assert case.state is S.CLEARED
