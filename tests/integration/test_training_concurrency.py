"""Many tourists at a training session's last places at once: exactly the free places are booked,
never one more. As for seats (tests/integration/test_concurrency.py), each attempt runs in its own
thread, session and connection, released together by a barrier; on PostgreSQL the attempts queue
on the session row's ``FOR UPDATE`` lock."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.booking.bookings import new_reference
from app.extensions import db
from app.models import Booking, BookingState, PlaceState, SessionPlace, TrainingEvent, User
from app.training import places
from tests.conftest import Factory
from tests.integration.support import add_tourists, race
from tests.integration.test_concurrency import wide_app  # noqa: F401  (a fixture)

RACES = [
    pytest.param(30, 2, marks=pytest.mark.postgres, id="30-tourists-2-places"),
    pytest.param(8, 1, id="8-tourists-1-place"),
]


def _setup(attempts: int, free: int) -> tuple[int, dict[int, int]]:
    """A session with ``free`` places left (one taken already), and ``attempts`` tourists, each
    with a confirmed booking on a flight whose plan requires its module."""
    make = Factory()
    flight = make.flight(seat_count=100)
    training = make.training(vehicle=flight.vehicle, capacity=free + 1)
    users = add_tourists(attempts + 1, prefix="trainee")
    bookings = {}
    for user in users:
        booking = Booking(reference=new_reference(), flight_id=flight.id, user_id=user.id,
                          state=BookingState.CONFIRMED)
        db.session.add(booking)
        db.session.flush()
        bookings[user.id] = booking.id
    first = users[0]
    places.book_place(training.classroom_session.id, db.session.get(Booking, bookings[first.id]), first)
    session_id, first_id = training.classroom_session.id, first.id
    db.session.commit()
    db.session.remove()
    return session_id, {uid: bid for uid, bid in bookings.items() if uid != first_id}


@pytest.mark.parametrize("attempts, free", RACES)
def test_the_last_places_of_a_session_are_never_sold_twice(committed_db, wide_app, attempts, free):  # noqa: F811
    session_id, bookings = _setup(attempts, free)

    def book(user_id: int) -> tuple[str, int]:
        user = db.session.get(User, user_id)
        return "booked", places.book_place(session_id, db.session.get(Booking, bookings[user_id]), user).id

    outcomes = race(wide_app, list(bookings), book, places.SessionFull, "full")

    kinds = Counter(kind for kind, _ in outcomes.values())
    assert kinds == {"booked": free, "full": attempts - free}, [
        o for o in outcomes.values() if o[0] not in ("booked", "full")] or kinds
    db.session.remove()
    rows = db.session.execute(select(SessionPlace.id, SessionPlace.user_id, SessionPlace.state)
                              .where(SessionPlace.session_id == session_id)).all()
    assert len(rows) == free + 1 and all(state is PlaceState.BOOKED for _, _, state in rows)
    winners = {uid: pid for uid, (kind, pid) in outcomes.items() if kind == "booked"}
    assert {uid: pid for pid, uid, _ in rows if uid in winners} == winners
    assert places.places_taken(session_id) == free + 1
    events = db.session.scalars(select(TrainingEvent.place_id).where(
        TrainingEvent.place_id.in_([pid for pid, _, _ in rows]))).all()
    assert sorted(events) == sorted(pid for pid, _, _ in rows), "one 'booked' event per place"
