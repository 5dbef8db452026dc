"""What payments do when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from app import signals
from app.payments import cancellations, installments


@signals.flight_rescheduled.connect
def move_due_dates(flight, *, moved_by, **_kwargs) -> None:
    """The launch moved: payments still to come move with it, by as much."""
    installments.move_due_dates(flight, moved_by)


@signals.flight_cancelled.connect
def refund_cancelled_flight(flight, *, bookings, actor, **_kwargs) -> dict[int, int]:
    """The flight was cancelled: everything paid comes back; says how much per booking."""
    return cancellations.refund_flight_cancellation(bookings, actor)
