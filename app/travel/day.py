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


def movements(start: datetime, end: datetime, flight_id: int | None = None) -> tuple[list[Movement], list[Movement]]:
    """Arrivals and departures between ``start`` and ``end`` (UTC): the tourists' own inbound
    flights and the itineraries' flights (the first, landing, is an arrival; a later one leaving
    after the launch is a departure)."""
    scope = [Booking.flight_id == flight_id] if flight_id else []
    own = list(db.session.scalars(_live(
        select(Arrival).join(Booking, Booking.id == Arrival.booking_id)
        .where(Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at >= start, Arrival.arrives_at < end, *scope))))
    flights = list(db.session.scalars(_live(
        select(Segment).join(Booking, Booking.id == Segment.booking_id).join(Flight, Flight.id == Booking.flight_id)
        .where(Segment.kind == SegmentKind.FLIGHT, Segment.status != SegmentStatus.CANCELLED,
               or_(and_(Segment.ends_at >= start, Segment.ends_at < end, Segment.ends_at <= Flight.launch_at),
                   and_(Segment.starts_at >= start, Segment.starts_at < end, Segment.starts_at > Flight.launch_at)),
               *scope))))
    booking_ids = {a.booking_id for a in own} | {s.booking_id for s in flights}
    bookings = {b.id: b for b in db.session.scalars(
        select(Booking).where(Booking.id.in_(booking_ids))
        .options(selectinload(Booking.user), selectinload(Booking.flight)))} if booking_ids else {}
    transfers: dict[int, list[Segment]] = {}
    if booking_ids:
        for segment in db.session.scalars(
                select(Segment).where(Segment.booking_id.in_(booking_ids), Segment.kind == SegmentKind.TRANSFER,
                                      Segment.status != SegmentStatus.CANCELLED, Segment.starts_at >= start,
                                      Segment.starts_at < end + PICKUP_WINDOW).order_by(Segment.starts_at)):
            transfers.setdefault(segment.booking_id, []).append(segment)

    def pickup(booking_id: int, landed: datetime) -> Segment | None:
        return next((t for t in transfers.get(booking_id, []) if landed <= t.starts_at <= landed + PICKUP_WINDOW), None)

    arrivals = [Movement(bookings[a.booking_id], a.arrives_at, a.timezone, a.flight_number, a.airport, True,
                         pickup(a.booking_id, a.arrives_at)) for a in own]
    departures = []
    for s in flights:
        booking = bookings[s.booking_id]
        if s.ends_at and s.ends_at <= booking.flight.launch_at and start <= s.ends_at < end:
            arrivals.append(Movement(booking, s.ends_at, s.end_timezone, s.number, s.to_place, False,
                                     pickup(s.booking_id, s.ends_at)))
        else:
            departures.append(Movement(booking, s.starts_at, s.start_timezone, s.number, s.from_place, False))
    key = lambda m: (m.at, m.booking.user.name)  # noqa: E731
    return sorted(arrivals, key=key), sorted(departures, key=key)


def arrival_days(start: datetime, zone: str, days: int = 90, limit: int = 10) -> list[tuple[date, int]]:
    """The next days with arrivals (in ``zone``), from ``start``, and how many arrive on each."""
    end = start + timedelta(days=days)
    own = db.session.scalars(_live(
        select(Arrival.arrives_at).join(Booking, Booking.id == Arrival.booking_id)
        .where(Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at >= start, Arrival.arrives_at < end)))
    flown = db.session.scalars(_live(
        select(Segment.ends_at).join(Booking, Booking.id == Segment.booking_id).join(Flight, Flight.id == Booking.flight_id)
        .where(Segment.kind == SegmentKind.FLIGHT, Segment.status != SegmentStatus.CANCELLED,
               Segment.ends_at >= start, Segment.ends_at < end, Segment.ends_at <= Flight.launch_at)))
    local = ZoneInfo(zone)
    counts = Counter(at.astimezone(local).date() for at in [*own, *flown])
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
