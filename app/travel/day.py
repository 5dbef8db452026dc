"""The coordinator's day: who arrives and who leaves on a day (by which flight, and which transfer
picks them up), who is still missing arrival details, an emergency contact or a valid travel
document, and which segments are not confirmed yet or no longer fit the launch. Each list loads
in a fixed number of queries, whatever its length."""

from __future__ import annotations

import functools
import operator
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    DateTime,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Row

from app.booking.bookings import taking_seat_clause
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
    TravelDocument,
    User,
)
from app.models.types import utc_date
from app.timeutil import UTC, now_utc
from app.travel import status
from app.travel.itinerary import LIVE
from app.travel.status import Missing

#: Flights the lists of what is missing look at, unless one flight is chosen.
AHEAD = timedelta(days=90)
#: The days ahead the day's page looks for days with arrivals in.
ARRIVAL_DAYS = 90
#: A transfer that starts this soon after a landing is the one that picks the tourist up.
PICKUP_WINDOW = timedelta(hours=12)
UPCOMING = (FlightStatus.SCHEDULED, FlightStatus.DELAYED, FlightStatus.SCRUBBED)


# The lists load what they show, no more: a page of them costs milliseconds per hundred rows of
# whole ORM objects. A booking is the columns its links and rows show (its id and reference, its
# flight's name and launch, the tourist's name), not a ``Booking``; a segment is a row of the
# columns :mod:`blueprints.travel.rendering` shows (its notes, encrypted, are neither loaded nor
# decrypted). A row answers ``segment.kind``, ``segment.status``... as a ``Segment`` does.
SEGMENT_SHOWN = (Segment.id, Segment.booking_id, Segment.kind, Segment.status, Segment.flag, Segment.title,
                 Segment.carrier, Segment.number, Segment.from_place, Segment.to_place, Segment.address,
                 Segment.vehicle, Segment.phone, Segment.starts_at, Segment.start_timezone, Segment.ends_at,
                 Segment.end_timezone)
#: A booking as the lists show it: ``id``, ``reference``, the flight's ``name`` and ``launch_at``.
_BOOKING_SHOWN = (Booking.id, Booking.reference, Flight.name, Flight.launch_at)


@dataclass
class Movement:
    """An arrival or a departure: whose (the booking's id and reference, the tourist's name), when,
    on which flight (its number, the airport), to or from which launch (the flight's name), and
    (arriving) the pick-up (a :data:`Leg`). ``medical`` is the column the caller
    asked the list for (see :func:`movements`), ``None`` if none."""
    booking_id: int
    reference: str
    flight_name: str
    tourist: str
    at: datetime
    timezone: str
    flight_number: str
    place: str
    own: bool
    medical: str | None = None
    pickup: Leg | None = None


def _execute(statement, values: dict):
    """``statement`` (columns only, no ORM entity) run as Core runs it, on the session's connection:
    the ORM's execution would pass each row through its loading machinery for nothing (about a
    fifth of a millisecond a statement and more for long lists). Pending changes are flushed
    first, as ``session.execute`` does."""
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, values)


def _tourist():
    """SQL: the booking's tourist's name. A subquery, not a join: at this size planning a
    statement costs PostgreSQL more than running it, and each table joined adds to the plans it
    weighs; a list with a limit looks the name up for the rows it returns only."""
    return select(User.name).where(User.id == Booking.user_id).scalar_subquery()


def _live(query):
    return query.where(Booking.state.in_(LIVE))


def _also(column) -> tuple:
    """The caller's extra column (see :func:`movements`), or none."""
    return () if column is None else (column,)


#: A leg of a trip (a flight or a transfer) as :func:`_trips` reads it: the columns of
#: :data:`SEGMENT_SHOWN`, by their names (``leg.kind``, ``leg.starts_at``...), as a ``Segment`` answers them.
Leg = namedtuple("Leg", [column.key for column in SEGMENT_SHOWN])


