"""Cancelling: the policy decides the tourist's refund; an operator's cancellation refunds all."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking import bookings as booking_service
from app.booking import flights
from app.documents import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    BookingEvent,
    BookingState,
    FlightStatus,
    OutboundMessage,
    PaymentStatus,
    Role,
)
from app.payments import cancellations, installments, payments
from app.timeutil import now_utc


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def paid_booking(make, *, days_out=200, seat_count=4):
    doc = make.consent_document() if not consent.current_document() else consent.current_document()
    tourist = make.user()
    flight = make.flight(price_minor=450_000_00, deposit_minor=150_000_00, deposit_nonrefundable_minor=25_000_00,
                         launch_at=now_utc() + timedelta(days=days_out), seat_count=seat_count)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    deposit = payments.start_deposit(booking, tourist)
    payments.pay_in_sandbox(deposit, "4242424242424242")
    return booking, deposit


@pytest.mark.parametrize("days_out, percent, refund", [
    (200, 100, 125_000_00),  # everything but the non-refundable 25,000
    (60, 50, 62_500_00),
    (10, 0, 0),
])
def test_the_policy_decides_the_refund(ctx, make, app, days_out, percent, refund):
    booking, deposit = paid_booking(make, days_out=days_out)
    quote = cancellations.quote(booking)
    assert (quote.paid_minor, quote.kept_minor, quote.percent, quote.refund_minor) == (150_000_00, 25_000_00, percent, refund)
    cancellations.cancel_booking(booking, booking.user, "change of plans")
    assert booking.state is BookingState.CANCELLED
    assert deposit.refunded_minor == refund
    event = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                               .order_by(BookingEvent.id.desc())).first()
    assert (event.to_state, event.actor_id, event.reason) == (BookingState.CANCELLED, booking.user_id, "change of plans")
    mail = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "booking_cancelled")).one()
    assert booking.reference in mail.subject


def test_cancelling_frees_the_seat_for_the_waiting_list_and_drops_payments_to_come(ctx, make):
    booking, _ = paid_booking(make, seat_count=1)
    token, last4 = payments.provider().save_card("4242424242424242")
    installments.save_card(booking, booking.user, token=token, last4=last4)
    plan = installments.plan_balance(booking, booking.user, 2)
    waiter = booking_service.join_waitlist(booking.flight_id, make.user())
    cancellations.cancel_booking(booking, booking.user)
    assert all(p.status is PaymentStatus.CANCELLED for p in plan.payments)
    assert waiter.state.value == "offered"


def test_only_confirmed_bookings_are_cancelled(ctx, make):
    make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, make.user())
    with pytest.raises(ServiceError, match="Only a confirmed booking"):
        cancellations.cancel_booking(booking, booking.user)


def test_an_operator_cancelling_the_flight_refunds_everything(ctx, make):
    booking, deposit = paid_booking(make, days_out=10)  # inside the no-refund tier: irrelevant here
    other = booking_service.hold_seat(booking.flight_id, make.user())
    ops = make.user(Role.OPERATIONS)
    assert flights.cancel_flight(booking.flight, ops, "vehicle grounded") == 2
    assert booking.flight.status is FlightStatus.CANCELLED
    assert booking.state is BookingState.CANCELLED and other.state is BookingState.CANCELLED
    assert deposit.refunded_minor == deposit.amount_minor
    with pytest.raises(ServiceError, match="already cancelled"):
        flights.cancel_flight(booking.flight, ops, "again")


def test_setting_a_flight_to_cancelled_in_the_edit_form_cancels_its_bookings(ctx, make):
    from app.booking import flights

    booking, deposit = paid_booking(make)
    ops = make.user(Role.OPERATIONS)
    flight = booking.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    flights.update_flight(flight, {**data, "status": FlightStatus.CANCELLED}, ops)
    assert flight.status is FlightStatus.CANCELLED and booking.state is BookingState.CANCELLED
    assert deposit.refunded_minor == deposit.amount_minor
    with pytest.raises(ServiceError, match="cannot be reopened"):
        flights.update_flight(flight, {**data, "status": FlightStatus.SCHEDULED}, ops)
