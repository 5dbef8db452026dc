"""The coordinator's day: who arrives and who leaves on a day (by which flight, and which transfer
picks them up), who is still missing arrival details, an emergency contact or a valid travel
document, and which segments are not confirmed yet or no longer fit the launch. Each list loads
in a fixed number of queries, whatever its length."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import (
    Arrival,
    ArrivalMode,
    Booking,
    Flight,
    FlightStatus,
    Segment,
    SegmentKind,
    SegmentStatus,
)
from app.timeutil import now_utc
from app.travel import status
from app.travel.itinerary import LIVE
from app.travel.status import TravelStatus

#: Flights the lists of what is missing look at, unless one flight is chosen.
AHEAD = timedelta(days=90)
#: A transfer that starts this soon after a landing is the one that picks the tourist up.
PICKUP_WINDOW = timedelta(hours=12)
UPCOMING = (FlightStatus.SCHEDULED, FlightStatus.DELAYED, FlightStatus.SCRUBBED)


@dataclass
class Movement:
    """An arrival or a departure: whose, when, on which flight, and (arriving) the pick-up."""
    booking: Booking
    at: datetime
    timezone: str
    flight_number: str
    place: str
    own: bool
    pickup: Segment | None = None


def _live(query):
    return query.where(Booking.state.in_(LIVE))


def _candidates(start: datetime, end: datetime, flight_id: int | None) -> set[int]:
    """The live bookings with an own inbound flight landing, or an itinerary flight landing or
    leaving, between ``start`` and ``end``."""
    scope = [Booking.flight_id == flight_id] if flight_id else []
    own = db.session.scalars(_live(
        select(Arrival.booking_id).join(Booking, Booking.id == Arrival.booking_id)
        .where(Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at >= start, Arrival.arrives_at < end, *scope)))
    legs = db.session.scalars(_live(
        select(Segment.booking_id).join(Booking, Booking.id == Segment.booking_id)
        .where(Segment.kind == SegmentKind.FLIGHT, Segment.status != SegmentStatus.CANCELLED,
               or_(and_(Segment.ends_at >= start, Segment.ends_at < end),
                   and_(Segment.starts_at >= start, Segment.starts_at < end)), *scope)))
    return set(own) | set(legs)


def _trips(booking_ids: set[int]) -> list[tuple[Booking, Movement | None, Movement | None]]:
    """Each booking's arrival (its last itinerary flight landing before the launch, or else its
    own inbound flight) and departure (its first itinerary flight leaving after the launch)."""
    if not booking_ids:
        return []
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.id.in_(booking_ids)).options(selectinload(Booking.user),
                                                                  selectinload(Booking.flight))))
    own = {a.booking_id: a for a in db.session.scalars(select(Arrival).where(
        Arrival.booking_id.in_(booking_ids), Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at.is_not(None)))}
    legs: dict[int, list[Segment]] = {}
    for segment in db.session.scalars(select(Segment).where(
            Segment.booking_id.in_(booking_ids), Segment.kind == SegmentKind.FLIGHT,
            Segment.status != SegmentStatus.CANCELLED).order_by(Segment.starts_at)):
        legs.setdefault(segment.booking_id, []).append(segment)
    trips = []
    for booking in bookings:
        launch = booking.flight.launch_at
        mine = legs.get(booking.id, [])
        inbound = [leg for leg in mine if leg.ends_at and leg.ends_at <= launch]
        outbound = [leg for leg in mine if leg.starts_at > launch]
        arrival = departure = None
        if inbound:
            leg = max(inbound, key=lambda leg: leg.ends_at)
            arrival = Movement(booking, leg.ends_at, leg.end_timezone, leg.number, leg.to_place, False)
        elif booking.id in own:
            a = own[booking.id]
            arrival = Movement(booking, a.arrives_at, a.timezone, a.flight_number, a.airport, True)
        if outbound:
            leg = outbound[0]
            departure = Movement(booking, leg.starts_at, leg.start_timezone, leg.number, leg.from_place, False)
        trips.append((booking, arrival, departure))
    return trips


def movements(start: datetime, end: datetime, flight_id: int | None = None) -> tuple[list[Movement], list[Movement]]:
    """The tourists who arrive and who leave between ``start`` and ``end`` (UTC), each once: an
    arrival with the transfer that picks them up."""
    trips = _trips(_candidates(start, end, flight_id))
    arrivals = [a for _b, a, _d in trips if a is not None and start <= a.at < end]
    departures = [d for _b, _a, d in trips if d is not None and start <= d.at < end]
    if arrivals:
        transfers: dict[int, list[Segment]] = {}
        for segment in db.session.scalars(
                select(Segment).where(Segment.booking_id.in_([a.booking.id for a in arrivals]),
                                      Segment.kind == SegmentKind.TRANSFER, Segment.status != SegmentStatus.CANCELLED,
                                      Segment.starts_at >= start, Segment.starts_at < end + PICKUP_WINDOW)
                .order_by(Segment.starts_at)):
            transfers.setdefault(segment.booking_id, []).append(segment)
        for a in arrivals:
            a.pickup = next((t for t in transfers.get(a.booking.id, [])
                             if a.at <= t.starts_at <= a.at + PICKUP_WINDOW), None)
    key = lambda m: (m.at, m.booking.user.name)  # noqa: E731
    return sorted(arrivals, key=key), sorted(departures, key=key)


def arrival_days(start: datetime, zone: str, days: int = 90, limit: int = 10) -> list[tuple[date, int]]:
    """The next days with arrivals (in ``zone``), from ``start``, and how many arrive on each."""
    end = start + timedelta(days=days)
    local = ZoneInfo(zone)
    counts = Counter(a.at.astimezone(local).date() for _b, a, _d in _trips(_candidates(start, end, None))
                     if a is not None and start <= a.at < end)
    return sorted(counts.items())[:limit]


def upcoming_bookings(flight_id: int | None = None, now: datetime | None = None) -> list[Booking]:
    """The live bookings of the chosen flight, or of every flight launching in the next
    :data:`AHEAD` days, soonest launch first."""
    now = now or now_utc()
    query = (select(Booking).join(Booking.flight).options(contains_eager(Booking.flight), selectinload(Booking.user))
             .where(Booking.state.in_(LIVE)))
    if flight_id:
        query = query.where(Booking.flight_id == flight_id)
    else:
        query = query.where(Flight.launch_at > now, Flight.launch_at <= now + AHEAD, Flight.status.in_(UPCOMING))
    return [b for b in db.session.scalars(query.order_by(Flight.launch_at, Booking.id)) if b.holds_seat(now)]


def to_chase(bookings: list[Booking]) -> tuple[dict[int, TravelStatus], list[TravelStatus], list[Segment]]:
    """The bookings' statuses; those the tourist still owes something; and the segments not
    confirmed or no longer fitting, soonest first."""
    statuses = status.statuses(bookings)
    missing = [s for s in statuses.values() if s.tourist_missing]
    segments = sorted((seg for s in statuses.values() for seg in s.live_segments
                       if seg.status is not SegmentStatus.CONFIRMED or seg.flag),
                      key=lambda seg: (seg.starts_at, seg.id))
    return statuses, missing, segments


def upcoming_flights(now: datetime | None = None) -> list[Flight]:
    now = now or now_utc()
    return list(db.session.scalars(select(Flight).where(Flight.launch_at > now, Flight.status.in_(UPCOMING))
                                   .order_by(Flight.launch_at)))