@functools.cache
def _trips_statement(one_flight: bool, medical=None):
    """Built once (per extra column); run with ``:start``, ``:end`` and ``:flight_id``. A row per
    leg (flight or transfer) of each booking, the booking's columns first, soonest leg first (a
    booking without any: one row, its leg's columns empty): the bookings and their legs in one
    statement, not two."""
    start, end = bindparam("start"), bindparam("end")
    candidates = (
        select(Arrival.booking_id).where(Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at >= start,
                                         Arrival.arrives_at < end)
        .union(select(Segment.booking_id).where(
            Segment.kind == SegmentKind.FLIGHT, Segment.status != SegmentStatus.CANCELLED,
            or_(and_(Segment.ends_at >= start, Segment.ends_at < end),
                and_(Segment.starts_at >= start, Segment.starts_at < end)))))
    return _live(
        select(*_BOOKING_SHOWN, _tourist(), Arrival.arrives_at, Arrival.timezone, Arrival.flight_number,
               Arrival.airport, *_also(medical), *SEGMENT_SHOWN)
        .select_from(Booking).join(Booking.flight)
        .outerjoin(Arrival, and_(Arrival.booking_id == Booking.id, Arrival.mode == ArrivalMode.OWN,
                                 Arrival.arrives_at.is_not(None)))
        .outerjoin(Segment, and_(Segment.booking_id == Booking.id,
                                 Segment.kind.in_([SegmentKind.FLIGHT, SegmentKind.TRANSFER]),
                                 Segment.status != SegmentStatus.CANCELLED))
        .where(Booking.id.in_(candidates), *([Booking.flight_id == bindparam("flight_id")] if one_flight else []))
        .order_by(Segment.starts_at, Segment.id))


def _trips(start: datetime, end: datetime, flight_id: int | None,
           medical=None) -> list[tuple[Movement | None, Movement | None]]:
    """The arrival (the last itinerary flight landing before the launch, or else the tourist's own
    inbound flight) and departure (the first itinerary flight leaving after it) of each live
    booking with an own arrival or an itinerary flight between ``start`` and ``end``, the arrival
    with the transfer that picks the tourist up: one query."""
    rows = _execute(_trips_statement(bool(flight_id), medical),
                   {"start": start, "end": end, "flight_id": flight_id}).all()
    if not rows:
        return []
    shown = 9 + (medical is not None)  # the booking's columns; its leg's follow
    bookings: dict[int, tuple] = {}
    legs: dict[int, list[Leg]] = {}
    transfers: dict[int, list[Leg]] = {}
    for row in rows:
        booking_id = row[0]
        if booking_id not in bookings:
            bookings[booking_id] = row[:shown]
        if row[shown] is not None:
            leg = Leg(*row[shown:])
            (legs if leg.kind is SegmentKind.FLIGHT else transfers).setdefault(booking_id, []).append(leg)
    trips = []
    for booking_id, reference, flight_name, launch, name, own_at, own_timezone, own_number, own_airport, *also \
            in bookings.values():
        medical_status = also[0] if also else None
        mine = legs.get(booking_id, ())
        inbound = [leg for leg in mine if leg.ends_at and leg.ends_at <= launch]
        outbound = [leg for leg in mine if leg.starts_at > launch]
        arrival = departure = None
        if inbound:
            leg = max(inbound, key=lambda leg: leg.ends_at)
            arrival = Movement(booking_id, reference, flight_name, name, leg.ends_at, leg.end_timezone, leg.number,
                               leg.to_place, False, medical_status)
        elif own_at is not None:
            arrival = Movement(booking_id, reference, flight_name, name, own_at, own_timezone, own_number, own_airport,
                               True, medical_status)
        if arrival is not None:
            arrival.pickup = next((t for t in transfers.get(booking_id, ())
                                   if arrival.at <= t.starts_at <= arrival.at + PICKUP_WINDOW), None)
        if outbound:
            leg = outbound[0]
            departure = Movement(booking_id, reference, flight_name, name, leg.starts_at, leg.start_timezone,
                                 leg.number, leg.from_place, False, medical_status)
        trips.append((arrival, departure))
    return trips


def movements(start: datetime, end: datetime, flight_id: int | None = None,
              medical=None) -> tuple[list[Movement], list[Movement]]:
    """The tourists who arrive and who leave between ``start`` and ``end`` (UTC), each once: an
    arrival with the transfer that picks them up.

    ``medical`` is SQL the page shows with each booking, about ``Booking`` and its ``Flight``
    (the medical status, which only medicine can say: travel reads no medical data), kept as
    ``Movement.medical``; it must be the same object every time (the statement is kept per
    column)."""
    trips = _trips(start, end, flight_id, medical)
    arrivals = [a for a, _d in trips if a is not None and start <= a.at < end]
    departures = [d for _a, d in trips if d is not None and start <= d.at < end]
    key = lambda m: (m.at, m.tourist)  # noqa: E731
    return sorted(arrivals, key=key), sorted(departures, key=key)


