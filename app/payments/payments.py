"""Money: deposits, applying what the provider says, webhooks, refunds, and the ledger.

Two rules hold everywhere. Money is never charged twice: each payment row has one provider intent,
created with an idempotency key derived from the row, and applying an intent locks the row first
and does nothing when it is already applied (the browser's return and the webhook race). And
nothing is trusted from outside: a webhook only says "look at intent X"; we fetch X from the
provider and apply what it says.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.booking import bookings as booking_service
from app.documents import consent
from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import outbox, reminders
from app.models import Booking, User
from app.models.payments import (
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundKind,
    WebhookEvent,
)
from app.money import format_money
from app.providers.payments import (
    Intent,
    PaymentError,
    SandboxProvider,
    UnknownIntent,
    payments_provider,
)
from app.timeutil import now_utc

log = logging.getLogger(__name__)
P = PaymentStatus


def provider():
    return payments_provider(current_app)


def record(payment: Payment, kind: str, *, amount_minor: int = 0, detail: str = "",
           actor: User | None = None) -> None:
    db.session.add(PaymentEvent(
        payment_id=payment.id, kind=kind, amount_minor=amount_minor, detail=detail,
        actor_id=actor.id if actor is not None else None,
    ))


def lock_payment(payment_id: int) -> Payment:
    return db.session.execute(
        select(Payment).where(Payment.id == payment_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


# -- deposit --------------------------------------------------------------------------------------

def deposit_of(booking: Booking) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.booking_id == booking.id, Payment.kind == PaymentKind.DEPOSIT)
    )


def start_deposit(booking: Booking, user: User) -> Payment:
    """The deposit's payment row and provider intent, made once however often this is called."""
    if booking.user_id != user.id:
        raise ServiceError(_("This booking is not yours."))
    existing = deposit_of(booking)
    if existing is not None and existing.status is P.SUCCEEDED:
        raise ServiceError(_("The deposit is already paid."))
    if not booking.hold_is_live():
        raise ServiceError(_("Your seat hold has expired. Hold a seat again to pay."))
    if not consent.statuses([booking])[booking.id].signed:
        raise ServiceError(_("Sign the informed consent before paying: no money is taken before."))
    if existing is not None and existing.provider_payment_id:
        return existing
    flight = booking.flight
    payment = existing or Payment(
        booking_id=booking.id, kind=PaymentKind.DEPOSIT, amount_minor=flight.deposit_minor,
        currency=flight.currency, due_at=now_utc(), provider=provider().name,
    )
    db.session.add(payment)
    db.session.flush()
    try:
        intent = provider().create_intent(payment, customer_email=user.email)
    except PaymentError:
        log.warning("payment %s: provider refused to create an intent", payment.id)
        raise ServiceError(_("The payment service is not answering. Please try again in a minute."))
    payment.provider_payment_id = intent.id
    payment.status = P.PENDING
    payment.automatic_attempt = False
    record(payment, "intent_created", amount_minor=payment.amount_minor, detail=intent.id)
    return payment


# -- applying what the provider says ---------------------------------------------------------------

@dataclass(frozen=True)
class Applied:
    payment: Payment
    changed: bool


def apply_intent(payment_id: int, intent: Intent) -> Applied:
    """Bring our payment row in line with the provider's intent, once. Locks the row."""
    payment = lock_payment(payment_id)
    if payment.status is P.SUCCEEDED:
        return Applied(payment, False)  # already applied: the other of browser and webhook won
    if payment.status is P.CANCELLED:
        # No longer owed: it never becomes paid. Money that reached the provider anyway goes back.
        if intent.succeeded and payment.provider_payment_id in (None, intent.id):
            return Applied(payment, _refund_after_cancel(payment, intent))
        return Applied(payment, False)
    if payment.provider_payment_id not in (None, intent.id):
        log.error("payment %s: intent %s is not this payment's intent", payment.id, intent.id)
        return Applied(payment, False)
    payment.provider_payment_id = intent.id
    if intent.amount_minor != payment.amount_minor or intent.currency.upper() != payment.currency:
        # Never apply money that is not what we asked for; leave it to operations, visibly.
        log.error("payment %s: intent %s amount does not match", payment.id, intent.id)
        record(payment, "amount_mismatch", amount_minor=intent.amount_minor,
               detail=f"{intent.id}: {intent.amount_minor} {intent.currency}")
        return Applied(payment, False)
    if intent.succeeded:
        payment.status = P.SUCCEEDED
        payment.paid_at = now_utc()
        payment.provider_charge_id = intent.charge_id
        payment.last_error = ""
        record(payment, "succeeded", amount_minor=payment.amount_minor, detail=intent.id)
        _after_success(payment)
        return Applied(payment, True)
    # Only an automatic charge is told by message: a decline on the checkout page is shown there.
    if intent.status == "requires_action":
        if payment.status is not P.REQUIRES_ACTION:
            payment.status = P.REQUIRES_ACTION
            record(payment, "requires_action", detail=intent.id)
            if payment.automatic_attempt:
                payment.attempts += 1
                reminders.notify("charge_failed", payment, occurrence=f"action-{payment.attempts}")
            return Applied(payment, True)
        return Applied(payment, False)
    if intent.failed and payment.status is not P.FAILED:
        payment.status = P.FAILED
        payment.attempts += 1
        payment.last_error = intent.error
        record(payment, "failed", amount_minor=payment.amount_minor, detail=intent.error)
        if payment.automatic_attempt:
            reminders.notify("charge_failed", payment, occurrence=f"attempt-{payment.attempts}")
        return Applied(payment, True)
    return Applied(payment, False)


