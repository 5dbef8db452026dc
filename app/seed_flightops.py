"""Demo data: flight operations (``seed_flightops``). On Kármán Twilight, Yuri's balance is deferred
by agreement: operations overrode his "Paid in full" gate, with the reason, so the readiness
matrix shows an override beside tourists who are blocked and waiting."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Booking, BookingState, Flight, GateOverride, User

DEFERRED = "Balance deferred to after the flight by written agreement (contract addendum 2)."


def seed_flightops(ops: User, yuri: User | None, flights: dict[str, Flight]) -> None:
    twilight = flights.get("Kármán Twilight")
    if twilight is None or yuri is None:
        return
    booking = db.session.scalar(select(Booking).where(
        Booking.flight_id == twilight.id, Booking.user_id == yuri.id, Booking.state == BookingState.CONFIRMED))
    if booking is None or db.session.scalar(select(GateOverride.id).where(
            GateOverride.booking_id == booking.id, GateOverride.gate == "paid")):
        return
    db.session.add(GateOverride(booking_id=booking.id, gate="paid", reason=DEFERRED, actor_id=ops.id))
    db.session.flush()