def _arrival_times():
    """The arrival times between ``:start`` and ``:end`` of the live bookings, when the tourist
    arrives as :func:`_trips` says (the last itinerary flight landing before the launch, or else
    their own inbound flight), as two selects of an ``at`` column (to be joined by ``UNION ALL``).

    Said as two lists, not a lookup of both per booking: the bookings whose last itinerary flight
    before the launch lands in the window (among those with an itinerary flight landing in it, an
    index range), and the own arrivals in the window (an index range) of the bookings without an
    itinerary flight landing before the launch."""
    start, end = bindparam("start"), bindparam("end")
    inbound = (Segment.kind == SegmentKind.FLIGHT, Segment.status != SegmentStatus.CANCELLED,
               Segment.ends_at <= Flight.launch_at)
    landing = select(Segment.booking_id).where(Segment.kind == SegmentKind.FLIGHT, Segment.ends_at >= start,
                                               Segment.ends_at < end)
    last = func.max(Segment.ends_at)
    flown = (_live(select(last.label("at")).select_from(Segment).join(Booking, Booking.id == Segment.booking_id)
                   .join(Flight, Flight.id == Booking.flight_id))
             .where(*inbound, Segment.booking_id.in_(landing))
             .group_by(Segment.booking_id).having(and_(last >= start, last < end)))
    flies = exists().where(Segment.booking_id == Booking.id, *inbound).correlate(Booking, Flight)
    own = (_live(select(Arrival.arrives_at.label("at")).select_from(Arrival)
                 .join(Booking, Booking.id == Arrival.booking_id).join(Flight, Flight.id == Booking.flight_id))
           .where(Arrival.mode == ArrivalMode.OWN, Arrival.arrives_at >= start, Arrival.arrives_at < end, ~flies))
    return flown, own


@functools.cache
def _arrival_times_statement():
    """Built once; run with ``:start`` and ``:end``: the arrival times, soonest first (sorted, so
    that Python reads only as far as the days it shows)."""
    return union_all(*_arrival_times()).order_by("at")


def _per_day(times, start: datetime, end: datetime, zone: str, limit: int) -> list[tuple[date, int]]:
    """How many of ``times`` (soonest first) fall on each day in ``zone``, the first ``limit`` days."""
    local = ZoneInfo(zone)
    counts: dict[date, int] = {}
    for moment in times:
        if moment is None:  # no arrival given
            continue
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives them without their zone
        if moment < start:
            continue
        if moment >= end:
            break
        day = moment.astimezone(local).date()
        if day not in counts:
            if len(counts) == limit:
                break  # the rest is on later days, which the page does not show
            counts[day] = 0
        counts[day] += 1
    return list(counts.items())


def arrival_days(start: datetime, zone: str, days: int = ARRIVAL_DAYS, limit: int = 10) -> list[tuple[date, int]]:
    """The next days with arrivals (in ``zone``), from ``start``, and how many arrive on each (the
    first ``limit`` of them): one query of the arrival times, soonest first, counted per local day."""
    end = start + timedelta(days=days)
    return _per_day(_execute(_arrival_times_statement(), {"start": start, "end": end}).scalars(), start, end, zone,
                    limit)


#: A flight as the day's filter offers it.
FlightChoice = namedtuple("FlightChoice", "id name launch_at")


@functools.cache
def _navigation_statement():
    """Built once; run with ``:now``, ``:start`` and ``:end``: the flights still to launch
    (``at``, ``id``, ``name``), soonest first (sorted as a list of their own: flights launching
    together come in the order they always came in), and the arrival times (``at``, no id)."""
    # Read as the driver gives them (aware on PostgreSQL, naive UTC on SQLite), not converted one
    # by one to UTC: a few hundred values, which navigation() only compares and converts anyway.
    flights = (select(type_coerce(Flight.launch_at, DateTime(timezone=True)).label("at"), Flight.id, Flight.name)
               .where(Flight.launch_at > bindparam("now"), Flight.status.in_(UPCOMING)).order_by(Flight.launch_at)
               .subquery())
    arrivals = [query.add_columns(null().label("id"), null().label("name")) for query in _arrival_times()]
    return union_all(select(flights.c.at, flights.c.id, flights.c.name), *arrivals)