def _refund_after_cancel(payment: Payment, intent: Intent) -> bool:
    """A cancelled payment was paid at the provider anyway (a checkout left open, a webhook
    late): record the money and give it back, as for a late deposit whose seat is gone. The
    payment stays cancelled."""
    if payment.refunded_minor >= intent.amount_minor or not intent.charge_id:
        return False  # already given back
    payment.provider_payment_id = intent.id
    payment.provider_charge_id = intent.charge_id
    record(payment, "paid_after_cancel", amount_minor=intent.amount_minor, detail=intent.id)
    amount = intent.amount_minor - max(payment.refunded_minor, intent.refunded_minor)
    if amount > 0:
        refund = new_refund(payment, amount_minor=amount, actor_id=None,
                            reason="payment arrived after it was cancelled")
        try:
            refund.provider_refund_id = provider().refund(payment, refund)
        except PaymentError:
            log.error("payment %s: paid after it was cancelled and the refund failed", payment.id)
            refund.status = "failed"
            record(payment, "refund_failed", amount_minor=amount, detail="paid after it was cancelled")
            return True
        refund.status = "succeeded"
        record(payment, "refunded", amount_minor=amount, detail=refund.reason)
    payment.refunded_minor = intent.amount_minor
    booking = payment.booking
    outbox.queue_email("payment_refunded_cancelled", user=booking.user, payment=payment,
                          booking=booking, flight=booking.flight)
    return True


def _after_success(payment: Payment) -> None:
    reminders.sync(payment)  # nothing more is due: its reminders are dropped
    booking = payment.booking
    outbox.queue_email("payment_receipt", user=booking.user, payment=payment, booking=booking,
                          flight=booking.flight)
    if payment.kind is not PaymentKind.DEPOSIT:
        booking.payment_overdue_at = None
        return
    if booking_service.secure_paid_seat(booking):
        return
    # The hold lapsed and the seat went to someone else: give the money back, and say so.
    refund_payment(payment, payment.amount_minor,
                   reason="seat no longer available when the deposit arrived", actor=None,
                   kind=RefundKind.SEAT_GONE)
    outbox.queue_email("deposit_refunded_seat_gone", user=booking.user, payment=payment,
                          booking=booking, flight=booking.flight)


def pay_in_sandbox(payment: Payment, card_number: str) -> str:
    """The sandbox checkout: the sandbox's intent takes the test card, then an event with a fresh
    id goes through :func:`handle_event`, exactly as a Stripe webhook would."""
    provider_ = provider()
    if not isinstance(provider_, SandboxProvider):
        raise PaymentError("the sandbox checkout needs the sandbox provider")
    if payment.status is P.FAILED:
        payment.status = P.PENDING  # a new attempt
    payment.automatic_attempt = False  # the tourist is at the checkout
    intent = provider_.pay(payment.provider_payment_id, card_number)
    event_type = "payment_intent.succeeded" if intent.succeeded else "payment_intent.payment_failed"
    return handle_event("sandbox", f"evt_sandbox_{secrets.token_hex(12)}", event_type, intent.id)


def sync_payment(payment: Payment) -> Applied:
    """Fetch the payment's intent from the provider and apply it (the browser's return path)."""
    intent = provider().retrieve_intent(payment.provider_payment_id)
    return apply_intent(payment.id, intent)


# -- webhooks -------------------------------------------------------------------------------------

HANDLED = {
    "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.requires_action",
    "charge.refunded", "charge.dispute.created",
}


