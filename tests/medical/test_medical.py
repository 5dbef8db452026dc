"""Medical review: the case state machine, assessments (plausible ranges, flags against vehicle
limits), decisions, how long a clearance holds, the self-certification before launch, the
readiness gate and the reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import pytz
import time_machine
from sqlalchemy import select

from app import readiness
from app.booking import bookings as booking_service
from app.booking import flights
from app.errors import ServiceError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import cases as medical
from app.medical import questionnaires
from app.medical.access import CaseTransitionNotAllowed
from app.medical.cases import Clearance, QueueGroup
from app.messaging import delivery
from app.messaging import outbox as message_outbox
from app.messaging import preferences, reminders
from app.models import (
    Assessment,
    BookingState,
    CaseEvent,
    CaseState,
    Channel,
    FlightStatus,
    MedicalCase,
    MessageStatus,
    Role,
    SelfCertification,
    VehicleLimits,
)
from app.readiness import GateStatus
from app.timeutil import UTC, now_utc
from tests.conftest import outbox

S = CaseState
NOW = datetime(2027, 1, 14, 12, 0, tzinfo=pytz.UTC)
GOOD = {
    "systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "64", "height_cm": "180",
    "weight_kg": "81", "ecg_result": "normal", "centrifuge_g": "6", "other_tests": "Spirometry normal.",
    "notes": "Fit; mild seasonal asthma, controlled.",
}


@pytest.fixture
def ctx(app, db_session):
    # Midday UTC, outside everyone's quiet hours.
    with time_machine.travel(NOW, tick=True):
        with app.test_request_context("/"):
            yield


@pytest.fixture
def questionnaire(ctx, make):
    return make.questionnaire()


@pytest.fixture
def medic(make):
    return make.user(Role.MEDICAL, name="Dr. Ada Medic")


# -- helpers, also used by the web tests -----------------------------------------------------------

def cleared_case(make, tourist, questionnaire, medic, *, valid_days=None, decision=S.CLEARED,
                 **data) -> MedicalCase:
    """A case submitted, assessed (``GOOD``, with ``data`` changed) and cleared, or cleared with
    restrictions."""
    return make.medical_case(tourist, questionnaire, medic=medic, assessment={**GOOD, **data},
                             decision=decision, valid_days=valid_days,
                             restrictions="No flights above 4 g." if decision is S.RESTRICTED else "")


def in_state(tourist, questionnaire, state: CaseState | None) -> MedicalCase:
    """A case put straight into ``state`` (for the state machine's table); for ``None``, a new
    case before its first move (added to the session, not flushed)."""
    if state is None:
        case = MedicalCase(user_id=tourist.id, questionnaire_id=questionnaire.id)
        db.session.add(case)
        return case
    case = MedicalCase(user_id=tourist.id, questionnaire_id=questionnaire.id, state=state,
                       valid_until=date(2027, 12, 31) if state.cleared else None)
    db.session.add(case)
    db.session.flush()
    return case


def gate_of(booking):
    return {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["medical"]


# -- the state machine -----------------------------------------------------------------------------

ALLOWED = sorted(medical_access.TRANSITIONS, key=lambda t: (t[0].value if t[0] else "", t[1].value))
REFUSED = [
    (None, S.SUBMITTED), (None, S.CLEARED),
    (S.ANSWERING, S.CLEARED), (S.ANSWERING, S.RESTRICTED), (S.ANSWERING, S.INFO_REQUESTED),
    (S.ANSWERING, S.NOT_CLEARED),
    (S.SUBMITTED, S.ANSWERING), (S.SUBMITTED, S.SUBMITTED),
    (S.INFO_REQUESTED, S.CLEARED), (S.INFO_REQUESTED, S.NOT_CLEARED), (S.INFO_REQUESTED, S.ANSWERING),
    (S.CLEARED, S.RESTRICTED), (S.CLEARED, S.INFO_REQUESTED), (S.CLEARED, S.CLEARED),
    (S.RESTRICTED, S.CLEARED),
    (S.NOT_CLEARED, S.CLEARED), (S.NOT_CLEARED, S.SUBMITTED), (S.NOT_CLEARED, S.ANSWERING),
]


@pytest.mark.parametrize(("from_state", "to_state"), ALLOWED, ids=lambda s: s.value if s else "new")
def test_every_allowed_move_writes_one_event(ctx, make, questionnaire, medic, from_state, to_state):
    case = in_state(make.user(), questionnaire, from_state)
    medical_access.transition(case, to_state, actor=medic, note="why")
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert case.state is to_state
    assert (event.from_state, event.to_state, event.actor_id, event.note) == (from_state, to_state, medic.id, "why")


@pytest.mark.parametrize(("from_state", "to_state"), REFUSED, ids=lambda s: s.value if s else "new")
def test_a_refused_move_changes_nothing(ctx, make, questionnaire, medic, from_state, to_state):
    assert (from_state, to_state) not in medical_access.TRANSITIONS
    case = in_state(make.user(), questionnaire, from_state)
    with pytest.raises(CaseTransitionNotAllowed):
        medical_access.transition(case, to_state, actor=medic)
    assert case.state is from_state
    if case.id is not None:
        assert db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all() == []


# -- assessments -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("systolic_mmhg", "69"), ("systolic_mmhg", "251"), ("diastolic_mmhg", "39"), ("diastolic_mmhg", "151"),
    ("heart_rate_bpm", "29"), ("heart_rate_bpm", "221"), ("heart_rate_bpm", "72.5"),
    ("height_cm", "99.9"), ("height_cm", "251"), ("weight_kg", "29"), ("weight_kg", "250.1"),
    ("centrifuge_g", "-1"), ("centrifuge_g", "15.5"), ("systolic_mmhg", ""), ("weight_kg", "heavy"),
    ("height_cm", "nan"), ("ecg_result", ""), ("ecg_result", "fine"),
])
def test_implausible_values_are_refused_at_their_field_and_nothing_is_stored(ctx, make, questionnaire, medic, field, value):
    case = make.medical_case(make.user(), questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.record_assessment(case, medic, {**GOOD, field: value})
    assert refused.value.field == field
    assert db.session.scalars(select(Assessment)).all() == []


def test_range_messages_name_the_range_and_unit(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.record_assessment(case, medic, {**GOOD, "systolic_mmhg": "300"})
    assert refused.value.message == "Enter a systolic pressure between 70 and 250 mmHg."


def test_the_diastolic_pressure_must_be_below_the_systolic(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.record_assessment(case, medic, {**GOOD, "systolic_mmhg": "100", "diastolic_mmhg": "100"})
    assert refused.value.field == "diastolic_mmhg"


def test_an_assessment_is_stored_with_its_bmi_and_without_flags_inside_the_limits(ctx, make, questionnaire, medic):
    tourist = make.user()
    make.booking(tourist)
    db.session.add(VehicleLimits(vehicle="Spaceplane SV-2", min_age=18, min_height_cm=152, max_height_cm=193,
                                 min_weight_kg=50, max_weight_kg=101))
    case = make.medical_case(tourist, questionnaire)
    a = medical.record_assessment(case, medic, {**GOOD, "centrifuge_g": ""})
    assert (a.systolic_mmhg, a.diastolic_mmhg, a.heart_rate_bpm) == (120, 80, 64)
    assert a.height_cm == Decimal("180.0") and a.weight_kg == Decimal("81.0") and a.centrifuge_g is None
    assert a.bmi == 25.0 and a.flags == [] and a.notes == GOOD["notes"]


def test_values_outside_the_vehicles_limits_are_flagged(ctx, make, questionnaire, medic):
    # Turns 18 a month after the launch of the booked flight.
    launch = now_utc() + timedelta(days=200)
    birth = (launch + timedelta(days=30)).date().replace(year=launch.year - 18)
    tourist = make.user(date_of_birth=birth)
    make.booking(tourist, vehicle="Spaceplane SV-2")
    make.booking(tourist, vehicle="Capsule C-1", days=300)
    cancelled = make.booking(tourist, vehicle="Balloon B-9", days=250)
    booking_service.transition(cancelled, BookingState.CANCELLED)
    db.session.add_all([
        VehicleLimits(vehicle="Spaceplane SV-2", min_age=18, min_height_cm=152, max_height_cm=193,
                      min_weight_kg=50, max_weight_kg=101),
        VehicleLimits(vehicle="Capsule C-1", min_age=18, max_weight_kg=Decimal("110.5")),
        VehicleLimits(vehicle="Balloon B-9", min_age=21, max_height_cm=150),  # booking cancelled: not asked
    ])
    case = make.medical_case(tourist, questionnaire)
    a = medical.record_assessment(case, medic, {**GOOD, "height_cm": "195.5", "weight_kg": "112"})
    assert a.flags == [
        "age_below_min:Spaceplane SV-2:18", "height_above_max:Spaceplane SV-2:193",
        "weight_above_max:Spaceplane SV-2:101", "weight_above_max:Capsule C-1:110.5",
    ]
    assert [medical.describe_flag(f) for f in a.flags][1] == \
        "Taller than 193 cm, the maximum height for Spaceplane SV-2."
    assert medical.describe_flag(a.flags[0]).startswith("Younger than 18 on the launch date")


def test_a_light_tourist_is_flagged_below_the_minimum(ctx, make, questionnaire, medic):
    tourist = make.user()
    make.booking(tourist)
    db.session.add(VehicleLimits(vehicle="Spaceplane SV-2", min_age=18, min_weight_kg=50))
    case = make.medical_case(tourist, questionnaire)
    assert medical.record_assessment(case, medic, {**GOOD, "weight_kg": "48.2"}).flags == \
        ["weight_below_min:Spaceplane SV-2:50"]


@pytest.mark.parametrize("state", [S.ANSWERING, S.INFO_REQUESTED, S.NOT_CLEARED])
def test_no_assessment_before_submission_or_after_a_refusal(ctx, make, questionnaire, medic, state):
    case = in_state(make.user(), questionnaire, state)
    with pytest.raises(ServiceError):
        medical.record_assessment(case, medic, GOOD)


def test_a_cleared_case_can_be_assessed_again(ctx, make, questionnaire, medic):
    case = cleared_case(make, make.user(), questionnaire, medic)
    medical.record_assessment(case, medic, {**GOOD, "heart_rate_bpm": "90"})
    assert [a.heart_rate_bpm for a in medical.assessments_of(case)] == [90, 64]


def test_only_medical_staff_assess_and_decide(ctx, make, questionnaire):
    case = make.medical_case(make.user(), questionnaire)
    ops = make.user(Role.OPERATIONS)
    with pytest.raises(ServiceError):
        medical.record_assessment(case, ops, GOOD)
    with pytest.raises(ServiceError):
        medical.decide(case, ops, S.NOT_CLEARED, reason="no")


# -- decisions -------------------------------------------------------------------------------------

def test_clearing_needs_an_assessment_and_holds_for_the_configured_days(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.decide(case, medic, S.CLEARED)
    assert refused.value.field == "decision" and case.state is S.SUBMITTED
    medical.record_assessment(case, medic, GOOD)
    medical.decide(case, medic, S.CLEARED)
    assert case.state is S.CLEARED and case.valid_until == NOW.date() + timedelta(days=365)
    assert case.decided_by_id == medic.id and case.decided_at is not None
    assert case.events[-1].to_state is S.CLEARED and case.events[-1].actor_id == medic.id


def test_the_validity_follows_the_configuration_and_may_be_shorter(ctx, app, make, questionnaire, medic, monkeypatch):
    monkeypatch.setitem(app.config, "CLEARANCE_VALID_DAYS", 180)
    case = cleared_case(make, make.user(), questionnaire, medic)
    assert case.valid_until == NOW.date() + timedelta(days=180)
    other = make.medical_case(make.user(), questionnaire)
    medical.record_assessment(other, medic, GOOD)
    with pytest.raises(ServiceError) as refused:
        medical.decide(other, medic, S.CLEARED, valid_days=181)
    assert refused.value.field == "valid_days"
    medical.decide(other, medic, S.CLEARED, valid_days=30)
    assert other.valid_until == NOW.date() + timedelta(days=30)


def test_restrictions_must_be_stated(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire)
    medical.record_assessment(case, medic, GOOD)
    with pytest.raises(ServiceError) as refused:
        medical.decide(case, medic, S.RESTRICTED, restrictions="  ")
    assert refused.value.field == "restrictions"
    medical.decide(case, medic, S.RESTRICTED, restrictions="Seat with extra lumbar support.")
    assert case.state is S.RESTRICTED and case.restrictions == "Seat with extra lumbar support."


def test_asking_for_information_needs_a_message_and_tells_the_tourist_without_details(ctx, make, questionnaire, medic):
    tourist = make.user(phone="+447700900123")
    preferences.save_preferences(tourist, channels={"medical": {Channel.EMAIL, Channel.SMS, Channel.IN_APP}},
                                 quiet_enabled=False, quiet_starts=None, quiet_ends=None)
    case = make.medical_case(tourist, questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.decide(case, medic, S.INFO_REQUESTED)
    assert refused.value.field == "message"
    medical.decide(case, medic, S.INFO_REQUESTED, message="Please upload your cardiologist's letter about the arrhythmia.")
    assert case.state is S.INFO_REQUESTED and case.info_request.startswith("Please upload")
    sent = outbox(rule="medical_info_requested")
    assert {r.channel for r in sent} == {Channel.EMAIL, Channel.SMS, Channel.IN_APP}
    assert {r.subject_type for r in sent} == {"medical_case"} and {r.category for r in sent} == {"medical"}
    assert {delivery.deliver(r.id) for r in sent} == {MessageStatus.SENT}
    for r in outbox(rule="medical_info_requested"):
        assert "arrhythmia" not in (r.body + (r.subject or "")) and "medical page" in r.body
    [sms] = outbox(rule="medical_info_requested", channel=Channel.SMS)
    assert sms.body.startswith("Countdown:")

    questionnaires.answer_info_request(case, tourist, "Attached, and the arrhythmia is gone.")
    assert case.state is S.SUBMITTED


def test_a_second_request_is_a_second_message(ctx, make, questionnaire, medic):
    tourist = make.user()
    case = make.medical_case(tourist, questionnaire)
    medical.decide(case, medic, S.INFO_REQUESTED, message="First question.")
    questionnaires.answer_info_request(case, tourist, "First answer.")
    medical.decide(case, medic, S.INFO_REQUESTED, message="Second question.")
    assert len(outbox(rule="medical_info_requested")) == 4  # email and in-app, twice


def test_an_unanswered_request_is_dropped_when_the_tourist_answers_first(ctx, make, questionnaire, medic):
    tourist = make.user()
    case = make.medical_case(tourist, questionnaire)
    medical.decide(case, medic, S.INFO_REQUESTED, message="A question.")
    questionnaires.answer_info_request(case, tourist, "An answer.")
    medical.sync_reminders(case)
    assert {r.status for r in outbox(rule="medical_info_requested")} == {MessageStatus.DROPPED}


def test_not_clearing_needs_a_reason_kept_in_the_record(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire)
    with pytest.raises(ServiceError) as refused:
        medical.decide(case, medic, S.NOT_CLEARED)
    assert refused.value.field == "reason"
    medical.decide(case, medic, S.NOT_CLEARED, reason="Uncontrolled hypertension.")
    assert case.state is S.NOT_CLEARED and case.valid_until is None
    assert case.events[-1].note == "Uncontrolled hypertension."


def test_a_clearance_can_be_withdrawn_but_not_given_twice(ctx, make, questionnaire, medic):
    case = cleared_case(make, make.user(), questionnaire, medic)
    with pytest.raises(CaseTransitionNotAllowed):
        medical.decide(case, medic, S.CLEARED)
    with pytest.raises(CaseTransitionNotAllowed):
        medical.decide(case, medic, S.INFO_REQUESTED, message="?")
    medical.decide(case, medic, S.NOT_CLEARED, reason="New finding.")
    assert case.state is S.NOT_CLEARED and case.valid_until is None


def test_no_decision_on_a_questionnaire_still_being_answered(ctx, make, questionnaire, medic):
    case = make.medical_case(make.user(), questionnaire, submit=False)
    with pytest.raises(CaseTransitionNotAllowed):
        medical.decide(case, medic, S.NOT_CLEARED, reason="no")
    with pytest.raises(ServiceError):
        medical.decide(case, medic, "maybe")


# -- validity --------------------------------------------------------------------------------------

def test_a_clearance_must_hold_on_the_launch_date(ctx, make, questionnaire, medic):
    tourist = make.user()
    soon = make.booking(tourist, days=30)
    later = make.booking(tourist, days=60)
    days_to_soon = (medical.launch_date(soon.flight) - NOW.date()).days
    cleared_case(make, tourist, questionnaire, medic, valid_days=days_to_soon)  # ends on the launch day
    statuses = medical.clearance_statuses([soon, later])
    assert statuses[soon.id].status is Clearance.CLEARED
    assert statuses[later.id].status is Clearance.EXPIRES_BEFORE_LAUNCH
    assert statuses[later.id].label.startswith("Clearance ends")
    assert gate_of(soon).status is GateStatus.DONE
    expiring = gate_of(later)
    assert expiring.status is GateStatus.ACTION and "before the launch" in expiring.reason
    assert expiring.url == medical.tourist_page_url()


def test_a_users_clearance_expires(ctx, make, questionnaire, medic):
    tourist = make.user()
    cleared_case(make, tourist, questionnaire, medic, valid_days=10)
    assert medical.user_statuses([tourist])[tourist.id].status is Clearance.CLEARED
    assert medical.user_statuses([tourist], today=NOW.date() + timedelta(days=11))[tourist.id].status is Clearance.EXPIRED
    nobody = make.user()
    assert medical.user_statuses([nobody])[nobody.id].label == "Not started"


# -- self-certification ----------------------------------------------------------------------------

def test_self_certification_opens_a_set_number_of_days_before_launch(ctx, app, make, questionnaire, medic, monkeypatch):
    tourist = make.user()
    booking = make.booking(tourist, days=20)
    cleared_case(make, tourist, questionnaire, medic)
    opens = booking.flight.launch_at - timedelta(days=14)
    assert medical.self_certification_opens(booking) == opens
    assert not medical.self_certification_due(booking)
    assert medical.self_certification_due(booking, now=opens)
    assert not medical.self_certification_due(booking, now=booking.flight.launch_at)
    monkeypatch.setitem(app.config, "SELF_CERTIFICATION_DAYS", 21)
    assert medical.self_certification_due(booking)
    monkeypatch.setitem(app.config, "SELF_CERTIFICATION_DAYS", 14)
    with pytest.raises(ServiceError):
        medical.self_certify(booking, tourist, False)  # not yet


def test_nothing_changed_is_recorded_once_and_passes_the_gate(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=10)
    cleared_case(make, tourist, questionnaire, medic)
    gate = gate_of(booking)
    assert gate.status is GateStatus.ACTION and gate.url.endswith(f"/medical/self-certification/{booking.reference}")
    with pytest.raises(ServiceError):
        medical.self_certify(booking, make.user(), False)  # not theirs
    row = medical.self_certify(booking, tourist, False, "ignored")
    assert (row.changed, row.details) == (False, "")
    assert gate_of(booking).status is GateStatus.DONE
    assert not medical.self_certification_due(booking)
    with pytest.raises(ServiceError):
        medical.self_certify(booking, tourist, False)


def test_a_change_needs_details_and_sends_the_case_back_to_review(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=10)
    case = cleared_case(make, tourist, questionnaire, medic)
    with pytest.raises(ServiceError) as refused:
        medical.self_certify(booking, tourist, True, " ")
    assert refused.value.field == "details"
    assert db.session.scalars(select(SelfCertification)).all() == []
    medical.self_certify(booking, tourist, True, "Broke my wrist last week.")
    assert case.state is S.SUBMITTED and case.events[-1].from_state is S.CLEARED
    assert case.events[-1].actor_id == tourist.id
    assert gate_of(booking).status is GateStatus.WAITING
    page = medical.queue(QueueGroup.REVIEW)
    assert [r.case_id for r in page.rows] == [case.id]


def test_after_a_reported_change_is_cleared_again_the_tourist_confirms_anew(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=10)
    case = cleared_case(make, tourist, questionnaire, medic)
    medical.self_certify(booking, tourist, True, "Broke my wrist last week.")
    assert not medical.self_certified(booking)  # a reported change is no confirmation
    medical.decide(case, medic, S.CLEARED)
    assert medical.self_certification_due(booking)
    status = medical.clearance_statuses([booking])[booking.id]
    assert status.self_certification_due and not status.self_certified
    medical.self_certify(booking, tourist, False)
    assert medical.self_certified(booking) and not medical.self_certification_due(booking)
    assert medical.clearance_statuses([booking])[booking.id].self_certified


def test_no_self_certification_without_a_clearance_covering_the_launch(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=10)
    cleared_case(make, tourist, questionnaire, medic, valid_days=5)
    assert not medical.self_certification_due(booking)
    held = make.booking(make.user(), days=10, confirmed=False)
    assert not medical.self_certification_due(held)


# -- the readiness gate ----------------------------------------------------------------------------

def test_the_gate_follows_the_case(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist)
    gate = gate_of(booking)
    assert (gate.label, gate.status) == ("Medically cleared through launch", GateStatus.ACTION)
    assert gate.url == medical.tourist_page_url() and "questionnaire" in gate.reason
    case = make.medical_case(tourist, questionnaire, submit=False)
    assert gate_of(booking).status is GateStatus.ACTION and "Finish" in gate_of(booking).reason
    questionnaires.submit(case, tourist)
    assert gate_of(booking).status is GateStatus.WAITING
    medical.decide(case, medic, S.INFO_REQUESTED, message="Secret question about your liver.")
    assert gate_of(booking).status is GateStatus.ACTION and "liver" not in gate_of(booking).reason
    questionnaires.answer_info_request(case, tourist, "Fine.")
    medical.record_assessment(case, medic, GOOD)
    medical.decide(case, medic, S.RESTRICTED, restrictions="No alcohol before flight.")
    gate = gate_of(booking)
    assert gate.status is GateStatus.DONE and "alcohol" not in gate.reason and "Cleared through" in gate.reason
    medical.decide(case, medic, S.NOT_CLEARED, reason="Liver.")
    gate = gate_of(booking)
    assert gate.status is GateStatus.BLOCKED and "Liver" not in gate.reason


def test_the_gate_costs_the_same_queries_for_few_and_many_bookings(ctx, make, questionnaire, medic):
    from tests.core.test_queries import count_queries

    def bookings_with_cases(n):
        result = []
        for i in range(n):
            tourist = make.user()
            result.append(make.booking(tourist, days=10 + i))
            if i % 3 == 0:
                cleared_case(make, tourist, questionnaire, medic)
            elif i % 3 == 1:
                make.medical_case(tourist, questionnaire)
        return result

    def queries(bookings):
        provider = next(p for p in readiness.providers() if p.key == "medical_clearance")
        with count_queries() as statements:
            loaded = provider.load(bookings, {})
            for b in bookings:
                provider.gate(b, loaded, readiness.Audience.TOURIST)
        return len(statements)

    small, large = bookings_with_cases(2), bookings_with_cases(12)
    assert queries(small) == queries(large) == 2


# -- the review queue ------------------------------------------------------------------------------

def test_the_queue_holds_three_groups_sorted_by_launch(ctx, make, questionnaire, medic):
    waiting_late = make.user(name="Waiting Late")
    make.booking(waiting_late, days=300)
    make.medical_case(waiting_late, questionnaire)
    waiting_soon = make.user(name="Waiting Soon")
    make.booking(waiting_soon, days=40, vehicle="Capsule C-1")
    make.booking(waiting_soon, days=90)
    make.medical_case(waiting_soon, questionnaire)
    unbooked = make.user(name="No Booking")
    make.medical_case(unbooked, questionnaire)
    asked = make.user(name="Asked")
    make.booking(asked, days=100)
    medical.decide(make.medical_case(asked, questionnaire), medic, S.INFO_REQUESTED, message="?")
    expiring = make.user(name="Expiring")
    make.booking(expiring, days=20)   # covered
    make.booking(expiring, days=150)  # not covered
    cleared_case(make, expiring, questionnaire, medic, valid_days=60)
    covered = make.user(name="Covered")
    make.booking(covered, days=100)
    cleared_case(make, covered, questionnaire, medic)
    answering = make.user(name="Answering")
    make.booking(answering, days=10)
    make.medical_case(answering, questionnaire, submit=False)
    gone = make.user(name="Cancelled Flight")
    cancelled = make.booking(gone, days=5)
    make.medical_case(gone, questionnaire)
    flight = cancelled.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data["status"] = FlightStatus.CANCELLED
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))

    page = medical.queue()
    # the soonest launch first; without a live booking last, the longest waiting first
    assert [(r.tourist_name, r.group.value) for r in page.rows] == [
        ("Waiting Soon", "review"), ("Asked", "info"), ("Expiring", "expiring"), ("Waiting Late", "review"),
        ("No Booking", "review"), ("Cancelled Flight", "review"),
    ]
    first = page.rows[0]
    assert first.vehicle == "Capsule C-1" and first.launch_at.date() == (NOW + timedelta(days=40)).date()
    exp = next(r for r in page.rows if r.group is QueueGroup.EXPIRING)
    assert exp.launch_at.date() == (NOW + timedelta(days=150)).date()  # the launch it does not cover
    assert page.counts == {QueueGroup.REVIEW: 4, QueueGroup.INFO: 1, QueueGroup.EXPIRING: 1}
    assert [r.tourist_name for r in medical.queue(QueueGroup.EXPIRING).rows] == ["Expiring"]
    assert [r.tourist_name for r in medical.queue(QueueGroup.INFO).rows] == ["Asked"]
    paged = medical.queue(QueueGroup.REVIEW, page=2, per_page=3)
    assert paged.pages == 2 and [r.tourist_name for r in paged.rows] == ["Cancelled Flight"]
    assert medical.queue(page=99, per_page=5).page == 2  # past the end: the last page


def test_the_queue_shows_only_the_newest_case(ctx, make, questionnaire, medic):
    tourist = make.user()
    make.booking(tourist, days=300)
    old = cleared_case(make, tourist, questionnaire, medic, valid_days=30)
    assert [r.case_id for r in medical.queue().rows] == [old.id]
    renewal = MedicalCase(user_id=tourist.id, questionnaire_id=questionnaire.id)
    db.session.add(renewal)
    medical_access.transition(renewal, S.ANSWERING, actor=tourist)
    assert medical.queue().rows == []


def test_the_queue_reads_the_same_with_the_pages_bookings_joined_or_looked_up(ctx, make, questionnaire, medic,
                                                                            monkeypatch):
    """On PostgreSQL the queue's page looks its cases' bookings up by tourist (a lateral join);
    the plain joins (SQLite's) give the same pages: every group, pages of two, the page past the
    end, on awkward data (a tourist with two bookings launching together, a clearance covering
    one launch and not the next, a cancelled flight, an expired hold, a renewal, no booking)."""
    def tourist(name, *days, confirmed=True):
        user = make.user(name=name)
        for d in days:
            make.booking(user, days=d, confirmed=confirmed)
        return user

    make.medical_case(tourist("Waiting, two launches", 40, 90), questionnaire)
    same = tourist("Two seats at one launch", 60)
    make.booking(same, days=60, vehicle="Capsule C-1")
    make.medical_case(same, questionnaire)
    make.medical_case(tourist("No booking"), questionnaire)
    medical.decide(make.medical_case(tourist("Asked", 100), questionnaire), medic, S.INFO_REQUESTED, message="?")
    cleared_case(make, tourist("Expiring", 20, 150), questionnaire, medic, valid_days=60)
    cleared_case(make, tourist("Expiring twice", 120, 130), questionnaire, medic, valid_days=60)
    cleared_case(make, tourist("Covered", 100), questionnaire, medic)
    make.medical_case(tourist("Held only", 50, confirmed=False), questionnaire)
    renewing = tourist("Renewing", 70)
    cleared_case(make, renewing, questionnaire, medic, valid_days=10)
    make.medical_case(renewing, questionnaire)
    gone = tourist("Cancelled flight", 5)
    make.medical_case(gone, questionnaire)
    flight = booking_service.holding_seats(gone.id)[0].flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data["status"] = FlightStatus.CANCELLED
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))

    def pages():
        return [medical.queue(group, page, per_page=2) for group in (None, *QueueGroup) for page in (1, 2, 3, 4, 9)]

    looked_up = pages()
    joined = medical._queue_statement
    monkeypatch.setattr(medical, "_queue_statement", lambda grouped, postgresql=False: joined(grouped, False))
    assert pages() == looked_up
    assert looked_up[0].total == 9 and looked_up[4].page == 5  # past the end: the last page
    assert [(r.tourist_name, r.launch_at is not None) for p in looked_up[:5] for r in p.rows] == [
        ("Waiting, two launches", True), ("Held only", True), ("Two seats at one launch", True), ("Renewing", True),
        ("Asked", True), ("Expiring twice", True), ("Expiring", True), ("No booking", False),
        ("Cancelled flight", False)]


# -- reminders -------------------------------------------------------------------------------------

def test_a_missing_questionnaire_is_reminded_until_submitted(ctx, make, questionnaire):
    tourist = make.user()
    booking = make.booking(tourist, days=200)
    planned = outbox(rule="medical_questionnaire_missing")
    assert {r.channel for r in planned} == {Channel.EMAIL, Channel.IN_APP}
    assert {r.send_at for r in planned} == {booking.flight.launch_at - timedelta(days=120)}
    assert {r.category for r in planned} == {"medical"}
    make.medical_case(tourist, questionnaire)
    assert {r.status for r in outbox(rule="medical_questionnaire_missing")} == {MessageStatus.DROPPED}


def test_a_late_booking_gets_a_week_before_the_questionnaire_reminder(ctx, make):
    booking = make.booking(days=60)
    [email, _in_app] = outbox(rule="medical_questionnaire_missing")
    assert email.send_at == booking.created_at + timedelta(days=7)


def test_a_held_seat_is_not_reminded_and_a_cancelled_booking_drops_its_reminders(ctx, make):
    make.booking(days=200, confirmed=False)
    assert outbox(rule="medical_questionnaire_missing") == []
    booking = make.booking(days=200)
    booking_service.transition(booking, BookingState.CANCELLED)
    assert {r.status for r in outbox(rule="medical_questionnaire_missing")} == {MessageStatus.DROPPED}


def test_a_clearance_ending_before_launch_is_reminded_and_moves_with_the_launch(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=200)
    case = cleared_case(make, tourist, questionnaire, medic, valid_days=100)
    planned = outbox(rule="medical_clearance_expiring")
    assert {r.send_at for r in planned} == {booking.flight.launch_at - timedelta(days=30)}
    assert outbox(rule="medical_self_certification") == []  # the clearance does not reach the launch

    flight = booking.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data["launch_at"] = flight.launch_at + timedelta(days=10)
    data["window_closes_at"] = flight.window_closes_at + timedelta(days=10)
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))
    assert {r.send_at for r in outbox(rule="medical_clearance_expiring")} == {data["launch_at"] - timedelta(days=30)}

    medical.decide(case, medic, S.NOT_CLEARED, reason="Withdrawn.")
    assert {r.status for r in outbox(rule="medical_clearance_expiring")} == {MessageStatus.DROPPED}


def test_a_clearance_decided_inside_the_last_month_is_reminded_at_once(ctx, make, questionnaire, medic):
    tourist = make.user()
    booking = make.booking(tourist, days=20)
    cleared_case(make, tourist, questionnaire, medic, valid_days=10)
    [email, _] = outbox(rule="medical_clearance_expiring")
    assert email.send_at <= now_utc() and email.send_at > booking.flight.launch_at - timedelta(days=30)


def test_the_self_certification_is_reminded_and_dropped_once_given(ctx, make, questionnaire, medic):
    tourist = make.user(phone="+447700900123")
    booking = make.booking(tourist, days=200)
    cleared_case(make, tourist, questionnaire, medic)
    planned = outbox(rule="medical_self_certification")
    assert {r.send_at for r in planned} == {booking.flight.launch_at - timedelta(days=14)}
    assert outbox(rule="medical_clearance_expiring") == []
    assert {r.status for r in outbox(rule="medical_questionnaire_missing")} == {MessageStatus.DROPPED}
    with time_machine.travel(booking.flight.launch_at - timedelta(days=13), tick=False):
        medical.self_certify(booking, tourist, False)
    assert {r.status for r in outbox(rule="medical_self_certification")} == {MessageStatus.DROPPED}


def test_a_due_self_certification_reminder_renders_without_medical_details(ctx, make, questionnaire, medic):
    tourist = make.user(language="de")
    booking = make.booking(tourist, days=200)
    cleared_case(make, tourist, questionnaire, medic, decision=S.RESTRICTED)
    [email, in_app] = outbox(rule="medical_self_certification")
    with time_machine.travel(email.send_at + timedelta(seconds=1), tick=False):
        assert delivery.deliver(email.id) is MessageStatus.SENT
        assert delivery.deliver(in_app.id) is MessageStatus.SENT
    assert booking.flight.name in email.subject and booking.reference in email.link_url
    assert "4 g" not in email.body and "http" not in in_app.body


@pytest.mark.parametrize("language", ["en", "de", "es", "pt", "fr", "it"])
def test_every_medical_rule_renders_on_every_channel(ctx, make, questionnaire, medic, language):
    tourist = make.user(language=language, phone="+33612345678")
    booking = make.booking(tourist)
    case = make.medical_case(tourist, questionnaire)
    subjects = {"booking": booking, "medical_case": case}
    for rule in [r for r in reminders.RULES.values() if r.category == "medical"]:
        obj = subjects[rule.subject]
        variables = {**rule.context(obj, {}), "url": "http://countdown.test/x"}
        subject, text, html = message_outbox.render_email(rule.template, tourist, **variables)
        sms = message_outbox.render_sms(rule.template, tourist, **variables)
        in_app = message_outbox.render_sms(rule.template, tourist, **variables, in_app=True)
        assert subject and "\n" not in subject and len(subject) < 200, rule.name
        assert tourist.name in text.splitlines()[0], rule.name
        assert "http://countdown.test/x" in text and "http://countdown.test/x" in html, rule.name
        assert sms.startswith("Countdown") and len(sms) <= 320, (rule.name, sms)
        assert "http" not in in_app, rule.name


def test_the_medical_category_is_offered_in_the_preferences(ctx):
    category = preferences.CATEGORIES["medical"]
    assert str(category.label) == "Medical assessment" and not category.locked


def test_tourist_page_url_is_the_medical_page(ctx):
    assert medical.tourist_page_url() == "/medical"
    assert medical.tourist_page_url(external=True).endswith("/medical")


def test_the_launch_date_is_the_utc_date(ctx, make):
    late = make.flight(launch_at=datetime(2027, 6, 1, 23, 30, tzinfo=UTC))
    assert medical.launch_date(late) == date(2027, 6, 1)