def navigation(start: datetime, zone: str, now: datetime | None = None,
               limit: int = 10) -> tuple[list[FlightChoice], list[tuple[date, int]]]:
    """What the day's page offers to go to, in one query: the flights its filter offers (every
    flight still to launch, soonest first: :func:`upcoming_flights` as ``FlightChoice`` rows; a
    whole flight carries its texts in every language, and the filter lists them all), and
    :func:`arrival_days` from ``start``."""
    end = start + timedelta(days=ARRIVAL_DAYS)
    flights, times = [], []
    rows = _execute(_navigation_statement(), {"now": now or now_utc(), "start": start, "end": end}).all()
    naive = bool(rows) and rows[0][0].tzinfo is None  # SQLite
    for at, flight_id, name in rows:
        if naive:
            at = at.replace(tzinfo=UTC)
        if flight_id is None:
            times.append(at)
        else:
            flights.append(FlightChoice(flight_id, name, at))
    # A UNION ALL keeps each part's order on PostgreSQL and SQLite, but no standard says so: the
    # (stable) sorts make sure, at no cost for lists in order already.
    flights.sort(key=_LAUNCH)
    times.sort()
    return flights, _per_day(times, start, end, zone, limit)


_LAUNCH = operator.attrgetter("launch_at")


# The lists' statements are built once (building one of these takes longer than running it) per
# page length and run with bound values: the moment, the horizon and the chosen flight. The length
# is written into the SQL (PostgreSQL plans a prepared statement's bound LIMIT as a tenth of the rows).
def _limited(query, limit: int | None):
    return query if limit is None else query.limit(literal_column(str(int(limit))))


def _upcoming(query, one_flight: bool, flight_joined: bool = True):
    """``query`` (about ``Booking``, joined to its ``Flight`` if ``flight_joined``) narrowed to the
    bookings that hold a seat (at ``:now``) on the flight ``:flight_id``, or on a flight launching
    before ``:until``."""
    now = bindparam("now")
    query = query.where(taking_seat_clause(now))
    if one_flight:
        return query.where(Booking.flight_id == bindparam("flight_id"))
    upcoming = (Flight.launch_at > now, Flight.launch_at <= bindparam("until"), Flight.status.in_(UPCOMING))
    if not flight_joined:
        return query.where(Booking.flight_id.in_(select(Flight.id).where(*upcoming)))
    return query.where(*upcoming)


def _values(flight_id: int | None, now: datetime | None) -> dict:
    now = now or now_utc()
    return {"now": now, "until": now + AHEAD, "flight_id": flight_id}


@dataclass
class Owed:
    """A booking (its id and reference, its flight's name and launch) whose tourist (``tourist``,
    their name) still owes something, and what (in :data:`status.TOURIST_PARTS` order);
    ``medical`` is the column the caller asked for (see :func:`movements`)."""
    booking_id: int
    reference: str
    flight_name: str
    launch_at: datetime
    tourist: str
    tourist_missing: list[Missing]
    medical: str | None = None


def _owed_parts() -> dict[Missing, object]:
    """:func:`status.tourist_parts`, said with the booking's arrival and its tourist's document
    joined (``Arrival`` and ``TravelDocument``, outer joins: one of each at most, keyed by the
    booking and by the tourist), not looked up by an ``EXISTS`` per booking, once in the filter
    and again in the columns (tests/travel/test_lists.py compares the two)."""
    parts = status.tourist_parts()
    arrival = and_(Arrival.booking_id.is_not(None), or_(
        Arrival.mode == ArrivalMode.OPERATOR, and_(Arrival.arrives_at.is_not(None), Arrival.arrives_at < Flight.launch_at)))
    document = TravelDocument.user_id.is_not(None)
    # As status says: through the window's close, and no live segment ends after it.
    outlived = (exists().where(Segment.booking_id == Booking.id, Segment.status != SegmentStatus.CANCELLED,
                               utc_date(func.coalesce(Segment.ends_at, Segment.starts_at)) > TravelDocument.expires_on)
                .correlate(Booking, TravelDocument))
    valid = and_(document, TravelDocument.expires_on >= utc_date(Flight.window_closes_at), ~outlived)
    return {Missing.ARRIVAL: arrival, Missing.CONTACT: parts[Missing.CONTACT], Missing.DOCUMENT: document,
            Missing.DOCUMENT_EXPIRES: valid}


