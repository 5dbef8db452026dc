"""The payments domain's share of a tourist's data: what they paid and were refunded. On erasure
a confirmed booking whose flight has not flown is cancelled under the cancellation policy (the
tourist was shown the refund before asking), and the records of money stay, under tax law, for
``financial_records`` days after the booking ended; the saved card goes at once."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, get_locale
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import contains_eager

from app import personal_data
from app.booking.privacy import LAUNCH, ended_before
from app.errors import ServiceError
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import Booking, BookingState, Flight, Payment, PaymentEvent, Refund, Role, User
from app.money import format_money
from app.payments import cancellations
from app.payments.payments import provider
from app.personal_data import NOW, USER_ID, Consequence, Kept, Outcome, Part, Retention, Rule
from app.providers.payments import PaymentError
from app.timeutil import now_utc

RULE = "financial_records"


def _payments(user: User) -> list[Payment]:
    return list(db.session.scalars(select(Payment).join(Booking).where(Booking.user_id == user.id)
                                   .order_by(Payment.booking_id, Payment.id)))


def _export(user: User) -> dict:
    return {"payments": [{
        "booking": p.booking.reference,
        **personal_data.record(p, "kind", "sequence", "amount_minor", "currency", "due_at", "status",
                               "paid_at", "refunded_minor"),
        "refunds": [personal_data.record(r, "amount_minor", "kind", "reason", "status", "created_at")
                    for r in p.refunds],
    } for p in _payments(user)]}


#: SQL: the tourist's confirmed bookings whose flight has not launched (one that has is the
#: participant's record): erasure cancels them.
_CANCELLED = (Booking.user_id == USER_ID) & (Booking.state == BookingState.CONFIRMED) & (Flight.launch_at > NOW)


#: Each booking's flight from the join the condition needs (the flight a booking loads by default
#: would be a second join of the same table).
_TO_CANCEL = (select(Booking).join(Flight, Flight.id == Booking.flight_id).where(_CANCELLED)
              .options(contains_eager(Booking.flight)).order_by(Booking.id))


def _to_cancel(user: User) -> list[Booking]:
    return list(db.session.scalars(_TO_CANCEL, {USER_ID.key: user.id, NOW.key: now_utc()}))


FACTS = {
    # _CANCELLED with the flight's launch looked up, not joined (cheaper to plan: booking's LAUNCH).
    "to_cancel": exists().where(Booking.user_id == USER_ID, Booking.state == BookingState.CONFIRMED, LAUNCH > NOW),
    "paid": exists().where(Payment.booking_id == Booking.id, Booking.user_id == USER_ID),
}


def _preview(user: User, facts: dict) -> list[Consequence]:
    out = []
    bookings = _to_cancel(user) if facts["to_cancel"] else []
    quotes = cancellations.quotes(bookings)  # two queries for them all
    for booking in bookings:
        quote = quotes[booking.id]
        flight, date = booking.flight.name, format_datetime(booking.flight.launch_at, "medium")
        if quote.paid_minor:
            text = _("Your booking %(reference)s on %(flight)s (%(date)s) is cancelled under the cancellation policy: "
                     "you get back %(amount)s of what you paid, and you can no longer fly with it.",
                     reference=booking.reference, flight=flight, date=date,
                     amount=format_money(quote.refund_minor, quote.currency, str(get_locale() or "en")))
        else:
            text = _("Your booking %(reference)s on %(flight)s (%(date)s) is cancelled, and you can no longer fly "
                     "with it.", reference=booking.reference, flight=flight, date=date)
        out.append(Consequence(text, warning=True))
    if facts["paid"]:
        out.append(Consequence(_("The records of your payments and refunds are kept as tax law requires."),
                               rule=RULE))
    return out


def _erase(user: User, actor: User | None) -> Outcome:
    for booking in _to_cancel(user):
        cancellations.cancel_booking(booking, actor or user, reason="erasure of the tourist's data")
    payments = _payments(user)
    erased = 0
    forget = getattr(provider(), "forget_customer", None)  # the sandbox keeps no customers
    if user.stripe_customer_id and forget is not None:
        try:
            forget(user.stripe_customer_id)  # their name, email and saved cards at Stripe
        except PaymentError as exc:  # the part runs again at the next sweep
            raise ServiceError(_("The payment service could not delete the customer; erasure goes on later.")) from exc
        erased += 1
    for payment in payments:
        if payment.last_error:
            payment.last_error = ""
            erased += 1
    return Outcome(erased=erased, kept=[Kept(RULE, _l("payments"), len(payments))] if payments else [])


def _apply(cutoff: datetime, limit: int) -> int:
    ids = list(db.session.scalars(select(Payment.id).join(Booking).join(Flight, Flight.id == Booking.flight_id)
                                  .where(ended_before(cutoff)).order_by(Payment.id).limit(limit)))
    if not ids:
        return 0
    db.session.execute(delete(PaymentEvent).where(PaymentEvent.payment_id.in_(ids)))
    db.session.execute(delete(Refund).where(Refund.payment_id.in_(ids)))
    return db.session.execute(delete(Payment).where(Payment.id.in_(ids))).rowcount


personal_data.register_rule(Rule(
    RULE, _l("Financial records"),
    _l("Tax and accounting law requires the operator to keep records of payments and refunds (ten years in "
       "Germany and Italy, seven in the United States)."),
    roles=(Role.OPERATIONS,), retention="financial_records",
    position=30,
))
personal_data.register_retention(Retention(
    "financial_records", _l("Payments and refunds"), _l("the booking ended (flown, or cancelled)"),
    _l("Tax and accounting law."), default_days=3650, apply=_apply, position=20,
))
personal_data.register_part(Part("payments", _l("Payments and refunds"), position=30, erase_order=20,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))


