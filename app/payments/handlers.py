"""What payments do when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import get_locale

from app import labels, signals
from app.formats import on_day, when
from app.i18n import gettext as _
from app.money import format_money
from app.payments import cancellations, installments


@signals.flight_rescheduled.connect
def move_due_dates(flight, *, moved_by, previous_launch_at, **_kwargs) -> list[signals.Impact]:
    """The launch moved: payments still to come move with it, by as much; the balance's deadline
    is counted from the launch. Says what moved."""
    due = timedelta(days=flight.balance_due_days)
    impacts = [signals.Impact("payments", _(
        "The balance is now due by %(new)s (was %(old)s).",
        new=on_day(flight.launch_at - due), old=on_day(previous_launch_at - due)))]
    locale = str(get_locale() or "en")
    for payment, before in installments.move_due_dates(flight, moved_by):
        impacts.append(signals.Impact("payments", _(
            "%(name)s (%(ref)s): %(kind)s of %(amount)s now due %(new)s (was %(old)s).",
            name=payment.booking.user.name, ref=payment.booking.reference, kind=labels.PAYMENT_KINDS[payment.kind],
            amount=format_money(payment.amount_minor, payment.currency, locale), new=when(payment.due_at),
            old=when(before))))
    return impacts


@signals.flight_cancelled.connect
def refund_cancelled_flight(flight, *, bookings, actor, **_kwargs) -> dict[int, int]:
    """The flight was cancelled: everything paid comes back; says how much per booking."""
    return cancellations.refund_flight_cancellation(bookings, actor)
