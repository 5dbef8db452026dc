"""Telling a tourist's companions (who come to the launch and do not fly): those who gave a
mobile number get the launch-day news by SMS (a move, a scrub, each update), in the tourist's
language, once per companion and occurrence. Their numbers are travel data: encrypted at rest,
never shown to anyone but the tourist, logistics and operations."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select

from app.extensions import db
from app.messaging import outbox
from app.models import Booking, BookingState, Companion, Flight


def tell(flight: Flight, template: str, occurrence: str, context: Callable[[Booking], dict[str, Any]]) -> int:
    """Queue ``sms/<template>.txt`` to each companion with a number of the flight's bookings that
    hold a seat; returns how many were newly queued."""
    rows = db.session.execute(
        select(Companion, Booking).join(Booking, Booking.id == Companion.booking_id)
        .where(Booking.flight_id == flight.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .order_by(Companion.id)).all()
    told = 0
    for companion, booking in rows:
        if not companion.phone or not booking.holds_seat():
            continue
        text = outbox.render_sms(template, booking.user, companion=companion, tourist=booking.user,
                                 **context(booking))
        if outbox.queue_sms(template, companion.phone, text, f"{template}:{companion.id}:{occurrence}") is not None:
            told += 1
    return told
