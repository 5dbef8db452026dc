"""Cancelling: by the tourist (the policy decides the refund) or by the operator (everything back).

The refund policy: the non-refundable part of the deposit is always kept when the tourist cancels;
of the rest, a share depending on how many days are left before launch is refunded
(``CANCELLATION_TIERS``, e.g. ``90:100,30:50,0:0``: 100% from 90 days out, 50% from 30, none
after). A tourist whose launch moved by more than ``SLIP_WITHDRAW_DAYS`` since they booked may
withdraw with ``SLIP_REFUND_PERCENT`` of everything they paid (the deposit's non-refundable part
included). When the operator cancels a flight, everything paid comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.booking import bookings as booking_service
from app.booking import flights
from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox
from app.models import Booking, BookingState, User
from app.models.payments import Payment, PaymentStatus, RefundKind
from app.payments import payments
from app.timeutil import now_utc


def tiers() -> list[tuple[int, int]]:
    """(days before launch, percent refunded), most generous first."""
    raw = current_app.config["CANCELLATION_TIERS"]
    parsed = []
    for part in raw.split(","):
        days, _, percent = part.strip().partition(":")
        parsed.append((int(days), int(percent)))
    return sorted(parsed, reverse=True)


@dataclass(frozen=True)
class RefundQuote:
    currency: str
    paid_minor: int          # what was paid and not yet refunded
    kept_minor: int          # the non-refundable part of the deposit
    percent: int             # the tier's share of the rest
    refund_minor: int
    days_before_launch: int
    #: Days the launch moved since the tourist booked, when that gives the slip's refund (else 0).
    slip_days: int = 0


def quote(booking: Booking, *, by_operator: bool = False, at: datetime | None = None) -> RefundQuote:
    return _quote(booking, payments.ledgers([booking])[booking.id], by_operator, at or now_utc())


def quotes(bookings: list[Booking], at: datetime | None = None) -> dict[int, RefundQuote]:
    """:func:`quote` (the tourist cancelling) of many bookings, in two queries whatever their
    number (what erasure would cancel)."""
    at = at or now_utc()
    ledgers = payments.ledgers(bookings)
    booked = flights.launches_when_booked(bookings)
    return {b.id: _quote(b, ledgers[b.id], False, at, booked[b.id]) for b in bookings}


def _quote(booking: Booking, ledger: payments.Ledger, by_operator: bool, at: datetime,
           booked_launch: datetime | None = None) -> RefundQuote:
    flight = booking.flight
    net_paid = ledger.paid_minor - ledger.refunded_minor
    days = (flight.launch_at - at).days
    if by_operator:
        return RefundQuote(flight.currency, net_paid, 0, 100, net_paid, days)
    kept = min(flight.deposit_nonrefundable_minor, net_paid)
    percent = next((p for d, p in tiers() if days >= d), 0)
    usual = RefundQuote(flight.currency, net_paid, kept, percent, (net_paid - kept) * percent // 100, days)
    slip_days = flights.withdrawal_slip_days(booking, booked_launch)
    if slip_days:  # after a move the tourist gets the better of the two
        slip_percent = current_app.config["SLIP_REFUND_PERCENT"]
        slip = RefundQuote(flight.currency, net_paid, 0, slip_percent, net_paid * slip_percent // 100, days, slip_days)
        if slip.refund_minor > usual.refund_minor:
            return slip
    return usual


def _refund_across_payments(booking: Booking, amount_minor: int, reason: str, actor: User | None,
                            kind: RefundKind) -> None:
    """Refund ``amount_minor`` from the booking's payments, the most recent first."""
    remaining = amount_minor
    paid = db.session.scalars(
        select(Payment).where(Payment.booking_id == booking.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
    ).all()
    for payment in paid:
        if remaining <= 0:
            break
        available = payment.amount_minor - payment.refunded_minor
        part = min(available, remaining)
        if part > 0:
            payments.refund_payment(payment, part, reason=reason, actor=actor, kind=kind)
            remaining -= part


def _cancel_open_payments(booking: Booking) -> None:
    for payment in db.session.scalars(select(Payment).where(
        Payment.booking_id == booking.id,
        Payment.status.in_([PaymentStatus.SCHEDULED, PaymentStatus.PENDING,
                            PaymentStatus.FAILED, PaymentStatus.REQUIRES_ACTION]),
    )):
        payment.status = PaymentStatus.CANCELLED
        payments.record(payment, "cancelled", detail="booking cancelled")


def cancel_booking(booking: Booking, actor: User, reason: str = "") -> RefundQuote:
    """The tourist gives up their seat; the refund follows the policy."""
    booking_service.lock_flight(booking.flight_id)
    db.session.refresh(booking)
    if booking.state is not BookingState.CONFIRMED:
        raise ServiceError(_("Only a confirmed booking can be cancelled; a held seat can be released."))
    result = quote(booking)
    why = "withdrew after the launch moved" if result.slip_days else "cancelled by the tourist"
    if result.refund_minor:
        _refund_across_payments(booking, result.refund_minor, why, actor, RefundKind.TOURIST_CANCELLED)
    _cancel_open_payments(booking)
    booking_service.transition(booking, BookingState.CANCELLED, actor=actor, reason=reason.strip() or why)
    outbox.queue_email("booking_cancelled", user=booking.user, booking=booking,
                          flight=booking.flight, quote=result, by_operator=False)
    return result


def refund_flight_cancellation(bookings: list[Booking], actor: User) -> dict[int, int]:
    """The operator cancelled the flight: everything paid on ``bookings`` comes back and nothing
    more is charged. Returns what each booking got back."""
    refunds = {}
    for booking in bookings:
        result = quote(booking, by_operator=True)
        if result.refund_minor:
            _refund_across_payments(booking, result.refund_minor, "flight cancelled by the operator", actor,
                                    RefundKind.FLIGHT_CANCELLED)
        _cancel_open_payments(booking)
        refunds[booking.id] = result.refund_minor
    return refunds
