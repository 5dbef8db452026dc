from datetime import timedelta

import pytest

from app import readiness
from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.models import (
    Attendance,
    BookingState,
    CaseState,
    DocumentKind,
    MedicalCase,
    Questionnaire,
    Result,
)
from app.readiness import GateStatus
from app.timeutil import now_utc
from app.training import places, signoff


@pytest.fixture
def request_ctx(app, db_session):
    with app.test_request_context("/journey"):
        yield


def gates(booking):
    result = readiness.readiness_for([booking])[booking.id]
    return result, {g.key: g for g in result.gates}


def test_the_domains_register_their_gates_in_the_journeys_order(app):
    # (The app loads every domain; without it, only those some earlier import loaded are there.)
    assert [p.key for p in readiness.providers()] == [
        "seat", "documents", "payments", "medical_clearance", "training", "travel"]


def test_a_fresh_hold_has_two_things_to_do(request_ctx, make):
    make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, make.user())
    result, g = gates(booking)
    assert not result.ready and result.done_count == 0
    assert g["seat"].status is GateStatus.ACTION and "held until" in g["seat"].reason
    assert g["consent"].status is GateStatus.ACTION
    assert g["consent"].url.endswith(f"/bookings/{booking.reference}/documents/{consent.consent_document().id}")


def pay_deposit(booking, tourist, card="4242424242424242"):
    from app.payments import payments

    payment = payments.start_deposit(booking, tourist)
    payments.pay_in_sandbox(payment, card)
    return payment


def test_signed_and_deposit_paid_leaves_the_balance(request_ctx, make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight(price_minor=450_000_00, deposit_minor=150_000_00).id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    _, g = gates(booking)
    assert g["deposit"].status is GateStatus.ACTION and "$150,000.00" in g["deposit"].reason
    pay_deposit(booking, tourist)
    result, g = gates(booking)
    assert booking.state is BookingState.CONFIRMED
    assert [k for k, gate in g.items() if gate.passed] == ["seat", "consent", "deposit"]
    assert g["paid"].status is GateStatus.ACTION and "$300,000.00 still to pay" in g["paid"].reason
    assert g["consent"].status is GateStatus.DONE and f"version {doc.version}" in g["consent"].reason


def test_everything_paid_and_signed_is_ready(request_ctx, make):
    doc = make.consent_document()
    tourist = make.user()
    flight = make.flight(price_minor=90_000_00, deposit_minor=90_000_00, deposit_nonrefundable_minor=0)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    pay_deposit(booking, tourist)
    _, before = gates(booking)
    assert before["medical"].status is not GateStatus.DONE  # no medical clearance yet
    db.session.add(MedicalCase(
        user_id=tourist.id, questionnaire_id=_questionnaire().id, state=CaseState.CLEARED,
        valid_until=flight.launch_at.date() + timedelta(days=30),
    ))
    db.session.flush()
    result, _ = gates(booking)
    # Not published yet: the waiver, the prohibited items, the briefings, the training plan.
    assert [g.key for g in result.blockers] == ["waiver", "prohibited_items", "briefings", "training", "travel"]
    for kind in (DocumentKind.WAIVER, DocumentKind.PROHIBITED_ITEMS, DocumentKind.BRIEFING):
        make.accept(booking, make.document(kind))
    make.travel(booking)
    result, _ = gates(booking)
    assert [g.key for g in result.blockers] == ["training"]
    training = make.training(vehicle=flight.vehicle)
    for session in (training.classroom_session, training.exam_session):
        place = places.book_place(session.id, booking, tourist)
        signoff.mark(place, training.instructor, attendance=Attendance.PRESENT, result=Result.PASSED, score=90
                     if session is training.exam_session else None, now=session.ends_at)
    result, _ = gates(booking)
    assert result.ready and not result.blockers


def _questionnaire() -> Questionnaire:
    questionnaire = Questionnaire(version=1, title="Health questionnaire")
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def test_deposit_waits_for_consent(request_ctx, make):
    make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, make.user())
    _, g = gates(booking)
    assert g["deposit"].status is GateStatus.BLOCKED and g["deposit"].url.endswith("/consent")


def test_a_lapsed_hold_asks_nothing(request_ctx, make):
    make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, make.user())
    booking.hold_expires_at = now_utc() - timedelta(minutes=1)
    result, g = gates(booking)
    assert result.closed and not result.ready and g == {}


def test_no_consent_document_yet_is_waiting_on_the_operator(request_ctx, make):
    booking = booking_service.hold_seat(make.flight().id, make.user())
    _, g = gates(booking)
    assert g["consent"].status is GateStatus.WAITING


def test_a_resign_version_is_a_blocker_with_a_link(request_ctx, make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    v2 = make.consent_document(resign_required=True)
    _, g = gates(booking)
    assert g["consent"].status is GateStatus.ACTION
    assert f"Version {v2.version}" in g["consent"].reason and "signed again" in g["consent"].reason


def test_capabilities_can_register_their_own_gates(request_ctx, make, monkeypatch):
    from app.readiness import Gate, SimpleProvider

    monkeypatch.setattr(readiness, "_PROVIDERS", list(readiness._PROVIDERS))
    monkeypatch.setattr(readiness, "_POSITIONS", dict(readiness._POSITIONS))
    loaded_with = []

    def load(bookings, earlier):
        assert "documents" in earlier  # what providers before loaded is handed on
        loaded_with.append([b.id for b in bookings])
        return {b.id: "cleared" for b in bookings}

    readiness.register(SimpleProvider(
        "medical", load, lambda b, data, audience: Gate("medical", "Medically cleared", GateStatus.DONE, data[b.id])
    ), position=1000)
    a = booking_service.hold_seat(make.flight().id, make.user())
    b = booking_service.hold_seat(make.flight().id, make.user())
    result = readiness.readiness_for([a, b])
    assert loaded_with == [[a.id, b.id]]  # loaded once for all bookings
    assert result[a.id].gates[-1].reason == "cleared"
