"""The flight catalog: operations create and edit flights; tourists browse what is bookable."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from app import labels, signals
from app.booking.bookings import (
    lock_flight,
    offer_free_seats,
    seat_counts,
    taking_seat_clause,
    transition,
)
from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Booking,
    BookingState,
    Flight,
    FlightEvent,
    FlightStatus,
    SlipCause,
    User,
    WaitlistEntry,
    WaitlistState,
)
from app.money import to_minor
from app.timeutil import now_utc

BOOKABLE = (FlightStatus.SCHEDULED, FlightStatus.DELAYED)
#: In the catalog: the bookable flights and those scrubbed with their next attempt ahead (shown as
#: scrubbed, not bookable until operations set them going again).
LISTED = (*BOOKABLE, FlightStatus.SCRUBBED)

FIELDS = (
    "name", "vehicle", "spaceport", "description", "launch_at", "window_closes_at", "seat_count",
    "price_minor", "currency", "deposit_minor", "deposit_nonrefundable_minor", "balance_due_days",
    "status", "texts",
)


#: How far ahead a flight can be planned; a later launch is a typing error (year 9999).
LAUNCH_YEARS_AHEAD = 20
#: A launch window is at least this long (opening and closing at the same minute is a slip of the
#: keyboard) and at most this long (a window of months is one).
WINDOW_MIN = timedelta(minutes=5)
WINDOW_MAX = timedelta(days=14)
#: The highest ticket price, deposit included, in whole units of the flight's currency.
PRICE_MAX = 1_000_000_000
SEATS_MAX = 100
BALANCE_DUE_DAYS_MAX = 730


def flight_problems(data: dict[str, Any], flight: Flight | None = None,
                    now: datetime | None = None) -> list[ServiceError]:
    """Everything implausible about a new flight (``flight`` None) or an edit of ``flight``, each at
    its form field. A value that is missing or ``None`` (the form could not read it) is skipped."""
    now = now or now_utc()
    problems = Problems()
    launch, closes, status = data.get("launch_at"), data.get("window_closes_at"), data.get("status")
    if launch is not None:
        unchanged = (flight is not None and launch == flight.launch_at and status is flight.status)
        if status in BOOKABLE and launch <= now and not unchanged:
            # The statuses by the labels of the form's list, so the message names what it offers.
            named = {status.name.lower(): labels.FLIGHT_STATUSES[status] for status in FlightStatus}
            problems.add(_("A flight with the status “%(scheduled)s” or “%(delayed)s” cannot launch in the "
                           "past. Give a launch in the future, or set the status to “%(flown)s”, "
                           "“%(scrubbed)s” or “%(cancelled)s”.", **named), "launch_at")
        elif launch > now + timedelta(days=round(365.25 * LAUNCH_YEARS_AHEAD)):
            problems.add(_("Check the year: a launch can be planned at most %(n)s years ahead.",
                           n=LAUNCH_YEARS_AHEAD), "launch_at")
    if launch is not None and closes is not None:
        if closes < launch + WINDOW_MIN:
            problems.add(_("The launch window must close at least %(n)s minutes after it opens.",
                           n=int(WINDOW_MIN.total_seconds() // 60)), "window_closes_at")
        elif closes > launch + WINDOW_MAX:
            problems.add(_("A launch window can be at most %(n)s days long.", n=WINDOW_MAX.days),
                         "window_closes_at")
    seats = data.get("seat_count")
    if seats is not None and not 1 <= seats <= SEATS_MAX:
        problems.add(_("Between 1 and 100 seats."), "seat_count")
    days = data.get("balance_due_days")
    if days is not None and not 0 <= days <= BALANCE_DUE_DAYS_MAX:
        problems.add(_("Between 0 and 730 days."), "balance_due_days")
    currency = data.get("currency") or "USD"
    ceiling = to_minor(Decimal(PRICE_MAX), currency)
    price, deposit, nonrefundable = (data.get(k) for k in ("price_minor", "deposit_minor", "deposit_nonrefundable_minor"))
    for value, field in ((price, "price"), (deposit, "deposit"), (nonrefundable, "deposit_nonrefundable")):
        if value is None:
            continue
        if value < 0:
            problems.add(_("Enter an amount of zero or more."), field)
        elif value > ceiling:
            problems.add(_("Enter at most %(max)s %(currency)s.", max=format_decimal(PRICE_MAX), currency=currency),
                         field)
    if price is not None and deposit is not None and deposit > price and not problems.has("deposit"):
        problems.add(_("The deposit cannot be more than the price."), "deposit")
    if deposit is not None and nonrefundable is not None and nonrefundable > deposit \
            and not problems.has("deposit_nonrefundable"):
        problems.add(_("The non-refundable part cannot be more than the deposit."), "deposit_nonrefundable")
    if flight is not None:
        if flight.status is FlightStatus.CANCELLED and status is not None and status is not FlightStatus.CANCELLED:
            problems.add(_("A cancelled flight cannot be reopened; create a new flight."), "status")
        if seats is not None:
            counts = seat_counts([flight])[flight.id]
            if seats < counts.sold + counts.held:
                problems.add(ngettext("%(num)d seat is sold or held; the flight cannot have fewer seats.",
                                      "%(num)d seats are sold or held; the flight cannot have fewer seats.",
                                      counts.sold + counts.held), "seat_count")
    return problems.errors


def _check(data: dict[str, Any], flight: Flight | None = None) -> None:
    Problems(flight_problems(data, flight)).raise_any()


def create_flight(data: dict[str, Any]) -> Flight:
    _check(data)
    flight = Flight(**{k: data[k] for k in FIELDS})
    db.session.add(flight)
    db.session.flush()
    return flight


@dataclass
class Moved:
    """What a change of a flight did: the launch before it, what each domain changed (the impact
    report), the reminders moved and dropped, and how many bookings were told."""

    previous_launch_at: datetime
    impacts: list[signals.Impact]
    reminders: reminders.Synced
    told: int


def update_flight(flight: Flight, data: dict[str, Any], actor: User) -> Flight:
    """Save an operator's edit. Cancelling the flight cancels its bookings (see
    :func:`cancel_flight`); moving the launch announces ``flight_rescheduled`` (payments move the
    due dates still to come) and tells the passengers."""
    _apply(flight, data, actor)
    return flight


def _apply(flight: Flight, data: dict[str, Any], actor: User, cause: str = "", note: str = "", *,
           always_record: bool = False) -> Moved:
    flight = lock_flight(flight.id)
    _check(data, flight)  # under the lock: the seats sold and held are counted as they are
    cancelling = data["status"] is FlightStatus.CANCELLED and flight.status is not FlightStatus.CANCELLED
    moved_by = data["launch_at"] - flight.launch_at
    previous_launch_at, previous_status = flight.launch_at, flight.status
    for key in FIELDS:
        if key != "status" or not cancelling:
            setattr(flight, key, data[key])
    db.session.flush()
    if not cancelling:
        record_change(flight, previous_status, previous_launch_at, actor, note, cause=cause, always=always_record)
    impacts: list[signals.Impact] = []
    with reminders.counting() as synced:
        if moved_by:
            for returned in signals.values_from(signals.flight_rescheduled.send(
                    flight, previous_launch_at=previous_launch_at, moved_by=moved_by, actor=actor)):
                impacts.extend(returned)
        if cancelling:
            cancel_flight(flight, actor, "flight cancelled by the operator")
            return Moved(previous_launch_at, impacts, synced, 0)
        offer_free_seats(flight)
        reminders.sync(flight)  # pending reminders move with the launch
    told = _tell_passengers(flight, previous_launch_at, previous_status, cause=cause, note=note)
    return Moved(previous_launch_at, impacts, synced, told)


#: The longest note operations add to a move (it is told to the tourists).
NOTE_MAX = 500


def move_launch(flight: Flight, launch_at: datetime, window_closes_at: datetime, cause: SlipCause, note: str,
                actor: User) -> Moved:
    """Operations move the launch (a slip), with its cause and a note for the tourists: the move is
    kept in the flight's schedule history, every domain re-plans through ``flight_rescheduled``
    (and says what it changed: the impact report), reminders move (one moved into the past is
    dropped, never sent late) and every tourist holding a seat is told at once on every channel.
    A flight moved later is "delayed"; moved earlier, or after a scrub, "scheduled". Refused
    for a flight flown or cancelled, a launch in the past or unchanged. The caller commits; to
    preview, the caller rolls back and shows what this returned."""
    note = (note or "").strip()
    problems = Problems()
    if flight.status in (FlightStatus.FLOWN, FlightStatus.CANCELLED):
        raise ServiceError(_("A flight that has flown or was cancelled cannot be moved."))
    if launch_at == flight.launch_at:
        problems.add(_("This is the launch as planned: give the new date and time."), "launch_at")
    elif launch_at <= now_utc():
        problems.add(_("The new launch must be in the future."), "launch_at")
    if len(note) > NOTE_MAX:
        problems.add(_("Keep the note under %(count)s characters.", count=NOTE_MAX), "note")
    problems.raise_any()
    data = {key: getattr(flight, key) for key in FIELDS}
    data.update(launch_at=launch_at, window_closes_at=window_closes_at,
                status=FlightStatus.DELAYED if launch_at > flight.launch_at else FlightStatus.SCHEDULED)
    return _apply(flight, data, actor, cause=SlipCause(cause).value, note=note)


def cancel_flight(flight: Flight, actor: User, reason: str) -> int:
    """The operator cancels the flight: every booking is cancelled, the waiting list closed, and
    each tourist told. ``flight_cancelled`` is announced first, while the bookings still hold their
    seats: payments refund everything paid and cancel what was still to come, and say how much
    each tourist gets back, which their notice tells. Returns how many bookings were cancelled."""
    flight = lock_flight(flight.id)
    if flight.status is FlightStatus.CANCELLED:
        raise ServiceError(_("This flight is already cancelled."))
    previous_status = flight.status
    flight.status = FlightStatus.CANCELLED
    record_change(flight, previous_status, flight.launch_at, actor, reason.strip())
    live = db.session.scalars(select(Booking).where(
        Booking.flight_id == flight.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED])
    )).all()
    refunds: dict[int, int] = {}
    for refunded in signals.values_from(
        signals.flight_cancelled.send(flight, bookings=live, actor=actor, reason=reason)
    ):
        for booking_id, amount_minor in refunded.items():
            refunds[booking_id] = refunds.get(booking_id, 0) + amount_minor
    for booking in live:
        transition(booking, BookingState.CANCELLED, actor=actor,
                   reason=reason.strip() or "flight cancelled by the operator")
        reminders.notify("flight_cancelled", booking, context={"refund_minor": refunds.get(booking.id, 0)})
    for entry in db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.flight_id == flight.id, WaitlistEntry.state == WaitlistState.WAITING
    )):
        entry.state = WaitlistState.WITHDRAWN
    return len(live)


def scrub(flight: Flight, next_attempt_at: datetime | None, cause: SlipCause, note: str, actor: User) -> Moved:
    """A scrub: the launch attempt is called off (on launch day, usually), with the time of the next
    attempt when it is known. The flight is "scrubbed"; with a next attempt its launch moves there
    (every domain re-plans, as for a move); the schedule history keeps each attempt; everyone with a
    seat is told at once on every channel, with the cause and operations' note. The caller commits."""
    note = (note or "").strip()
    if flight.status not in (*BOOKABLE, FlightStatus.SCRUBBED):
        raise ServiceError(_("Only a flight still to launch can be scrubbed."))
    if flight.status is FlightStatus.SCRUBBED and next_attempt_at in (None, flight.launch_at):
        raise ServiceError(_("This launch is scrubbed already: give the time of the next attempt."))
    problems = Problems()
    if next_attempt_at is not None and next_attempt_at <= now_utc():
        problems.add(_("The next attempt must be in the future."), "next_attempt_at")
    if len(note) > NOTE_MAX:
        problems.add(_("Keep the note under %(count)s characters.", count=NOTE_MAX), "note")
    problems.raise_any()
    if next_attempt_at is not None and next_attempt_at > now_utc() + timedelta(days=round(365.25 * LAUNCH_YEARS_AHEAD)):
        raise ServiceError(_("Check the year: a launch can be planned at most %(n)s years ahead.",
                             n=LAUNCH_YEARS_AHEAD), "next_attempt_at")
    data = {key: getattr(flight, key) for key in FIELDS}
    data["status"] = FlightStatus.SCRUBBED
    if next_attempt_at is not None:
        data.update(launch_at=next_attempt_at,
                    window_closes_at=next_attempt_at + (flight.window_closes_at - flight.launch_at))
    return _apply(flight, data, actor, cause=SlipCause(cause).value, note=note, always_record=True)


