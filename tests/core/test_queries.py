"""Pages load what they show in a fixed number of queries, whatever the data size."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import BookingState, Role
from app.timeutil import now_utc
from tests.conftest import login


@contextmanager
def count_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_flights(make, n, tourist=None):
    for _ in range(n):
        flight = make.flight(seat_count=4)
        booking_service.hold_seat(flight.id, make.user())
        confirmed = booking_service.hold_seat(flight.id, make.user())
        booking_service.transition(confirmed, BookingState.CONFIRMED)
        if tourist is not None:
            booking_service.hold_seat(flight.id, tourist)


def queries_for(client, path) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/flights", "/flights?available=1&spaceport=Spaceport+America"])
def test_catalog_queries_do_not_grow_with_flights(client, make, path):
    add_flights(make, 2)
    db.session.commit()
    small = queries_for(client, path)
    add_flights(make, 12)
    db.session.commit()
    assert queries_for(client, path) == small


def test_journey_queries_do_not_grow_with_bookings(client, make):
    make.consent_document()
    tourist = make.user()
    add_flights(make, 1, tourist)
    db.session.commit()
    login(client, tourist)
    small = queries_for(client, "/journey")
    add_flights(make, 8, tourist)
    db.session.commit()
    large = queries_for(client, "/journey")
    assert large == small
    assert client.get("/journey").get_data(as_text=True).count('class="journey-booking"') == 9


def test_journey_launch_panels_cost_the_same_queries_for_one_or_three_flights_this_week(client, make):
    """Each flight launching within a week has a live panel on the journey (its timeline and its
    launch page's address): loaded for all of them at once, with its own updates only."""
    from app.flightops import updates
    from app.models import UpdateKind

    make.consent_document()
    tourist = make.user()
    ops = make.user(role=Role.OPERATIONS)

    def soon_flight(day: int):
        flight = make.flight(launch_at=now_utc() + timedelta(days=day, hours=3))
        booking_service.hold_seat(flight.id, tourist)
        updates.post(flight, UpdateKind.WEATHER, f"Winds calm on day {day}", ops)
        return flight

    soon_flight(2)
    db.session.commit()
    login(client, tourist)
    small = queries_for(client, "/journey")
    soon_flight(4)
    soon_flight(6)
    db.session.commit()
    assert queries_for(client, "/journey") == small
    page = client.get("/journey").get_data(as_text=True)
    assert page.count('class="countdown-clock"') == 3
    for day in (2, 4, 6):
        assert page.count(f"Winds calm on day {day}") == 1  # each panel shows its own flight's update


def test_ops_flights_queries_do_not_grow(client, make):
    ops = make.user(Role.OPERATIONS)
    add_flights(make, 2)
    db.session.commit()
    login(client, ops)
    small = queries_for(client, "/ops/flights")
    add_flights(make, 10)
    db.session.commit()
    assert queries_for(client, "/ops/flights") == small


def test_ops_flight_page_queries_do_not_grow_with_bookings(client, make):
    ops = make.user(Role.OPERATIONS)
    make.consent_document()
    flight = make.flight(seat_count=40)
    for _ in range(2):
        booking_service.hold_seat(flight.id, make.user())
    db.session.commit()
    login(client, ops)
    small = queries_for(client, f"/ops/flights/{flight.id}")
    for _ in range(15):
        booking_service.hold_seat(flight.id, make.user())
    db.session.commit()
    assert queries_for(client, f"/ops/flights/{flight.id}") == small


def test_journey_queries_do_not_grow_with_earlier_bookings(client, make):
    """Earlier bookings are links with a line each (refund, flight change): no query per booking."""
    from app.booking import flights
    from app.models import Role

    make.consent_document()
    tourist = make.user()
    ops = make.user(Role.OPERATIONS)

    def add_cancelled(n):
        for _ in range(n):
            booking = make.booking(tourist)
            flights.cancel_flight(booking.flight, ops, "weather")

    add_cancelled(1)
    db.session.commit()
    login(client, tourist)
    small = queries_for(client, "/journey")
    add_cancelled(6)
    db.session.commit()
    assert queries_for(client, "/journey") == small
    assert client.get("/journey").get_data(as_text=True).count("flight cancelled on") == 7


def _booking_with_history(make, refunds: int, moves: int):
    """A paid deposit with ``refunds`` goodwill refunds and a flight that moved ``moves`` times."""
    from datetime import timedelta

    from app.booking import flights
    from app.payments import payments
    from tests.payments.test_money_and_status import flight_data, paid_deposit

    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    [deposit] = payments.ledgers([booking])[booking.id].payments
    for _ in range(refunds):
        payments.refund_payment(deposit, 100_00, reason="goodwill", actor=ops)
    flight = booking.flight
    for _ in range(moves):
        flights.update_flight(flight, flight_data(flight, launch_at=flight.launch_at + timedelta(days=1),
                                                  window_closes_at=flight.window_closes_at + timedelta(days=1)),
                              ops)
    db.session.commit()
    return booking, ops


@pytest.mark.parametrize("who", ["tourist", "operations"])
def test_booking_pages_queries_do_not_grow_with_refunds_and_moves(app, client, make, who):
    def count(booking, ops):
        viewer = app.test_client()
        login(viewer, booking.user if who == "tourist" else ops)
        path = f"/bookings/{booking.reference}" if who == "tourist" else f"/ops/bookings/{booking.reference}"
        return queries_for(viewer, path)

    small = count(*_booking_with_history(make, refunds=1, moves=1))
    assert count(*_booking_with_history(make, refunds=6, moves=5)) == small


def test_notifications_page_queries_do_not_grow(client, make):
    from app.models import Channel, MessageStatus, OutboundMessage

    tourist = make.user()
    login(client, tourist)

    def add(n):
        for i in range(n):
            db.session.add(OutboundMessage(user_id=tourist.id, channel=Channel.IN_APP, kind="payment_receipt",
                                           recipient=tourist.email, subject=f"Receipt {i}", body="Thanks",
                                           status=MessageStatus.SENT))
        db.session.commit()

    add(2)
    small = queries_for(client, "/notifications")
    add(15)
    assert queries_for(client, "/notifications") == small
