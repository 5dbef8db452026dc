"""The balance: due a set number of days before launch, paid at once or in installments.

Installments are charged automatically on their due dates from a card the tourist saved for that
purpose (an off-session charge). A declined charge, or one the bank wants the tourist to confirm,
tells the tourist with a link to pay by hand and is tried again on a schedule; after the last try
the booking is marked "payment overdue" for operations. Due dates move when the launch moves.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox, reminders
from app.models import Booking, BookingState, Flight, User
from app.models.payments import Payment, PaymentKind, PaymentStatus
from app.payments import payments
from app.providers.payments import PaymentError
from app.timeutil import UTC, now_utc
from app.urls import external_url

log = logging.getLogger(__name__)
P = PaymentStatus
#: At most this many monthly parts, as many as fit before the balance is due.
MAX_INSTALLMENTS = 6
#: Automatic charges fall at this hour in the tourist's time zone, never in the night.
CHARGE_TIME = time(10, 0)
#: After a failed automatic charge, try again after these many days; then the booking is overdue.
RETRY_AFTER_DAYS = (1, 3, 5)


def balance_due_at(flight: Flight) -> datetime:
    return flight.launch_at - timedelta(days=flight.balance_due_days)


def balance_payments(booking: Booking) -> list[Payment]:
    return list(db.session.scalars(
        select(Payment).where(
            Payment.booking_id == booking.id,
            Payment.kind.in_([PaymentKind.BALANCE, PaymentKind.INSTALLMENT]),
            Payment.status != P.CANCELLED,
        ).order_by(Payment.sequence, Payment.id)
    ))


def split(amount_minor: int, count: int) -> list[int]:
    """Equal parts in minor units; the last part takes the remainder."""
    part = amount_minor // count
    return [part] * (count - 1) + [amount_minor - part * (count - 1)]


# -- when the parts fall due -----------------------------------------------------------------------

def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at_charge_time(day: date, zone: ZoneInfo) -> datetime:
    """``day`` at the charge hour in ``zone``, in UTC (a wall-clock time, so DST is respected)."""
    return datetime.combine(day, CHARGE_TIME, tzinfo=zone).astimezone(UTC)


def at_charge_time(moment: datetime, user: User) -> datetime:
    """The charge hour, in the tourist's time zone, on the local day of ``moment``."""
    zone = _zone(user)
    return _at_charge_time(moment.astimezone(zone).date(), zone)


