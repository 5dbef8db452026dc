"""The reminders of bookings, payments, consent and flights (later capabilities add their own).

Dated rules (hold about to expire, payment due in 7 days and in 1 day) are planned by
``reminders.sync`` whenever their subject changes. Rules without a date are sent at once through
``reminders.notify`` by the service where the thing happens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Booking,
    BookingState,
    Flight,
    FlightStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
    User,
)
from app.services.reminders import Rule, Subject, register, register_subject
from app.timeutil import parse_iso
from app.urls import external_url

B = BookingState
P = PaymentStatus
LIVE = (B.HELD, B.CONFIRMED)
OPEN_PAYMENT = (P.SCHEDULED, P.PENDING, P.REQUIRES_ACTION, P.FAILED)


def _payments_of(booking: Booking) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.booking_id == booking.id)))


def _live_bookings_of_flight(flight: Flight) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.flight_id == flight.id, Booking.state.in_(LIVE))
    ))


def _live_bookings_of_user(user: User) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.user_id == user.id, Booking.state.in_(LIVE))
    ))


register_subject(Subject("booking", Booking, children=_payments_of, of_user=_live_bookings_of_user))
register_subject(Subject("payment", Payment))
register_subject(Subject("refund", Refund))
register_subject(Subject("flight", Flight, children=_live_bookings_of_flight))


def _booking_url(booking: Booking) -> str:
    return external_url("bookings.detail", reference=booking.reference)


def _booking_context(booking: Booking, _stored: dict) -> dict:
    return {"booking": booking, "flight": booking.flight}


# -- seat holds ------------------------------------------------------------------------------------

def _hold_reminder_at(booking: Booking) -> datetime | None:
    """5 minutes before a checkout hold runs out; 2 hours before a waiting-list offer (a hold of
    hours) does."""
    if booking.state is not B.HELD or booking.hold_expires_at is None:
        return None
    long_hold = booking.hold_expires_at - booking.created_at > timedelta(hours=3)
    return booking.hold_expires_at - (timedelta(hours=2) if long_hold else timedelta(minutes=5))


def _hold_live(booking: Booking, _stored: dict) -> bool:
    return booking.hold_is_live()


register(Rule(
    "hold_expiring", "booking", "bookings", "reminder_hold_expiring",
    recipient=lambda b: b.user, when=_hold_reminder_at, active=_hold_live,
    deadline=lambda b: b.hold_expires_at, context=_booking_context, link=_booking_url,
))

register(Rule(
    "waitlist_offer", "booking", "bookings", "waitlist_offer",
    recipient=lambda b: b.user, active=_hold_live, deadline=lambda b: b.hold_expires_at,
    context=_booking_context, link=_booking_url,
))


# -- payments --------------------------------------------------------------------------------------

def _payment_open(payment: Payment, _stored: dict) -> bool:
    booking = payment.booking
    if payment.status not in OPEN_PAYMENT:
        return False
    if payment.kind is PaymentKind.DEPOSIT:
        return booking.hold_is_live()
    return booking.state is B.CONFIRMED


def _payment_context(payment: Payment, _stored: dict, days: int | None = None) -> dict:
    booking = payment.booking
    return {
        "payment": payment, "booking": booking, "flight": booking.flight, "days": days,
        "automatic": payment.off_session and bool(booking.card_token),
        "card_last4": booking.card_last4,
    }


def _payment_url(payment: Payment) -> str:
    return external_url("payments.checkout", payment_id=payment.id)


for _days in (7, 1):
    register(Rule(
        f"payment_due_{_days}d", "payment", "payments", "reminder_payment_due",
        recipient=lambda p: p.booking.user,
        when=lambda p, d=_days: p.due_at - timedelta(days=d),
        active=_payment_open, deadline=lambda p: p.due_at,
        context=lambda p, stored, d=_days: _payment_context(p, stored, d),
        link=lambda p: _booking_url(p.booking),
    ))


def _charge_failed_active(payment: Payment, _stored: dict) -> bool:
    """Until the payment is paid or no longer owed (PENDING: the tourist is paying it by hand)."""
    return payment.status in (P.FAILED, P.REQUIRES_ACTION, P.PENDING) and payment.booking.state in LIVE


register(Rule(
    "charge_failed", "payment", "payments", "reminder_charge_failed",
    recipient=lambda p: p.booking.user, active=_charge_failed_active,
    context=lambda p, stored: {
        **_payment_context(p, stored), "needs_action": p.status is P.REQUIRES_ACTION,
        "next_attempt_at": p.next_attempt_at,
    },
    link=_payment_url,
))


# -- consent ---------------------------------------------------------------------------------------

def _needs_resign(booking: Booking, _stored: dict) -> bool:
    from app.services import consent

    return booking.state in LIVE and consent.statuses([booking])[booking.id].needs_resign


register(Rule(
    "consent_resign", "booking", "consent", "reminder_consent_resign",
    recipient=lambda b: b.user, active=_needs_resign,
    context=lambda b, stored: {**_booking_context(b, stored), "version": stored.get("version")},
    link=lambda b: external_url("consent.sign", reference=b.reference),
))


# -- flight updates: urgent, every channel, any hour ------------------------------------------------

def _flight_going(booking: Booking, _stored: dict) -> bool:
    return booking.state in LIVE and booking.flight.status is not FlightStatus.CANCELLED


def _flight_change_context(booking: Booking, stored: dict) -> dict:
    return {
        **_booking_context(booking, stored),
        "previous_launch_at": parse_iso(stored.get("previous_launch_at")),
        "launch_moved": bool(stored.get("previous_launch_at")),
    }


register(Rule(
    "flight_delayed", "booking", "flight_updates", "reminder_flight_delayed", urgent=True, resolvable=False,
    recipient=lambda b: b.user, active=_flight_going, context=_flight_change_context,
    link=_booking_url,
))
register(Rule(
    "flight_scrubbed", "booking", "flight_updates", "reminder_flight_scrubbed", urgent=True, resolvable=False,
    recipient=lambda b: b.user, active=_flight_going, context=_flight_change_context,
    link=_booking_url,
))
register(Rule(
    "flight_cancelled", "booking", "flight_updates", "reminder_flight_cancelled", urgent=True, resolvable=False,
    recipient=lambda b: b.user,
    active=lambda b, stored: b.state is B.CANCELLED and b.flight.status is FlightStatus.CANCELLED,
    context=lambda b, stored: {
        **_booking_context(b, stored), "refund_minor": stored.get("refund_minor", 0),
        "currency": b.flight.currency,
    },
    link=_booking_url,
))


# -- refunds: an operator's goodwill or a refund made at the provider ---------------------------------

def _refund_context(refund: Refund, _stored: dict) -> dict:
    from app import labels

    payment = refund.payment
    booking = payment.booking
    return {
        "refund": refund, "payment": payment, "booking": booking, "flight": booking.flight,
        "reason": labels.refund_reason(refund),
    }


register(Rule(
    "refund_issued", "refund", "payments", "refund_issued",
    recipient=lambda r: r.payment.booking.user, context=_refund_context,
    link=lambda r: _booking_url(r.payment.booking),
))
