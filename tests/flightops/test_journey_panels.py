"""The journey's launch panels in one statement (``blueprints/journey/panels.py``) are what
``launch.journey_panels`` made with two: each flight launching within a week, its launch page's
address (a replaced link's too) and its newest updates only, newest first."""

from __future__ import annotations

from datetime import timedelta

from app.booking import bookings as booking_service
from app.extensions import db
from app.flightops import updates
from app.models import FlightStatus, LaunchUpdate, Role, UpdateKind
from app.timeutil import now_utc
from blueprints.flightops import launch
from blueprints.journey.panels import journey_panels


def test_the_journeys_panels_in_one_statement_are_the_two_statements_panels(app, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    bookings = []
    for day, shown, replaced in ((1, 0, False), (3, 2, True), (5, updates.SHOWN + 5, False), (20, 1, False)):
        flight = make.flight(launch_at=now_utc() + timedelta(days=day, hours=3))
        bookings.append(booking_service.hold_seat(flight.id, tourist))
        for i in range(shown):
            db.session.add(LaunchUpdate(flight_id=flight.id, kind=UpdateKind.WEATHER, message=f"Day {day} #{i}",
                                        actor_id=ops.id, created_at=now_utc() - timedelta(minutes=i)))
        if replaced:
            with app.test_request_context():
                updates.replace_link(flight)
                updates.replace_link(flight)
    cancelled = make.flight(launch_at=now_utc() + timedelta(days=2))
    bookings.append(booking_service.hold_seat(cancelled.id, tourist))
    cancelled.status = FlightStatus.CANCELLED
    db.session.commit()
    with app.test_request_context("/journey"):
        one, two = journey_panels(bookings), launch.journey_panels(bookings)
        for panels in (one, two):  # the countdown's seconds may tick between the two
            for panel in panels.values():
                assert panel.pop("countdown").startswith("T-")
        assert len(one) == 3 and one == two
        assert [len(p["timeline"].updates) for p in one.values()] == [0, 2, updates.SHOWN]
    with app.test_request_context("/journey"):
        assert journey_panels([]) == launch.journey_panels([]) == {}


def test_the_journeys_latest_changes_are_flights_latest_changes(app, make):
    """The journey's bookings come with their flight's latest change (the newest event), as
    ``flights.latest_changes`` finds it: flights with several events, one, and none."""
    import importlib

    from app.booking import flights
    from app.models import BookingState, FlightEvent

    routes = importlib.import_module("blueprints.journey.routes")
    tourist = make.user()
    seen = []
    for events in (0, 1, 3):
        booking = make.booking(tourist)
        seen.append(booking.flight_id)
        for i in range(events):
            db.session.add(FlightEvent(flight_id=booking.flight_id, kind=("moved", "delayed", "scrubbed")[i],
                                       from_status="scheduled", to_status="delayed",
                                       previous_launch_at=now_utc(), launch_at=now_utc(), reason="", cause=""))
    past = make.booking(tourist)
    past.state = BookingState.CANCELLED
    db.session.add(FlightEvent(flight_id=past.flight_id, kind="cancelled", from_status="scheduled",
                               to_status="cancelled", previous_launch_at=now_utc(), launch_at=now_utc(), reason=""))
    seen.append(past.flight_id)
    db.session.commit()
    rows = db.session.execute(routes._BOOKINGS, {"user_id": tourist.id, "offset": 0}).all()
    assert len(rows) == 4
    found = {b.flight_id: change for b, change in rows if change is not None}
    assert found == flights.latest_changes(seen) and len(found) == 3