def _months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` calendar months earlier (the 31st becomes the last
    day of a shorter month)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def final_due_at(booking: Booking) -> datetime:
    """The last (or only) payment: the balance due date at the charge hour in the tourist's time
    zone, a day earlier when that hour would be after the balance is due."""
    zone = _zone(booking.user)
    due = balance_due_at(booking.flight)
    day = due.astimezone(zone).date()
    at = _at_charge_time(day, zone)
    return at if at <= due else _at_charge_time(day - timedelta(days=1), zone)


def monthly_due_dates(booking: Booking, count: int) -> list[datetime]:
    """``count`` due dates one calendar month apart, the last on :func:`final_due_at`, each at
    the charge hour in the tourist's time zone."""
    zone = _zone(booking.user)
    final = final_due_at(booking)
    last_day = final.astimezone(zone).date()
    return [_at_charge_time(_months_before(last_day, k), zone) for k in range(count - 1, -1, -1)]


def max_installments(booking: Booking, now: datetime | None = None) -> int:
    """How many monthly parts fit: those due no earlier than tomorrow at the charge hour (one
    payment always fits: it is due on the balance date, or at once if that has passed)."""
    now = now or now_utc()
    zone = _zone(booking.user)
    earliest = _at_charge_time(now.astimezone(zone).date() + timedelta(days=1), zone)
    dates = monthly_due_dates(booking, MAX_INSTALLMENTS)
    return max(sum(1 for at in dates if at >= earliest), 1)


def count_error(most: int) -> str:
    """What to say about a number of installments that does not fit."""
    if most == 1:
        return _("The balance is due too soon for monthly installments: it is paid in one payment.")
    return _("Choose between 1 and %(n)s installments.", n=most)


@dataclass(frozen=True)
class Plan:
    payments: list[Payment]


def plan_balance(booking: Booking, user: User, installments: int) -> Plan:
    """Write the balance's payment rows: one (paid by hand, or automatically on the due date if a
    card is saved) or ``installments`` monthly parts charged automatically from the saved card."""
    if booking.user_id != user.id:
        raise ServiceError(_("This booking is not yours."))
    if booking.state is not BookingState.CONFIRMED:
        raise ServiceError(_("The balance can be planned once the deposit is paid."))
    now = now_utc()
    most = max_installments(booking, now)
    if not 1 <= installments <= most:
        raise ServiceError(count_error(most), "installments")
    if installments > 1 and not booking.card_token:
        raise ServiceError(_("Save a card first: installments are charged to it automatically."), "card")
    existing = balance_payments(booking)
    if any(p.status is P.SUCCEEDED for p in existing):
        raise ServiceError(_("Part of the balance is already paid; the plan cannot change now."))
    ledger = payments.ledgers([booking])[booking.id]
    if ledger.outstanding_minor <= 0:
        raise ServiceError(_("Nothing is left to pay."))
    for payment in existing:  # replace a plan that has not started
        payment.status = P.CANCELLED
        payments.record(payment, "cancelled", detail="replaced by a new plan")
        reminders.sync(payment)
    flight = booking.flight
    due_dates = [max(at, now) for at in monthly_due_dates(booking, installments)]
    kind = PaymentKind.BALANCE if installments == 1 else PaymentKind.INSTALLMENT
    rows = []
    for sequence, (amount, due) in enumerate(zip(split(ledger.outstanding_minor, installments), due_dates), 1):
        payment = Payment(
            booking_id=booking.id, kind=kind, sequence=sequence if installments > 1 else 0,
            amount_minor=amount, currency=flight.currency, due_at=due, status=P.SCHEDULED,
            provider=payments.provider().name, off_session=bool(booking.card_token),
        )
        db.session.add(payment)
        rows.append(payment)
    db.session.flush()
    for payment in rows:
        payments.record(payment, "scheduled", amount_minor=payment.amount_minor)
        reminders.sync(payment)
    return Plan(rows)


def save_card(booking: Booking, user: User, *, token: str, last4: str) -> None:
    """Record the card the tourist agreed may be charged for this booking's balance."""
    if booking.user_id != user.id:
        raise ServiceError(_("This booking is not yours."))
    booking.card_token = token
    booking.card_last4 = last4
    booking.card_saved_at = now_utc()
    for payment in balance_payments(booking):
        if payment.status in (P.SCHEDULED, P.FAILED):
            payment.off_session = True


def start_payment_by_hand(payment: Payment, user: User) -> Payment:
    """A balance or installment the tourist pays now, in the checkout."""
    if payment.booking.user_id != user.id:
        raise ServiceError(_("This payment is not yours."))
    if payment.status is P.SUCCEEDED:
        raise ServiceError(_("This payment is already paid."))
    if payment.status is P.CANCELLED:
        raise ServiceError(_("This payment was cancelled: it is no longer owed."))
    payment.automatic_attempt = False
    if payment.provider_payment_id is None:
        try:
            intent = payments.provider().create_intent(payment, customer_email=user.email)
        except PaymentError:
            raise ServiceError(_("The payment service is not answering. Please try again in a minute."))
        payment.provider_payment_id = intent.id
        payments.record(payment, "intent_created", amount_minor=payment.amount_minor, detail=intent.id)
    payment.status = P.PENDING
    return payment


# -- automatic charges (a Celery beat task) --------------------------------------------------------

def due_payment_ids(now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or now_utc()
    return list(db.session.scalars(
        select(Payment.id).join(Booking, Booking.id == Payment.booking_id).where(
            Payment.kind.in_([PaymentKind.BALANCE, PaymentKind.INSTALLMENT]),
            Payment.status.in_([P.SCHEDULED, P.FAILED]),
            Payment.due_at <= now,
            or_(Payment.next_attempt_at.is_(None), Payment.next_attempt_at <= now),
            Payment.attempts <= len(RETRY_AFTER_DAYS),
            Booking.state == BookingState.CONFIRMED,
            and_(Booking.card_token.is_not(None)),
        ).order_by(Payment.due_at, Payment.id).limit(limit)
    ))


def charge(payment_id: int, now: datetime | None = None) -> str:
    """One automatic attempt at one due payment. The row is locked for the whole attempt, so two
    workers never charge the same payment; the attempt's idempotency key makes a retried request
    to the provider harmless."""
    now = now or now_utc()
    payment = payments.lock_payment(payment_id)
    booking = payment.booking
    if payment.status not in (P.SCHEDULED, P.FAILED) or payment.due_at > now or not booking.card_token:
        return "not due"
    if payment.next_attempt_at is not None and payment.next_attempt_at > now:
        return "not due"
    payment.status = P.PENDING
    payment.automatic_attempt = True  # a decline, or a bank asking the tourist, is told to them
    payments.record(payment, "charge_attempt", amount_minor=payment.amount_minor,
                    detail=f"attempt {payment.attempts + 1}")
    try:
        intent = payments.provider().charge_saved_card(
            payment, card_token=booking.card_token, customer_id=booking.user.stripe_customer_id)
    except PaymentError as exc:
        payment.status = P.FAILED
        payment.attempts += 1
        payment.last_error = str(exc)
        _after_failure(payment, now)
        return "provider error"
    payment.provider_payment_id = payment.provider_payment_id or intent.id
    db.session.flush()
    result = payments.apply_intent(payment.id, intent)
    if result.payment.status is P.SUCCEEDED:
        booking.payment_overdue_at = None
        return "charged"
    _after_failure(result.payment, now)  # apply_intent told the tourist
    return "declined"


def _after_failure(payment: Payment, now: datetime) -> None:
    attempt = payment.attempts
    if attempt <= len(RETRY_AFTER_DAYS):
        payment.next_attempt_at = now + timedelta(days=RETRY_AFTER_DAYS[attempt - 1])
        payment.status = P.FAILED if payment.status is not P.REQUIRES_ACTION else payment.status
        return
    payment.next_attempt_at = None
    booking = payment.booking
    if booking.payment_overdue_at is None:
        booking.payment_overdue_at = now
        payments.record(payment, "overdue", detail="no automatic attempt left")
        outbox.queue_email("payment_overdue", user=booking.user, payment=payment, booking=booking,
                              flight=booking.flight,
                              url=external_url("payments.tourist.checkout", payment_id=payment.id))


def move_due_dates(flight: Flight, delta: timedelta) -> list[tuple[Payment, datetime]]:
    """The launch moved by ``delta``: payments still to come move with it (never into the past),
    each still at the charge hour in the tourist's time zone and none after the balance is due.
    Returns each payment moved with its due date before."""
    now = now_utc()
    moved: list[tuple[Payment, datetime]] = []
    due_by = balance_due_at(flight)
    for payment in db.session.scalars(
        select(Payment).join(Booking, Booking.id == Payment.booking_id).where(
            Booking.flight_id == flight.id,
            Payment.kind.in_([PaymentKind.BALANCE, PaymentKind.INSTALLMENT]),
            Payment.status.in_([P.SCHEDULED, P.FAILED]),
        ).options(selectinload(Payment.booking).selectinload(Booking.user))
    ):
        booking = payment.booking
        at = at_charge_time(payment.due_at + delta, booking.user)
        if at > due_by:
            at = final_due_at(booking)
        before = payment.due_at
        payment.due_at = max(at, now)
        payments.record(payment, "rescheduled", detail="launch moved")
        reminders.sync(payment)
        moved.append((payment, before))
    log.info("flight %s moved by %s: %s payments rescheduled", flight.id, delta, len(moved))
    return moved