def handle_event(provider_name: str, event_id: str, event_type: str, object_id: str) -> str:
    """Handle one provider event at most once. Returns what happened, for the logs."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(WebhookEvent(provider=provider_name, event_id=event_id, type=event_type))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return "duplicate"
    savepoint.commit()
    if event_type not in HANDLED:
        return "ignored"
    if event_type.startswith("payment_intent."):
        payment = db.session.scalar(select(Payment).where(Payment.provider_payment_id == object_id))
        try:
            intent = provider().retrieve_intent(object_id)
        except UnknownIntent:
            # Signed, but naming an intent the provider does not have: nothing to apply, ever.
            return "unknown intent"

        if payment is None and intent.payment_id is not None:
            # An automatic charge whose transaction has not committed the intent's id yet: the
            # intent names our row. apply_intent waits for that transaction's lock on the row.
            payment = db.session.get(Payment, intent.payment_id)
            if payment is not None and payment.provider_payment_id not in (None, object_id):
                payment = None  # the metadata names a row that belongs to another intent
        if payment is None:
            return "unknown intent"
        applied = apply_intent(payment.id, intent)
        return "applied" if applied.changed else "unchanged"
    if event_type == "charge.refunded":
        return _sync_refunds_for_charge(object_id)
    if event_type == "charge.dispute.created":
        return _flag_dispute(object_id)
    return "ignored"


def _payment_for_charge(charge_id: str) -> Payment | None:
    payment = db.session.scalar(select(Payment).where(Payment.provider_charge_id == charge_id))
    if payment is None and hasattr(provider(), "retrieve_charge_payment_intent"):
        intent_id = provider().retrieve_charge_payment_intent(charge_id)
        if intent_id:
            payment = db.session.scalar(select(Payment).where(Payment.provider_payment_id == intent_id))
    return payment


def _sync_refunds_for_charge(charge_id: str) -> str:
    payment = _payment_for_charge(charge_id)
    if payment is None:
        return "unknown charge"
    intent = provider().retrieve_intent(payment.provider_payment_id)
    payment = lock_payment(payment.id)
    if intent.refunded_minor > payment.refunded_minor:
        extra = intent.refunded_minor - payment.refunded_minor
        payment.refunded_minor = intent.refunded_minor
        # Never sent to the provider (it made it): the key only keeps the refunds' places.
        refund = new_refund(payment, amount_minor=extra, kind=RefundKind.PROVIDER,
                            reason="refund made at the provider, outside Countdown", status="succeeded")
        record(payment, "refunded_outside", amount_minor=extra,
               detail="refund made at the provider, outside Countdown")
        _tell_tourist(refund)
        return "refund recorded"
    return "unchanged"


def _flag_dispute(dispute_id: str) -> str:
    charge_id = provider().retrieve_dispute_charge(dispute_id) if hasattr(provider(), "retrieve_dispute_charge") else None
    payment = _payment_for_charge(charge_id) if charge_id else None
    if payment is None:
        return "unknown dispute"
    payment = lock_payment(payment.id)
    if payment.disputed_at is None:
        payment.disputed_at = now_utc()
        record(payment, "disputed", amount_minor=payment.amount_minor, detail=dispute_id)
    return "dispute flagged"


# -- refunds --------------------------------------------------------------------------------------

def refundable_minor(payment: Payment) -> int:
    """The most that can still be refunded of ``payment``: what was paid less what went back."""
    return max(payment.amount_minor - payment.refunded_minor, 0)


def refund_problems(payment: Payment, amount_minor: int | None, reason: str | None) -> list[ServiceError]:
    """What is wrong with a refund of ``amount_minor`` (None: the form could not read it) for
    ``reason``, each at its field: at most what is left of the payment, and always a reason."""
    problems = Problems()
    left = refundable_minor(payment)
    if amount_minor is not None and (amount_minor <= 0 or amount_minor > left):
        problems.add(_("A refund must be more than zero and at most what is left of the payment (%(left)s).",
                       left=format_money(left, payment.currency, str(get_locale() or "en"))), "amount")
    if reason is not None and not reason.strip():
        problems.add(_("Give a reason for the refund."), "reason")
    return problems.errors


def new_refund(payment: Payment, **values) -> Refund:
    """A refund row of ``payment`` (locked by the caller), keyed for the provider by its place among
    the payment's refunds: a refund whose transaction rolled back after the provider made it (a
    worker killed in between) is asked again under the same key, and the provider makes it once."""
    place = (db.session.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)) or 0) + 1
    refund = Refund(payment_id=payment.id, idempotency_key=f"countdown-refund-{payment.id}-{place}", **values)
    db.session.add(refund)
    db.session.flush()
    return refund


def refund_payment(payment: Payment, amount_minor: int, *, reason: str, actor: User | None,
                   kind: RefundKind = RefundKind.OPERATOR) -> Refund:
    """Give back part or all of a payment. An operator's refund (``kind`` OPERATOR) is told to the
    tourist at once with its reason; the system's refunds are told by their own messages."""
    payment = lock_payment(payment.id)
    if payment.status is not P.SUCCEEDED:
        raise ServiceError(_("Only a payment that went through can be refunded."))
    Problems(refund_problems(payment, amount_minor, reason)).raise_any()
    refund = new_refund(payment, amount_minor=amount_minor, reason=reason.strip(), kind=kind,
                        actor_id=actor.id if actor else None)
    try:
        refund.provider_refund_id = provider().refund(payment, refund)
    except PaymentError:
        raise ServiceError(_("The payment service refused the refund. Nothing was refunded."))
    refund.status = "succeeded"
    payment.refunded_minor += amount_minor
    record(payment, "refunded", amount_minor=amount_minor, detail=reason.strip(), actor=actor)
    if kind is RefundKind.OPERATOR:
        _tell_tourist(refund)
    return refund


