"""Deposits through the sandbox provider: the same service code as Stripe, no money moves."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.documents import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    BookingState,
    OutboundMessage,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    WebhookEvent,
)
from app.payments import payments
from app.timeutil import now_utc

GOOD, DECLINED = "4242 4242 4242 4242", "4000 0000 0000 0002"


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def signed(ctx, make):
    doc = make.consent_document()
    tourist = make.user()
    flight = make.flight(seat_count=1, price_minor=450_000_00, deposit_minor=150_000_00)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    return booking


def pay(payment, card, event_id=None):
    intent = payments.provider().pay(payment.provider_payment_id, card)
    kind = "payment_intent.succeeded" if intent.succeeded else "payment_intent.payment_failed"
    return payments.handle_event("sandbox", event_id or f"evt_{payment.id}_{card}_{payment.attempts}", kind, intent.id)


def events(payment):
    return [e.kind for e in db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.id))]


def mails(user, kind):
    return db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.user_id == user.id, OutboundMessage.kind == kind)).all()


def test_no_money_before_consent(ctx, make):
    tourist = make.user()
    make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    with pytest.raises(ServiceError, match="Sign the informed consent before paying"):
        payments.start_deposit(booking, tourist)
    assert db.session.scalar(select(func.count()).select_from(payments.Payment)) == 0


def test_no_deposit_without_a_live_hold(signed):
    signed.hold_expires_at = now_utc() - timedelta(seconds=1)
    with pytest.raises(ServiceError, match="hold has expired"):
        payments.start_deposit(signed, signed.user)


def test_only_the_owner_can_pay(signed, make):
    with pytest.raises(ServiceError, match="not yours"):
        payments.start_deposit(signed, make.user())


def test_starting_twice_reuses_the_same_payment_and_intent(signed):
    first = payments.start_deposit(signed, signed.user)
    second = payments.start_deposit(signed, signed.user)
    assert first.id == second.id and first.provider_payment_id == second.provider_payment_id
    assert (first.kind, first.amount_minor, first.currency) == (PaymentKind.DEPOSIT, 150_000_00, "USD")
    assert first.idempotency_key == f"countdown-payment-{first.id}"


def test_a_paid_deposit_confirms_the_seat_and_sends_a_receipt(signed):
    payment = payments.start_deposit(signed, signed.user)
    assert pay(payment, GOOD) == "applied"
    assert payment.status is PaymentStatus.SUCCEEDED and payment.paid_at is not None
    assert signed.state is BookingState.CONFIRMED
    assert events(payment) == ["intent_created", "succeeded"]
    receipt = mails(signed.user, "payment_receipt")
    assert len(receipt) == 1 and "$150,000.00" in receipt[0].subject
    ledger = payments.ledgers([signed])[signed.id]
    assert (ledger.paid_minor, ledger.outstanding_minor, ledger.deposit_paid) == (150_000_00, 300_000_00, True)
    with pytest.raises(ServiceError, match="already paid"):
        payments.start_deposit(signed, signed.user)


def test_a_declined_card_says_why_and_can_be_tried_again(signed):
    payment = payments.start_deposit(signed, signed.user)
    assert pay(payment, DECLINED) == "applied"
    assert payment.status is PaymentStatus.FAILED and payment.last_error == "Your card was declined."
    assert signed.state is BookingState.HELD
    # Declined at the checkout, which says so: no "automatic charge" message on any channel.
    assert mails(signed.user, "reminder_charge_failed") == []
    payment.status = PaymentStatus.PENDING  # what the checkout does on a new attempt
    assert pay(payment, GOOD) == "applied"
    assert payment.status is PaymentStatus.SUCCEEDED and signed.state is BookingState.CONFIRMED
    assert events(payment) == ["intent_created", "failed", "succeeded"]
    assert mails(signed.user, "reminder_charge_failed") == []


def test_a_checkout_decline_then_success_in_the_sandbox_sends_no_failure_notice(signed):
    payment = payments.start_deposit(signed, signed.user)
    payments.pay_in_sandbox(payment, DECLINED)
    assert payment.status is PaymentStatus.FAILED
    payments.pay_in_sandbox(payment, GOOD)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert mails(signed.user, "reminder_charge_failed") == []


def test_a_cancelled_payment_never_becomes_paid_and_money_that_arrives_goes_back(signed, make):
    from app.booking import flights
    from app.models import FlightStatus, Role

    payment = payments.start_deposit(signed, signed.user)
    flight = signed.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data.update(status=FlightStatus.CANCELLED)
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))
    assert payment.status is PaymentStatus.CANCELLED and signed.state is BookingState.CANCELLED
    with pytest.raises(ServiceError, match="cancelled"):
        from app.payments import installments

        installments.start_payment_by_hand(payment, signed.user)
    # A checkout left open at the provider is paid anyway (a Stripe tab, a late webhook).
    assert pay(payment, GOOD) == "applied"
    assert payment.status is PaymentStatus.CANCELLED and payment.paid_at is None
    assert payment.refunded_minor == payment.amount_minor
    assert events(payment)[-2:] == ["paid_after_cancel", "refunded"]
    assert len(payment.refunds) == 1 and payment.refunds[0].status == "succeeded"
    assert len(mails(signed.user, "payment_refunded_cancelled")) == 1
    ledger = payments.ledgers([signed])[signed.id]
    assert (ledger.paid_minor, ledger.refunded_minor) == (0, 0)
    # The same news again changes nothing: refunded once.
    assert payments.handle_event("sandbox", "evt_again", "payment_intent.succeeded", payment.provider_payment_id) == "unchanged"
    assert events(payment).count("refunded") == 1


def test_the_same_event_twice_is_applied_once(signed):
    payment = payments.start_deposit(signed, signed.user)
    assert pay(payment, GOOD, event_id="evt_same") == "applied"
    assert payments.handle_event("sandbox", "evt_same", "payment_intent.succeeded", payment.provider_payment_id) == "duplicate"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1


def test_browser_return_and_webhook_apply_once(signed):
    payment = payments.start_deposit(signed, signed.user)
    payments.provider().pay(payment.provider_payment_id, GOOD)
    assert payments.sync_payment(payment).changed is True      # the browser came back first
    outcome = payments.handle_event("sandbox", "evt_late", "payment_intent.succeeded", payment.provider_payment_id)
    assert outcome == "unchanged"                                # the webhook finds it done
    assert events(payment).count("succeeded") == 1
    assert len(mails(signed.user, "payment_receipt")) == 1


def test_unknown_events_are_ignored_but_remembered(ctx):
    assert payments.handle_event("sandbox", "evt_x", "customer.created", "cus_1") == "ignored"
    assert payments.handle_event("sandbox", "evt_x", "customer.created", "cus_1") == "duplicate"


def test_late_deposit_keeps_a_seat_that_is_still_free(signed):
    payment = payments.start_deposit(signed, signed.user)
    signed.hold_expires_at = now_utc() - timedelta(minutes=1)
    booking_service.expire_holds()
    assert signed.state is BookingState.EXPIRED
    pay(payment, GOOD)
    assert signed.state is BookingState.CONFIRMED and payment.refunded_minor == 0


def test_late_deposit_for_a_seat_taken_by_someone_else_is_refunded(signed, make):
    payment = payments.start_deposit(signed, signed.user)
    signed.hold_expires_at = now_utc() - timedelta(minutes=1)
    db.session.flush()
    other = booking_service.hold_seat(signed.flight_id, make.user())  # the last seat goes to another
    pay(payment, GOOD)
    assert signed.state is BookingState.EXPIRED and other.state is BookingState.HELD
    assert payment.status is PaymentStatus.SUCCEEDED and payment.refunded_minor == payment.amount_minor
    assert events(payment) == ["intent_created", "succeeded", "refunded"]
    assert len(mails(signed.user, "deposit_refunded_seat_gone")) == 1
    assert payments.ledgers([signed])[signed.id].paid_minor - payment.refunded_minor == 0


def test_refund_rules(signed, make):
    payment = payments.start_deposit(signed, signed.user)
    with pytest.raises(ServiceError, match="went through"):
        payments.refund_payment(payment, 100, reason="goodwill", actor=None)
    pay(payment, GOOD)
    ops = make.user()
    with pytest.raises(ServiceError, match="at most what is left"):
        payments.refund_payment(payment, payment.amount_minor + 1, reason="too much", actor=ops)
    with pytest.raises(ServiceError, match="reason"):
        payments.refund_payment(payment, 100, reason="  ", actor=ops)
    refund = payments.refund_payment(payment, 50_000_00, reason="goodwill", actor=ops)
    assert refund.provider_refund_id.startswith("re_sandbox_") and payment.refunded_minor == 50_000_00


def test_an_intent_for_another_amount_is_never_applied(signed):
    from app.models import SandboxIntent

    payment = payments.start_deposit(signed, signed.user)
    db.session.get(SandboxIntent, payment.provider_payment_id).amount_minor = 1_00  # tampered
    pay(payment, GOOD)
    assert payment.status is PaymentStatus.PENDING and signed.state is BookingState.HELD
    assert events(payment)[-1] == "amount_mismatch"


def test_zero_decimal_currencies_are_charged_in_whole_yen(ctx, make):
    from app.money import format_money

    doc = make.consent_document()
    tourist = make.user()
    flight = make.flight(currency="JPY", price_minor=60_000_000, deposit_minor=20_000_000, deposit_nonrefundable_minor=0)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    payment = payments.start_deposit(booking, tourist)
    assert (payment.amount_minor, payment.currency) == (20_000_000, "JPY")
    pay(payment, GOOD)
    ledger = payments.ledgers([booking])[booking.id]
    assert format_money(ledger.outstanding_minor, ledger.currency, "en") == "¥40,000,000"


def test_an_event_arriving_before_the_intent_id_is_stored_finds_the_payment_by_metadata(signed):
    """An automatic charge's webhook can arrive before the charging transaction commits the
    intent's id; the intent's metadata names our payment row, so the event is not lost."""
    payment = payments.start_deposit(signed, signed.user)
    intent_id = payment.provider_payment_id
    payment.provider_payment_id = None  # as other transactions see it before the commit
    db.session.flush()
    assert pay_intent(intent_id, GOOD) == "applied"
    assert payment.status is PaymentStatus.SUCCEEDED and payment.provider_payment_id == intent_id


def test_an_event_for_an_intent_naming_another_payments_row_is_not_applied(signed, make):
    payment = payments.start_deposit(signed, signed.user)
    stray = payments.provider().create_intent(payment, customer_email="x@example.com")  # same metadata
    assert pay_intent(stray.id, GOOD) == "unknown intent"
    assert payment.status is PaymentStatus.PENDING


def pay_intent(intent_id, card):
    intent = payments.provider().pay(intent_id, card)
    return payments.handle_event("sandbox", f"evt_{intent_id}", "payment_intent.succeeded", intent.id)
