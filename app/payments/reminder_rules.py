"""The reminders of payments and refunds: due dates (7 days and 1 day before), a charge that
failed, a refund issued. A booking's payments are re-planned with it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import labels
from app.booking.reminder_rules import LIVE, booking_url
from app.extensions import db
from app.messaging.reminders import Rule, Subject, register, register_children, register_subject
from app.models import Booking, BookingState, Payment, PaymentKind, PaymentStatus, Refund
from app.urls import external_url

B = BookingState
P = PaymentStatus
OPEN_PAYMENT = (P.SCHEDULED, P.PENDING, P.REQUIRES_ACTION, P.FAILED)


def _payments_of(booking: Booking) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.booking_id == booking.id)))


register_subject(Subject("payment", Payment))
register_subject(Subject("refund", Refund))
register_children("booking", _payments_of)


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
    return external_url("payments.tourist.checkout", payment_id=payment.id)


for _days in (7, 1):
    register(Rule(
        f"payment_due_{_days}d", "payment", "payments", "reminder_payment_due",
        recipient=lambda p: p.booking.user,
        when=lambda p, d=_days: p.due_at - timedelta(days=d),
        active=_payment_open, deadline=lambda p: p.due_at,
        context=lambda p, stored, d=_days: _payment_context(p, stored, d),
        link=lambda p: booking_url(p.booking),
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


# -- refunds: an operator's goodwill or a refund made at the provider ---------------------------------

def _refund_context(refund: Refund, _stored: dict) -> dict:
    payment = refund.payment
    booking = payment.booking
    return {
        "refund": refund, "payment": payment, "booking": booking, "flight": booking.flight,
        "reason": labels.refund_reason(refund),
    }


register(Rule(
    "refund_issued", "refund", "payments", "refund_issued",
    recipient=lambda r: r.payment.booking.user, context=_refund_context,
    link=lambda r: booking_url(r.payment.booking),
))