@functools.cache
def _owed_statement(one_flight: bool, limit: int | None, medical=None):
    parts = _owed_parts()
    owes = not_(and_(parts[Missing.ARRIVAL], parts[Missing.CONTACT], parts[Missing.DOCUMENT_EXPIRES]))
    query = _upcoming(
        select(*_BOOKING_SHOWN, _tourist(), func.count().over(), *parts.values(), *_also(medical))
        .select_from(Booking).join(Booking.flight)
        .outerjoin(Arrival, Arrival.booking_id == Booking.id)
        .outerjoin(TravelDocument, TravelDocument.user_id == Booking.user_id)
        .where(owes), one_flight)
    return _limited(query.order_by(Flight.launch_at, Booking.id), limit), list(parts)


def still_owed(flight_id: int | None = None, limit: int | None = None, now: datetime | None = None,
               medical=None) -> tuple[list[Owed], int]:
    """The upcoming bookings whose tourist still owes arrival details, an emergency contact or a
    valid travel document, soonest launch first (the first ``limit``), and how many in all: one
    query, which says what each owes too (and ``medical``, as :func:`movements` does)."""
    statement, parts = _owed_statement(bool(flight_id), limit, medical)
    rows = _execute(statement, _values(flight_id, now)).all()
    known = len(parts)
    owed = [Owed(row[0], row[1], row[2], row[3], row[4], status.tourist_missing(dict(zip(parts, row[6:6 + known]))),
                 row[6 + known] if medical is not None else None) for row in rows]
    return owed, rows[0][5] if rows else 0


@functools.cache
def _arrange_statement(one_flight: bool, limit: int | None):
    # The flights only filter: a subquery, not a join (see _tourist).
    query = _upcoming(
        select(*SEGMENT_SHOWN, _tourist().label("tourist"), func.count().over().label("total"))
        .join(Segment.booking)
        .where(Segment.status != SegmentStatus.CANCELLED,
               or_(Segment.status != SegmentStatus.CONFIRMED, Segment.flag != "")), one_flight, flight_joined=False)
    return _limited(query.order_by(Segment.starts_at, Segment.id), limit)


def to_arrange(flight_id: int | None = None, limit: int | None = None,
               now: datetime | None = None) -> tuple[list[Row], int]:
    """The live segments of the upcoming bookings not confirmed yet or no longer fitting the launch,
    soonest first (the first ``limit``), and how many in all: rows of :data:`SEGMENT_SHOWN` and
    ``tourist``, the tourist's name."""
    rows = _execute(_arrange_statement(bool(flight_id), limit), _values(flight_id, now)).all()
    return rows, rows[0].total if rows else 0


@functools.cache
def _counts_statement():
    return (select(Booking.flight_id, func.count(), func.count(case((status.confirmed_clause(), 1))))
            .join(Booking.flight)
            .where(Booking.flight_id.in_(bindparam("flight_ids", expanding=True)), taking_seat_clause(bindparam("now")))
            .group_by(Booking.flight_id))


def confirmed_counts(flight_ids: list[int], now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """Per flight: how many bookings hold a seat, and how many of them have their travel confirmed."""
    if not flight_ids:
        return {}
    rows = db.session.execute(_counts_statement(), {"flight_ids": flight_ids, "now": now or now_utc()})
    counts = {flight_id: (0, 0) for flight_id in flight_ids}
    counts.update({flight_id: (total, ready) for flight_id, total, ready in rows})
    return counts


def upcoming_flights(now: datetime | None = None) -> list[Flight]:
    now = now or now_utc()
    return list(db.session.scalars(select(Flight).where(Flight.launch_at > now, Flight.status.in_(UPCOMING))
                                   .order_by(Flight.launch_at)))
