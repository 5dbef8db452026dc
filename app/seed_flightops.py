"""Demo data: flight operations (``seed_flightops``). On Kármán Twilight, Yuri's balance is deferred
by agreement: operations overrode his "Paid in full" gate, with the reason, so the readiness
matrix shows an override beside tourists who are blocked and waiting. Kármán Prelude flew ten days
ago with the demo tourist and Yuri aboard: both have their certificate, Yuri answered the survey,
the demo tourist has it still to answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.booking import bookings as booking_service
from app.extensions import db
from app.flightops import after
from app.models import Booking, BookingState, Flight, FlightStatus, GateOverride, User
from app.timeutil import now_utc

DEFERRED = "Balance deferred to after the flight by written agreement (contract addendum 2)."
PRELUDE = "Kármán Prelude"


def seed_flightops(ops: User, tourist: User, yuri: User | None, flights: dict[str, Flight]) -> None:
    _override(ops, yuri, flights)
    if PRELUDE not in flights and yuri is not None:
        _flown_flight(ops, tourist, yuri)


def _override(ops: User, yuri: User | None, flights: dict[str, Flight]) -> None:
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


def _flown_flight(ops: User, tourist: User, yuri: User) -> None:
    now = now_utc().replace(second=0, microsecond=0)
    flight = Flight(name=PRELUDE, vehicle="Suborbital spaceplane SV-2", spaceport="Spaceport America, New Mexico",
                    description="The first flight of the season: a sunrise launch over the Jornada del Muerto.",
                    launch_at=now + timedelta(days=1), window_closes_at=now + timedelta(days=1, hours=6), seat_count=6,
                    currency="USD", price_minor=450_000_00, deposit_minor=150_000_00,
                    deposit_nonrefundable_minor=25_000_00, balance_due_days=90, status=FlightStatus.SCHEDULED)
    db.session.add(flight)
    db.session.flush()
    bookings = []
    for user in (tourist, yuri):
        booking = booking_service.hold_seat(flight.id, user)
        booking_service.transition(booking, BookingState.CONFIRMED, actor=ops, reason="demo data: deposit recorded")
        bookings.append(booking)
    # Ten days on: it flew.
    flight.launch_at = now - timedelta(days=10)
    flight.window_closes_at = flight.launch_at + timedelta(hours=6)
    db.session.flush()
    after.mark_flown(flight, flight.launch_at + timedelta(minutes=7), flight.launch_at + timedelta(minutes=19), ops)
    after.answer(bookings[1], after.Answers(5, 10, "Weightlessness, and the silence at apogee.",
                                            "A second window seat would have been nice."))
