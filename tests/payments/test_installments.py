"""The balance: plans, automatic charges from a saved card, retries, overdue, moved launches."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking import bookings as booking_service
from app.documents import consent
from app.errors import ServiceError
from app.extensions import db
from app.messaging import delivery
from app.models import Channel, MessageStatus, OutboundMessage, PaymentKind, PaymentStatus
from app.payments import installments, payments
from app.timeutil import now_utc

GOOD, DECLINED, AUTH = "4242424242424242", "4000000000000002", "4000002760003184"


@pytest.fixture
def confirmed(app, db_session, make):
    with app.test_request_context("/"):
        doc = make.consent_document()
        tourist = make.user()
        flight = make.flight(price_minor=450_000_00, deposit_minor=150_000_00,
                             launch_at=now_utc() + timedelta(days=200), balance_due_days=90)
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
        payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
        yield booking


def failure_emails() -> list[OutboundMessage]:
    """The "charge failed" notices by email (the tourist also sees them in the app)."""
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.rule == "charge_failed", OutboundMessage.channel == Channel.EMAIL)))


def save(booking, number):
    token, last4 = payments.provider().save_card(number)
    installments.save_card(booking, booking.user, token=token, last4=last4)


def test_split_and_months():
    assert installments.split(100_00, 3) == [33_33, 33_33, 33_34]
    assert installments._months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)  # clamped
    assert installments._months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert installments._months_before(date(2027, 1, 15), 2) == date(2026, 11, 15)


def test_one_payment_plan_is_due_on_the_balance_date(confirmed):
    plan = installments.plan_balance(confirmed, confirmed.user, 1)
    [payment] = plan.payments
    assert (payment.kind, payment.amount_minor, payment.status) == (PaymentKind.BALANCE, 300_000_00, PaymentStatus.SCHEDULED)
    due = installments.balance_due_at(confirmed.flight)
    assert payment.due_at == installments.final_due_at(confirmed)
    assert payment.due_at <= due and due - payment.due_at < timedelta(days=1)
    assert payment.due_at.astimezone(ZoneInfo("UTC")).time() == time(10, 0)  # the tourist's zone: UTC


def test_installments_need_a_saved_card(confirmed):
    with pytest.raises(ServiceError, match="Save a card first"):
        installments.plan_balance(confirmed, confirmed.user, 3)
    save(confirmed, GOOD)
    plan = installments.plan_balance(confirmed, confirmed.user, 3)
    assert [p.amount_minor for p in plan.payments] == [100_000_00] * 3
    assert [p.sequence for p in plan.payments] == [1, 2, 3] and all(p.off_session for p in plan.payments)
    assert plan.payments[-1].due_at == installments.final_due_at(confirmed)


def test_a_plan_needs_a_confirmed_booking_and_a_sane_count(confirmed, make):
    assert installments.max_installments(confirmed) == 4  # balance due in 110 days: 4 months fit
    with pytest.raises(ServiceError, match="between 1 and 4"):
        installments.plan_balance(confirmed, confirmed.user, 5)
    with pytest.raises(ServiceError, match="not yours"):
        installments.plan_balance(confirmed, make.user(), 1)


def due_now(plan, n=1):
    for payment in plan.payments[:n]:
        payment.due_at = now_utc() - timedelta(minutes=1)
    db.session.flush()


def test_a_due_installment_is_charged_once(confirmed):
    save(confirmed, GOOD)
    plan = installments.plan_balance(confirmed, confirmed.user, 3)
    due_now(plan)
    assert installments.due_payment_ids() == [plan.payments[0].id]
    assert installments.charge(plan.payments[0].id) == "charged"
    assert plan.payments[0].status is PaymentStatus.SUCCEEDED
    assert installments.charge(plan.payments[0].id) == "not due"  # a second task does nothing
    assert installments.due_payment_ids() == []
    ledger = payments.ledgers([confirmed])[confirmed.id]
    assert ledger.paid_minor == 250_000_00 and ledger.outstanding_minor == 200_000_00


def test_a_declined_installment_is_retried_then_overdue(confirmed):
    save(confirmed, DECLINED)
    plan = installments.plan_balance(confirmed, confirmed.user, 2)
    due_now(plan)
    payment = plan.payments[0]
    now = now_utc()
    assert installments.charge(payment.id, now) == "declined"
    assert payment.status is PaymentStatus.FAILED and payment.attempts == 1
    assert payment.next_attempt_at == now + timedelta(days=1)
    mail = failure_emails()
    assert len(mail) == 1 and delivery.deliver(mail[0].id) is MessageStatus.SENT
    assert f"/payments/{payment.id}/checkout" in mail[0].body and "try your card again" in mail[0].body
    assert installments.charge(payment.id, now) == "not due"  # not before the retry date
    for days in (1, 3, 5):
        now = payment.next_attempt_at
        assert installments.charge(payment.id, now) == "declined"
    assert payment.attempts == 4 and payment.next_attempt_at is None
    assert confirmed.payment_overdue_at == now
    assert installments.due_payment_ids(now + timedelta(days=30)) == []  # no attempt left
    assert db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "payment_overdue")).one()


def test_a_charge_needing_authentication_asks_the_tourist(confirmed):
    save(confirmed, AUTH)
    plan = installments.plan_balance(confirmed, confirmed.user, 2)
    due_now(plan)
    assert installments.charge(plan.payments[0].id) == "declined"
    assert plan.payments[0].status is PaymentStatus.REQUIRES_ACTION
    [mail] = failure_emails()
    assert delivery.deliver(mail.id) is MessageStatus.SENT
    assert f"/payments/{plan.payments[0].id}/checkout" in mail.body and "confirm" in mail.subject


def test_paying_by_hand_settles_an_installment(confirmed):
    save(confirmed, DECLINED)
    plan = installments.plan_balance(confirmed, confirmed.user, 2)
    payment = installments.start_payment_by_hand(plan.payments[1], confirmed.user)
    payments.pay_in_sandbox(payment, GOOD)
    assert payment.status is PaymentStatus.SUCCEEDED


def test_moving_the_launch_moves_the_payments_still_to_come(confirmed, make):
    from app.booking import flights
    from app.models import FlightStatus, Role

    save(confirmed, GOOD)
    plan = installments.plan_balance(confirmed, confirmed.user, 2)
    before = [p.due_at for p in plan.payments]
    flight = confirmed.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data.update(launch_at=flight.launch_at + timedelta(days=10), window_closes_at=flight.window_closes_at + timedelta(days=10),
                status=FlightStatus.DELAYED)
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))
    for payment, old in zip(plan.payments, before):
        db.session.refresh(payment)
        assert payment.due_at == old + timedelta(days=10)


def confirmed_booking(make, *, balance_in_days, timezone="UTC", launch_hour=None):
    doc = make.consent_document()
    tourist = make.user(timezone=timezone)
    launch = now_utc() + timedelta(days=90 + balance_in_days)
    if launch_hour is not None:
        launch = launch.replace(hour=launch_hour, minute=0, second=0, microsecond=0)
    flight = make.flight(price_minor=450_000_00, deposit_minor=150_000_00, launch_at=launch, balance_due_days=90)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
    save(booking, GOOD)
    return booking


def test_a_balance_due_in_15_days_is_paid_in_one_payment(app, db_session, make):
    with app.test_request_context("/"):
        booking = confirmed_booking(make, balance_in_days=15)
        assert installments.max_installments(booking) == 1
        for count in (2, 6):
            with pytest.raises(ServiceError, match="too soon for monthly installments"):
                installments.plan_balance(booking, booking.user, count)
        assert installments.balance_payments(booking) == []
        [payment] = installments.plan_balance(booking, booking.user, 1).payments
        assert payment.due_at <= installments.balance_due_at(booking.flight)


def test_installments_are_a_month_apart_at_ten_in_the_tourists_zone(app, db_session, make):
    denver = ZoneInfo("America/Denver")
    with app.test_request_context("/"):
        # The balance is due at 03:00 UTC: 20:00 or 21:00 the day before in Denver.
        booking = confirmed_booking(make, balance_in_days=200, timezone="America/Denver", launch_hour=3)
        assert installments.max_installments(booking) == 6
        plan = installments.plan_balance(booking, booking.user, 3)
        local = [p.due_at.astimezone(denver) for p in plan.payments]
        assert all(at.time() == time(10, 0) for at in local)  # summer and winter time alike
        days = [at.date() for at in local]
        for earlier, later in zip(days, days[1:]):
            assert installments._months_before(later, 1) == earlier
            assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
        due = installments.balance_due_at(booking.flight)
        assert plan.payments[-1].due_at <= due and due - plan.payments[-1].due_at < timedelta(days=1)
        assert days[-1] == due.astimezone(denver).date()


def test_the_last_installment_is_a_day_earlier_when_ten_oclock_is_after_the_due_time(app, db_session, make):
    with app.test_request_context("/"):
        booking = confirmed_booking(make, balance_in_days=100, launch_hour=8)  # due at 08:00 UTC
        due = installments.balance_due_at(booking.flight)
        final = installments.final_due_at(booking)
        assert final.date() == due.date() - timedelta(days=1) and final.time() == time(10, 0)


def test_a_moved_launch_keeps_the_charges_at_ten_local(confirmed, make):
    from app.booking import flights
    from app.models import FlightStatus, Role

    confirmed.user.timezone = "Asia/Tokyo"
    save(confirmed, GOOD)
    plan = installments.plan_balance(confirmed, confirmed.user, 2)
    flight = confirmed.flight
    shift = timedelta(days=3, hours=7)
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data.update(launch_at=flight.launch_at + shift, window_closes_at=flight.window_closes_at + shift,
                status=FlightStatus.DELAYED)
    before = [p.due_at for p in plan.payments]
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))
    tokyo = ZoneInfo("Asia/Tokyo")
    for payment, old in zip(plan.payments, before):
        db.session.refresh(payment)
        assert payment.due_at.astimezone(tokyo).time() == time(10, 0)
        assert abs(payment.due_at - (old + shift)) < timedelta(days=1)
        assert payment.due_at <= installments.balance_due_at(flight)