def record_change(flight: Flight, previous_status: FlightStatus, previous_launch_at: datetime,
                  actor: User | None, reason: str = "", *, cause: str = "", always: bool = False) -> FlightEvent | None:
    """Keep what happened to the flight (scrubbed, delayed, moved, cancelled, another status), when
    and by whom: the one place a flight's history is written. Nothing is kept for an edit that
    changes neither the status nor the launch."""
    status_changed = flight.status is not previous_status
    moved = flight.launch_at != previous_launch_at
    if not status_changed and not moved and not always:
        return None
    if flight.status is FlightStatus.CANCELLED and status_changed:
        kind = "cancelled"
    elif flight.status is FlightStatus.SCRUBBED and (status_changed or always):
        kind = "scrubbed"
    elif moved:
        kind = "moved"
    elif flight.status is FlightStatus.DELAYED:
        kind = "delayed"
    else:
        kind = "status"
    event = FlightEvent(
        flight_id=flight.id, kind=kind, from_status=previous_status, to_status=flight.status,
        previous_launch_at=previous_launch_at, launch_at=flight.launch_at, reason=reason, cause=cause,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def launch_when_booked(booking: Booking) -> datetime:
    """The launch the tourist booked: before the first move of the flight after their booking."""
    first = db.session.scalar(
        select(FlightEvent.previous_launch_at).where(
            FlightEvent.flight_id == booking.flight_id, FlightEvent.created_at >= booking.created_at,
            FlightEvent.launch_at != FlightEvent.previous_launch_at)
        .order_by(FlightEvent.created_at, FlightEvent.id).limit(1))
    return first or booking.flight.launch_at


def launches_when_booked(bookings: list[Booking]) -> dict[int, datetime]:
    """:func:`launch_when_booked` of many bookings, from one query of their flights' moves."""
    if not bookings:
        return {}
    moves: dict[int, list[tuple[datetime, datetime]]] = {}
    for flight_id, created_at, previous in db.session.execute(
        select(FlightEvent.flight_id, FlightEvent.created_at, FlightEvent.previous_launch_at).where(
            FlightEvent.flight_id.in_({b.flight_id for b in bookings}),
            FlightEvent.launch_at != FlightEvent.previous_launch_at)
        .order_by(FlightEvent.created_at, FlightEvent.id)
    ):
        moves.setdefault(flight_id, []).append((created_at, previous))
    return {b.id: next((previous for created_at, previous in moves.get(b.flight_id, ()) if created_at >= b.created_at),
                       None) or b.flight.launch_at
            for b in bookings}


def slipped_by(booking: Booking) -> timedelta:
    """How far the launch moved since the tourist booked (later is positive)."""
    return booking.flight.launch_at - launch_when_booked(booking)


def withdrawal_slip_days(booking: Booking, booked_launch: datetime | None = None) -> int:
    """The days the launch moved since the tourist booked, when that is more than the policy's
    ``SLIP_WITHDRAW_DAYS`` (earlier or later): they may then withdraw with the slip's refund.
    0 otherwise. ``booked_launch``: :func:`launch_when_booked`, when the caller has it."""
    slip = abs(booking.flight.launch_at - (booked_launch or launch_when_booked(booking)))
    if slip <= timedelta(days=current_app.config["SLIP_WITHDRAW_DAYS"]):
        return 0
    return max(round(slip.total_seconds() / 86400), 1)


def latest_changes(flight_ids: list[int] | set[int]) -> dict[int, FlightEvent]:
    """The latest change of each flight that has one, for many flights in one query."""
    ids = sorted(set(flight_ids))
    if not ids:
        return {}
    return {e.flight_id: e for e in db.session.scalars(_latest_changes_statement(), {"ids": ids})}


@functools.cache
def _latest_changes_statement():
    latest = (
        select(func.max(FlightEvent.id)).where(FlightEvent.flight_id.in_(bindparam("ids", expanding=True)))
        .group_by(FlightEvent.flight_id).scalar_subquery()
    )
    return select(FlightEvent).where(FlightEvent.id.in_(latest))


def _tell_passengers(flight: Flight, previous_launch_at: datetime, previous_status: FlightStatus, *,
                     cause: str = "", note: str = "") -> int:
    """A delay or a scrub is told at once to everyone with a seat, on every channel, with its
    cause and operations' note when they gave one. Returns how many bookings were told."""
    status_changed = flight.status is not previous_status
    if flight.status is FlightStatus.SCRUBBED and (status_changed or flight.launch_at != previous_launch_at):
        rule, context = "flight_scrubbed", ({"previous_launch_at": previous_launch_at.isoformat()}
                                            if flight.launch_at != previous_launch_at else {})
    elif flight.launch_at != previous_launch_at:
        rule, context = "flight_delayed", {"previous_launch_at": previous_launch_at.isoformat()}
    elif flight.status is FlightStatus.DELAYED and status_changed:
        rule, context = "flight_delayed", {}
    else:
        return 0
    context.update({key: value for key, value in (("cause", cause), ("note", note)) if value})
    occurrence = f"{flight.status.value}-{flight.launch_at.isoformat()}"
    told = 0
    for booking in db.session.scalars(
        select(Booking).where(Booking.flight_id == flight.id,
                              Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .order_by(Booking.id)
    ):
        if booking.holds_seat():
            reminders.notify(rule, booking, occurrence=occurrence, context=context)
            told += 1
    return told


@dataclass(frozen=True)
class CatalogEntry:
    flight: Flight
    seats_left: int


@dataclass(frozen=True)
class CatalogFilter:
    spaceport: str = ""
    vehicle: str = ""
    month: str = ""           # YYYY-MM
    available_only: bool = False


@dataclass(frozen=True)
class CatalogPage:
    entries: list[CatalogEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.entries) - 1 if self.total else 0


CATALOG_PAGE_SIZE = 12


@functools.cache
def _catalog_statement(spaceport: bool, vehicle: bool, month: bool, available_only: bool):
    """Built once per combination of filters, values bound at run time: building this query
    (a subquery, a window, the filters) cost more than running it."""
    now = bindparam("now")
    taken = (
        select(Booking.flight_id, func.count(Booking.id).label("taken"))
        .where(taking_seat_clause(now)).group_by(Booking.flight_id).subquery()
    )
    seats_left = Flight.seat_count - func.coalesce(taken.c.taken, 0)
    query = (
        select(Flight, seats_left, func.count().over().label("total"))
        .outerjoin(taken, taken.c.flight_id == Flight.id)
        .where(Flight.launch_at > now, Flight.status.in_(LISTED))
        .order_by(Flight.launch_at, Flight.id)
    )
    if spaceport:
        query = query.where(Flight.spaceport == bindparam("spaceport"))
    if vehicle:
        query = query.where(Flight.vehicle == bindparam("vehicle"))
    if month:
        query = query.where(Flight.launch_at >= bindparam("month_start"), Flight.launch_at < bindparam("month_end"))
    if available_only:
        query = query.where(seats_left > 0)
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


def catalog(
    filters: CatalogFilter, page: int = 1, per_page: int = CATALOG_PAGE_SIZE,
    now: datetime | None = None,
) -> CatalogPage:
    """One page of upcoming flights (bookable, or scrubbed with their next attempt ahead) with the
    seats left, and how many match, in one query."""
    now = now or now_utc()
    page = max(page, 1)
    values: dict[str, Any] = {"now": now, "limit": per_page, "offset": (page - 1) * per_page,
                              "spaceport": filters.spaceport, "vehicle": filters.vehicle}
    if filters.month:
        start = datetime.fromisoformat(filters.month + "-01").replace(tzinfo=now.tzinfo)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        values.update(month_start=start, month_end=end)
    statement = _catalog_statement(bool(filters.spaceport), bool(filters.vehicle), bool(filters.month),
                                   filters.available_only)
    rows = db.session.execute(statement, values).all()  # values a statement does not use are ignored
    if not rows and page > 1:  # past the last page (the list shrank): show the first
        return catalog(filters, 1, per_page, now)
    return CatalogPage(
        entries=[CatalogEntry(flight, max(int(left), 0)) for flight, left, _total in rows],
        total=rows[0].total if rows else 0, page=page, per_page=per_page,
    )


@functools.cache
def _filter_choices_statement():
    return (select(Flight.spaceport, Flight.vehicle)
            .where(Flight.launch_at > bindparam("now"), Flight.status.in_(BOOKABLE)).distinct())


def filter_choices() -> dict[str, list[str]]:
    """Spaceports and vehicles of upcoming flights, for the catalog's filter."""
    rows = db.session.execute(_filter_choices_statement(), {"now": now_utc()}).all()
    return {
        "spaceports": sorted({r.spaceport for r in rows}),
        "vehicles": sorted({r.vehicle for r in rows}),
    }


def bookings_of_flight(flight: Flight) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.flight_id == flight.id)
        .options(selectinload(Booking.user))
        .order_by(Booking.state != BookingState.CONFIRMED, Booking.created_at)
    ))