def _tell_tourist(refund: Refund) -> None:
    """The tourist hears of a refund they did not ask for: in the app and on their channels."""
    reminders.notify("refund_issued", refund)


# -- the ledger -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ledger:
    currency: str
    price_minor: int
    paid_minor: int      # gross: every payment that went through, refunds not taken off
    refunded_minor: int
    payments: list[Payment]
    live: bool = True    # the booking holds a seat (confirmed, or a hold still running)

    @property
    def net_paid_minor(self) -> int:
        return self.paid_minor - self.refunded_minor

    @property
    def outstanding_minor(self) -> int:
        """What is still owed: the price less what was paid. A refund gives money back and owes
        nothing (a goodwill refund is not a debt), and a booking without a seat owes nothing."""
        if not self.live:
            return 0
        return max(self.price_minor - self.paid_minor, 0)

    @property
    def deposit_paid(self) -> bool:
        return any(p.kind is PaymentKind.DEPOSIT and p.status is P.SUCCEEDED for p in self.payments)


@functools.cache
def _ledgers_statement():
    """Built once (with its loader option, it costs more to build than to run)."""
    return (select(Payment).where(Payment.booking_id.in_(bindparam("ids", expanding=True)))
            .options(joinedload(Payment.refunds)).order_by(Payment.due_at, Payment.id))  # one query


def ledgers(bookings: list[Booking]) -> dict[int, Ledger]:
    """Money per booking, for many bookings in one query."""
    ids = [b.id for b in bookings]
    by_booking: dict[int, list[Payment]] = {i: [] for i in ids}
    if ids:
        for payment in db.session.scalars(_ledgers_statement(), {"ids": ids}).unique():
            by_booking[payment.booking_id].append(payment)
    result = {}
    for booking in bookings:
        payments = by_booking[booking.id]
        paid = sum(p.amount_minor for p in payments if p.status is P.SUCCEEDED)
        # A cancelled payment paid anyway and given back is neither paid nor refunded here.
        refunded = sum(p.refunded_minor for p in payments if p.status is P.SUCCEEDED)
        live = booking.state.value == "confirmed" or booking.hold_is_live()
        result[booking.id] = Ledger(booking.flight.currency, booking.flight.price_minor, paid, refunded,
                                    payments, live)
    return result


def ledger_facts() -> dict[str, object]:
    """What the readiness gates read of a booking's :class:`Ledger`, as SQL per booking (for the
    engine's statement of facts over ``bookings``): ``paid``, :attr:`Ledger.paid_minor`, and
    ``deposit_paid``, :attr:`Ledger.deposit_paid`."""
    succeeded = and_(Payment.booking_id == Booking.id, Payment.status == P.SUCCEEDED)
    return {"paid": select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(succeeded)
            .correlate(Booking).scalar_subquery(),
            "deposit_paid": exists().where(succeeded, Payment.kind == PaymentKind.DEPOSIT).correlate(Booking)}


@dataclass(frozen=True)
class FlightMoney:
    currency: str
    collected_minor: int    # paid, less refunds
    outstanding_minor: int  # still owed by confirmed bookings
    overdue_minor: int      # owed and past due (a failed or unconfirmed charge after its due date)
    refunded_minor: int
    disputed_minor: int
    overdue_bookings: int
    disputes: int


def flight_money(currency: str, bookings: list[Booking], ledger_by_booking: dict[int, Ledger]) -> FlightMoney:
    now = now_utc()
    collected = outstanding = overdue = refunded = disputed = disputes = 0
    overdue_bookings = 0
    for booking in bookings:
        ledger = ledger_by_booking[booking.id]
        collected += ledger.paid_minor - ledger.refunded_minor
        refunded += ledger.refunded_minor
        if booking.state.value in ("confirmed", "flown"):
            outstanding += ledger.outstanding_minor
        late = [p for p in ledger.payments
                if p.status in (P.FAILED, P.REQUIRES_ACTION, P.SCHEDULED) and p.due_at < now]
        if late or booking.payment_overdue_at:
            overdue_bookings += 1
            overdue += sum(p.amount_minor for p in late)
        for payment in ledger.payments:
            if payment.disputed_at is not None:
                disputes += 1
                disputed += payment.amount_minor
    return FlightMoney(currency, collected, outstanding, overdue, refunded, disputed, overdue_bookings, disputes)
