"""`flask seed-demo` is safe to run again, whatever the demo was used for in between."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts import accounts
from app.booking import flights as flight_service
from app.extensions import db
from app.models import Booking, BookingState, Flight, FlightStatus, User
from app.payments import cancellations
from app.seed import SEAT_FILLERS, seed_demo


def _flight(name: str) -> Flight:
    return db.session.scalar(select(Flight).where(Flight.name == name))


def _bookings() -> list[tuple[int, int, BookingState]]:
    return [tuple(row) for row in db.session.execute(select(Booking.flight_id, Booking.user_id, Booking.state)
                                   .order_by(Booking.id)).all()]


def test_seed_twice_around_what_users_changed(db_session):
    first = seed_demo()
    assert "5 new flights" in first
    flights = db.session.scalar(select(func.count(Flight.id)))
    ops = accounts.find_by_email("ops@example.com")
    tourist = accounts.find_by_email("tourist@example.com")

    # Operations cancel Kármán Twilight; the demo tourist gives up their seat on Kármán Dawn.
    twilight = _flight("Kármán Twilight")
    flight_service.cancel_flight(twilight, ops, "Range closed")
    dawn = _flight("Kármán Dawn")
    mine = db.session.scalar(select(Booking).where(Booking.user_id == tourist.id, Booking.flight_id == dawn.id))
    cancellations.cancel_booking(mine, tourist, "changed my mind")
    # A seat filler changed their email address: the seed makes the account again and would book it.
    filler = accounts.find_by_email(SEAT_FILLERS[0][0])
    filler.email = "renamed@example.com"
    db.session.flush()
    before = _bookings()

    second = seed_demo()

    assert "0 new flights" in second
    assert db.session.scalar(select(func.count(Flight.id))) == flights
    assert _flight("Kármán Twilight").status is FlightStatus.CANCELLED
    # Nothing cancelled came back, and nothing was booked on the cancelled flight.
    assert _bookings() == before
    assert "Kármán Twilight: " in second and "not open for booking" in second
    assert db.session.scalar(select(func.count(User.id)).where(User.email == SEAT_FILLERS[0][0])) == 1

    assert "0 new flights" in seed_demo()  # and a third time
