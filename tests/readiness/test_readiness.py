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


def test_the_facts_statement_gives_the_gates_the_loaders_gave(request_ctx, make, monkeypatch):
    """The engine's one statement of facts (payments' ledgers, the newest medical cases, travel's
    summaries, which bookings have a live override) gives every gate, for both readers, what the
    domains' own loaders give: on payments failed, pending, partly paid, overpaid and refunded, a
    clearance ending before launch, a change under review, no case, a hold, travel owed or
    confirmed, and overrides live and withdrawn."""
    from app.models import GateOverride, Payment, PaymentKind, PaymentStatus, Role
    from app.readiness import Audience

    make.consent_document()
    ops = make.user(Role.OPERATIONS)
    questionnaire = _questionnaire()
    flight = make.flight(seat_count=10)
    bookings = []
    for n in range(7):
        booking = booking_service.hold_seat(flight.id, make.user())
        if n:
            booking_service.transition(booking, BookingState.CONFIRMED)
        bookings.append(booking)
    payments = {1: [(PaymentKind.DEPOSIT, PaymentStatus.SUCCEEDED, flight.deposit_minor, 0)],
                2: [(PaymentKind.DEPOSIT, PaymentStatus.FAILED, flight.deposit_minor, 0)],
                3: [(PaymentKind.DEPOSIT, PaymentStatus.SUCCEEDED, flight.deposit_minor, 500),
                    (PaymentKind.BALANCE, PaymentStatus.SUCCEEDED, flight.price_minor - flight.deposit_minor, 0)],
                4: [(PaymentKind.BALANCE, PaymentStatus.SUCCEEDED, flight.price_minor * 2, 0),
                    (PaymentKind.DEPOSIT, PaymentStatus.PENDING, flight.deposit_minor, 0)],
                5: [(PaymentKind.DEPOSIT, PaymentStatus.SUCCEEDED, flight.deposit_minor, 0),
                    (PaymentKind.INSTALLMENT, PaymentStatus.SUCCEEDED, 1_000, 0),
                    (PaymentKind.INSTALLMENT, PaymentStatus.FAILED, 9_000, 0)]}
    for n, rows in payments.items():
        for sequence, (kind, status, amount, refunded) in enumerate(rows, 1):
            db.session.add(Payment(booking_id=bookings[n].id, kind=kind, sequence=sequence, amount_minor=amount,
                                   currency=flight.currency, due_at=now_utc(), status=status, provider="sandbox",
                                   refunded_minor=refunded))
    launch = flight.launch_at.date()
    cases = {1: [(CaseState.SUBMITTED, None, None), (CaseState.CLEARED, launch + timedelta(days=9), now_utc())],
             2: [(CaseState.CLEARED, launch - timedelta(days=1), now_utc())],
             3: [(CaseState.SUBMITTED, None, now_utc())],
             4: [(CaseState.RESTRICTED, launch + timedelta(days=1), now_utc())],
             5: [(CaseState.NOT_CLEARED, None, now_utc()), (CaseState.INFO_REQUESTED, None, None)]}
    for n, rows in cases.items():
        for state, valid_until, decided_at in rows:
            db.session.add(MedicalCase(user_id=bookings[n].user_id, questionnaire_id=questionnaire.id, state=state,
                                       valid_until=valid_until, decided_at=decided_at))
    make.travel(bookings[1])
    make.travel(bookings[2], confirmed=False)
    db.session.add_all([
        GateOverride(booking_id=bookings[2].id, gate="paid", reason="Deferred", actor_id=ops.id, actor=ops,
                     created_at=now_utc()),
        GateOverride(booking_id=bookings[3].id, gate="travel", reason="Own way", actor_id=ops.id, actor=ops,
                     created_at=now_utc(), withdrawn_at=now_utc(), withdrawn_by_id=ops.id),
        GateOverride(booking_id=bookings[4].id, gate="travel", reason="Own way", actor_id=ops.id, actor=ops,
                     created_at=now_utc()),
    ])
    db.session.flush()

    def said(audience, known=None):
        return {b: [(g.key, g.status, g.reason, g.url, g.action, g.override and g.override.id, g.overridable,
                     g.standing) for g in r.gates]
                for b, r in readiness.readiness_for(bookings, audience, known).items()}

    with_facts = {audience: said(audience) for audience in Audience}
    from app.payments import payments as payment_service
    ledgers = payment_service.ledgers(bookings)
    asked = []
    facts = readiness._facts
    monkeypatch.setattr(readiness, "_facts", lambda *args: asked.append(facts(*args)) or asked[-1])
    # The page's ledgers (the journey's): payments' facts are not asked again, the gates are the same.
    assert with_facts == {audience: said(audience, {"ledgers": ledgers})
                          for audience in Audience}
    assert asked and all("payments" not in facts and "medical_clearance" in facts for facts, _ids in asked)
    monkeypatch.setattr(readiness, "_facts", lambda asked, overrides, known: ({}, [b.id for b in asked]))
    assert with_facts == {audience: said(audience) for audience in Audience}
    reasons = [g[2] for gates in with_facts[Audience.STAFF].values() for g in gates]
    assert any("before the launch" in r for r in reasons) and any("Overridden by" in r for r in reasons)
    assert any("Everything is paid" in r for r in reasons)
