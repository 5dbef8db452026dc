"""Where each tourist stands with the training their flight requires: per module of the flight's
plan, not booked, waiting for a place, booked, passed, failed, or passed but expiring before launch.

A module counts when it is passed and the pass is still valid on the launch date (a pass is dated
by the end of its session; a module without a validity never expires). Passes belong to the
person, not to one booking: a centrifuge run passed for one flight counts for the next while it is
valid. Everything here is loaded for many bookings at once, in a fixed number of queries.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from typing import Any
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.orm import aliased, joinedload

from app import multilingual
from app.booking import bookings as booking_service

from app.extensions import db
from app.models import (
    Attendance,
    Booking,
    BookingState,
    Flight,
    PlaceState,
    PlanItem,
    Result,
    SessionPlace,
    SessionStatus,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    module_prerequisites,
)
from app.timeutil import now_utc
from app.training.plans import deadline


class ModuleState(str, enum.Enum):
    NOT_BOOKED = "not_booked"
    WAITING = "waiting"      # on a session's waiting list, or offered a place
    BOOKED = "booked"
    PASSED = "passed"        # and valid through launch
    FAILED = "failed"        # the last attempt failed: book it again
    EXPIRES = "expires"      # passed, but the pass runs out before launch


#: States in which the tourist has something to book.
TO_BOOK = (ModuleState.NOT_BOOKED, ModuleState.FAILED, ModuleState.EXPIRES)


def valid_until(place: SessionPlace) -> datetime | None:
    """When a pass stops counting; None for a module whose pass never expires."""
    days = place.session.module.validity_days
    return place.session.ends_at + timedelta(days=days) if days else None


def valid_on(place: SessionPlace, moment: datetime) -> bool:
    until = valid_until(place)
    return until is None or until >= moment


@dataclass
class ModuleStatus:
    item: PlanItem
    module: TrainingModule
    deadline: datetime
    state: ModuleState
    #: The live place (booked, offered or waiting), if any.
    place: SessionPlace | None = None
    #: The latest pass, valid or not.
    passed: SessionPlace | None = None
    #: The latest signed-off attempt (passed or failed) or marked absence.
    last: SessionPlace | None = None
    overdue: bool = False
    #: Booked, but in a session that ends after the deadline: to be moved to an earlier one.
    late: bool = False
    #: A place offered to the tourist that was not taken in time (it went to the next in line),
    #: in a session yet to come; shown while the module is still to book.
    lapsed: SessionPlace | None = None
    #: A waiting list the tourist was on that closed at the session's cut-off without a place.
    closed: SessionPlace | None = None

    @property
    def valid_until(self) -> datetime | None:
        return valid_until(self.passed) if self.passed is not None else None


@dataclass
class Progress:
    booking: Booking
    plan: TrainingPlan | None
    modules: list[ModuleStatus] = field(default_factory=list)
    #: The tourist's places in the plan's modules (any state), oldest session first.
    places: list[SessionPlace] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.plan is not None and all(m.state is ModuleState.PASSED for m in self.modules)

    @property
    def to_book(self) -> list[ModuleStatus]:
        return [m for m in self.modules if m.state in TO_BOOK or m.late]

    @property
    def passed_count(self) -> int:
        return sum(1 for m in self.modules if m.state is ModuleState.PASSED)

    @property
    def expiring(self) -> list[ModuleStatus]:
        """Modules passed, but whose pass runs out before launch (and not booked again yet)."""
        return [m for m in self.modules if m.state is ModuleState.EXPIRES]


@functools.cache
def _plans_statement(prerequisites: bool):
    """Built once (building it and its loader options costs more than running it). The modules'
    prerequisites are joined too: a plan has a handful of modules, each needing none or a few."""
    modules = joinedload(TrainingPlan.items).joinedload(PlanItem.module)  # in the same query
    return (select(TrainingPlan).where(
        TrainingPlan.published_at.is_not(None),
        or_(TrainingPlan.flight_id.in_(bindparam("ids", expanding=True)),
            TrainingPlan.vehicle.in_(bindparam("vehicles", expanding=True))),
    ).options(modules.joinedload(TrainingModule.prerequisites) if prerequisites else modules)
        .order_by(TrainingPlan.published_at.desc(), TrainingPlan.id.desc()))


def plans_for_flights(flights: list[Flight], *, prerequisites: bool = False) -> dict[int, TrainingPlan | None]:
    """The published plan each flight follows (its own, else its vehicle's latest), with items and
    modules (and the modules' prerequisites, when asked), in one query."""
    if not flights:
        return {}
    plans = db.session.scalars(_plans_statement(prerequisites), {
        "ids": list({f.id for f in flights}), "vehicles": list({f.vehicle for f in flights})}).unique().all()
    own: dict[int, TrainingPlan] = {}
    by_vehicle: dict[str, TrainingPlan] = {}
    for plan in plans:  # newest first: the first seen wins
        if plan.flight_id is not None:
            own.setdefault(plan.flight_id, plan)
        else:
            by_vehicle.setdefault(plan.vehicle, plan)
    return {f.id: own.get(f.id) or by_vehicle.get(f.vehicle) for f in flights}


class OutlineModule:
    """A module of a plan as the tourist's page reads it (:func:`seats_with_plans`): its columns, and its prerequisites (each
    an :class:`OutlineModule` too), answering what the page asks of a ``TrainingModule``."""

    __slots__ = ("id", "kind", "duration_minutes", "validity_days", "texts", "default_language", "prerequisites")

    def __init__(self, id, kind=None, duration_minutes=None, validity_days=None, texts=None, default_language="en"):
        self.id, self.kind, self.duration_minutes, self.validity_days = id, kind, duration_minutes, validity_days
        self.texts, self.default_language = texts, default_language
        self.prerequisites: list[OutlineModule] = []

    def text(self, language: str, field: str = "name") -> str:
        """:meth:`TrainingModule.text`."""
        return multilingual.text_in(self.texts, language, field,
                                    multilingual.text_in(self.texts, self.default_language, field))


@dataclass
class OutlineItem:
    """A plan's item (``PlanItem``'s columns) with its module."""

    id: int
    module_id: int
    deadline_days: int
    module: OutlineModule


@dataclass
class PlanOutline:
    """A published plan as the tourist's page reads it (``TrainingPlan``'s columns): its items in
    the plan's order, each with its module and the module's prerequisites."""

    id: int
    flight_id: int | None
    vehicle: str | None
    items: list[OutlineItem] = field(default_factory=list)


def _outline_columns(needed) -> list:
    """The columns of a plan, its items, their modules and the modules' prerequisites (``needed``)."""
    return [TrainingPlan.id.label("plan_id"), TrainingPlan.flight_id.label("plan_flight_id"),
            TrainingPlan.vehicle.label("plan_vehicle"),
            PlanItem.id.label("item_id"), PlanItem.module_id, PlanItem.deadline_days,
            TrainingModule.kind, TrainingModule.duration_minutes, TrainingModule.validity_days,
            TrainingModule.texts, TrainingModule.default_language,
            needed.id.label("needed_id"), needed.kind.label("needed_kind"),
            needed.duration_minutes.label("needed_duration"), needed.validity_days.label("needed_validity"),
            needed.texts.label("needed_texts"), needed.default_language.label("needed_language")]


def _outline_joins(statement, needed):
    """``statement`` (from the plans) joined to their items, modules and prerequisites."""
    return (statement
            .outerjoin(PlanItem, PlanItem.plan_id == TrainingPlan.id)
            .outerjoin(TrainingModule, TrainingModule.id == PlanItem.module_id)
            .outerjoin(module_prerequisites, module_prerequisites.c.module_id == TrainingModule.id)
            .outerjoin(needed, needed.id == module_prerequisites.c.requires_id))


def _outline_order(needed) -> tuple:
    """The plans newest first, each plan's items and prerequisites in ``plans_for_flights``' order."""
    return (TrainingPlan.published_at.desc(), TrainingPlan.id.desc(), PlanItem.deadline_days.desc(), PlanItem.id,
            needed.id)


class _Outlines:
    """Plans read from rows of :func:`_outline_columns` (a plan's rows may come more than once:
    once per booking of its flights)."""

    def __init__(self):
        self.plans: dict[int, PlanOutline] = {}
        self.items: dict[int, OutlineItem] = {}
        self.needs: set[tuple[int, int]] = set()

    def read(self, row) -> PlanOutline:
        plan = self.plans.get(row.plan_id)
        if plan is None:
            plan = self.plans[row.plan_id] = PlanOutline(row.plan_id, row.plan_flight_id, row.plan_vehicle)
        if row.item_id is None:
            return plan
        item = self.items.get(row.item_id)
        if item is None:
            module = OutlineModule(row.module_id, row.kind, row.duration_minutes, row.validity_days, row.texts,
                                   row.default_language)
            item = self.items[row.item_id] = OutlineItem(row.item_id, row.module_id, row.deadline_days, module)
            plan.items.append(item)
        if row.needed_id is not None and (row.item_id, row.needed_id) not in self.needs:
            self.needs.add((row.item_id, row.needed_id))
            item.module.prerequisites.append(OutlineModule(
                row.needed_id, row.needed_kind, row.needed_duration, row.needed_validity, row.needed_texts,
                row.needed_language))
        return plan


@dataclass
class SeatFlight:
    """A booking's flight as the tourist's training page reads it (``Flight``'s columns)."""

    id: int
    name: str
    vehicle: str
    launch_at: datetime


@dataclass
class Seat:
    """A booking that holds a seat, as the tourist's training page reads it (``Booking``'s columns,
    its flight a :class:`SeatFlight`)."""

    id: int
    reference: str
    user_id: int
    flight_id: int
    state: BookingState
    flight: SeatFlight


@functools.cache
def _seats_statement():
    """:func:`seats_with_plans`' statement, built once: each booking with its flight, and every
    published plan the flight may follow (its own, its vehicle's) with the plan's items, modules
    and prerequisites."""
    needed = aliased(TrainingModule, name="needed")
    plans = select(Booking.id, Booking.reference, Booking.user_id, Booking.flight_id, Booking.state,
                   Flight.name.label("flight_name"), Flight.vehicle, Flight.launch_at, *_outline_columns(needed))
    return (
        _outline_joins(
            plans.select_from(Booking).join(Flight, Flight.id == Booking.flight_id)
            .outerjoin(TrainingPlan, and_(TrainingPlan.published_at.is_not(None),
                                          or_(TrainingPlan.flight_id == Flight.id, TrainingPlan.vehicle == Flight.vehicle))),
            needed)
        .where(Booking.user_id == bindparam("user_id"), booking_service.taking_seat_clause(bindparam("now")),
               Flight.status.notin_(booking_service.ENDED))
        .order_by(Flight.launch_at, Booking.id, *_outline_order(needed))
    )


def seats_with_plans(user_id: int, now: datetime) -> tuple[list[Seat], dict[int, PlanOutline | None]]:
    """The tourist's bookings that hold a seat on a flight still to fly, soonest launch first
    (``bookings.holding_seats``), as columns, and the plan each flight follows
    (``plans_for_flights``, with prerequisites), read as columns: one query for the tourist's
    training page, where bookings, flights, a plan and its items loaded as ORM objects, in two
    statements, cost more than the rest of its statements."""
    seats: dict[int, Seat] = {}
    outlines = _Outlines()
    own: dict[int, PlanOutline] = {}
    by_vehicle: dict[int, PlanOutline] = {}
    for row in db.session.connection().execute(_seats_statement(), {"user_id": user_id, "now": now}):
        if row.id not in seats:
            seats[row.id] = Seat(row.id, row.reference, row.user_id, row.flight_id, row.state,
                                 SeatFlight(row.flight_id, row.flight_name, row.vehicle, row.launch_at))
        if row.plan_id is None:
            continue
        plan = outlines.read(row)  # newest first: the first seen wins
        if plan.flight_id is not None:
            own.setdefault(row.flight_id, plan)
        else:
            by_vehicle.setdefault(row.flight_id, plan)
    plans = {s.flight_id: own.get(s.flight_id) or by_vehicle.get(s.flight_id) for s in seats.values()}
    return list(seats.values()), plans


@functools.cache
def _places_statement(of_modules: bool):
    query = (select(SessionPlace).join(SessionPlace.session)
             .where(SessionPlace.user_id.in_(bindparam("user_ids", expanding=True)))
             .options(joinedload(SessionPlace.session).joinedload(TrainingSession.module))
             .order_by(TrainingSession.starts_at, SessionPlace.id))
    if of_modules:
        query = query.where(TrainingSession.module_id.in_(bindparam("module_ids", expanding=True)))
    return query


def places_of(user_ids: set[int], module_ids: set[int] | None = None) -> dict[int, list[SessionPlace]]:
    """Every place (any state) of these users, in sessions of these modules, with its session and
    module, oldest session first."""
    if not user_ids:
        return {}
    result: dict[int, list[SessionPlace]] = {uid: [] for uid in user_ids}
    values = {"user_ids": list(user_ids), "module_ids": list(module_ids or ())}
    for place in db.session.scalars(_places_statement(module_ids is not None), values):
        result[place.user_id].append(place)
    return result


def module_status(item: PlanItem, flight: Flight, places: list[SessionPlace],
                  now: datetime, horizon: datetime | None = None) -> ModuleStatus:
    """One module of a plan for one tourist, from their places in its sessions (``horizon``:
    ``now`` plus the booking cut-off, worked out once by a caller with many)."""
    own = [p for p in places if p.session.module_id == item.module_id]
    due = deadline(item, flight)
    if not own:  # never booked nor waited for (most modules of a page of bookings): what follows, short
        return ModuleStatus(item, item.module, due, ModuleState.NOT_BOOKED, overdue=due <= now)
    passes = [p for p in own if p.result is Result.PASSED and p.state is PlaceState.BOOKED
              and p.session.status is SessionStatus.SCHEDULED]
    latest_pass = max(passes, key=lambda p: p.session.ends_at) if passes else None
    signed = [p for p in own if p.result is not None or p.attendance in (Attendance.ABSENT, Attendance.EXCUSED)]
    last = max(signed, key=lambda p: p.session.ends_at) if signed else None
    # Present but not yet passed or failed: booked, awaiting the instructor's sign-off. A place
    # offered or waited for past the session's cut-off can no longer be had.
    horizon = horizon or now + timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"])
    # An offer past its time has lapsed, even before the task that records it has run.
    expired = [p for p in own if p.offer_expires_at is not None and (
        p.state is PlaceState.LAPSED or (p.state is PlaceState.OFFERED and p.offer_expires_at <= now))]
    closed = [p for p in own if p.state is PlaceState.LAPSED and p.offer_expires_at is None]
    live = [p for p in own if p.state.live and p.result is None and p not in expired
            and p.attendance in (None, Attendance.PRESENT) and p.session.status is SessionStatus.SCHEDULED
            and (p.state is PlaceState.BOOKED or p.session.starts_at > horizon)]
    booked = next((p for p in live if p.state is PlaceState.BOOKED), None)
    waiting = next((p for p in live if p.state is PlaceState.OFFERED), None) or next(
        (p for p in live if p.state is PlaceState.WAITING), None)
    status = ModuleStatus(item, item.module, due, ModuleState.NOT_BOOKED, passed=latest_pass, last=last)
    if latest_pass is not None and valid_on(latest_pass, flight.launch_at):
        status.state = ModuleState.PASSED
    elif booked is not None:
        status.state, status.place = ModuleState.BOOKED, booked
        # The session moved (or the launch did) so that it now ends after the deadline.
        status.late = booked.session.ends_at > due
    elif waiting is not None:
        status.state, status.place = ModuleState.WAITING, waiting
    elif latest_pass is not None and (last is None or last is latest_pass):
        status.state = ModuleState.EXPIRES
    elif last is not None and last.result is Result.FAILED:
        status.state = ModuleState.FAILED
    elif latest_pass is not None:
        status.state = ModuleState.EXPIRES
    status.overdue = status.state is not ModuleState.PASSED and due <= now
    if status.state in TO_BOOK:
        status.lapsed = next((p for p in reversed(expired) if p.session.starts_at > now
                              and p.session.status is SessionStatus.SCHEDULED), None)
        status.closed = next((p for p in reversed(closed) if p.session.starts_at > now
                              and p.session.status is SessionStatus.SCHEDULED), None)
    return status


# -- the tourist's page's places, as columns -----------------------------------------------------------

@dataclass(frozen=True, slots=True, eq=False)
class PageSession:
    """A :class:`TrainingSession` as the tourist's training page reads it (its module: the plan's)."""
    id: int
    module_id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    timezone: str
    place: str
    module: Any


@dataclass(frozen=True, slots=True, eq=False)
class PagePlace:
    """A :class:`SessionPlace` with its session, as the tourist's training page reads it
    (``eq=False``: compared by identity, as ORM objects are)."""
    id: int
    user_id: int
    session_id: int
    state: PlaceState
    offer_expires_at: datetime | None
    attendance: Attendance | None
    result: Result | None
    session: PageSession


@functools.cache
def _page_places_statement():
    return (select(SessionPlace.id, SessionPlace.user_id, SessionPlace.session_id, SessionPlace.state,
                   SessionPlace.offer_expires_at, SessionPlace.attendance, SessionPlace.result,
                   TrainingSession.module_id, TrainingSession.starts_at, TrainingSession.ends_at,
                   TrainingSession.status, TrainingSession.timezone, TrainingSession.place)
            .join(TrainingSession, TrainingSession.id == SessionPlace.session_id)
            .where(SessionPlace.user_id.in_(bindparam("user_ids", expanding=True)),
                   TrainingSession.module_id.in_(bindparam("module_ids", expanding=True)))
            .order_by(TrainingSession.starts_at, SessionPlace.id))


def page_places_of(user_ids: set[int], modules: dict[int, Any]) -> dict[int, list[PagePlace]]:
    """:func:`places_of` these users in sessions of ``modules`` (by id: the plans' modules, which
    the sessions take as theirs) as columns, for the tourist's training page: one query, no ORM
    objects. A session is one object however many places it has here."""
    result: dict[int, list[PagePlace]] = {uid: [] for uid in user_ids}
    if not user_ids or not modules:
        return result
    sessions: dict[int, PageSession] = {}
    for (place_id, user_id, session_id, state, offer_expires_at, attendance, outcome, module_id, starts_at, ends_at,
         status, timezone, where) in db.session.execute(_page_places_statement(), {
            "user_ids": list(user_ids), "module_ids": list(modules)}):
        session = sessions.get(session_id)
        if session is None:
            session = sessions[session_id] = PageSession(session_id, module_id, starts_at, ends_at, status, timezone,
                                                         where, modules[module_id])
        result[user_id].append(PagePlace(place_id, user_id, session_id, state, offer_expires_at, attendance, outcome,
                                         session))
    return result


def page_progress(bookings: list[Booking], now: datetime, plans: dict) -> dict[int, Progress]:
    """:func:`progress_for` the tourist's training page, with the plans of :func:`seats_with_plans`
    and the places as columns (:func:`page_places_of`)."""
    modules = {item.module_id: item.module for plan in plans.values() if plan for item in plan.items}
    places = page_places_of({b.user_id for b in bookings}, modules) if modules else {}
    return _progress(bookings, now, plans, places)


def progress_for(bookings: list[Booking], now: datetime | None = None,
                 plans: dict[int, TrainingPlan | None] | None = None) -> dict[int, Progress]:
    """Each booking's training: its flight's plan, and where the tourist stands on every module."""
    if plans is None:
        plans = plans_for_flights(list({b.flight_id: b.flight for b in bookings}.values()))
    module_ids = {item.module_id for plan in plans.values() if plan for item in plan.items}
    places = places_of({b.user_id for b in bookings}, module_ids) if module_ids else {}
    return _progress(bookings, now or now_utc(), plans, places)


def _progress(bookings: list[Booking], now: datetime, plans: dict, places: dict) -> dict[int, Progress]:
    horizon = now + timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"])
    result = {}
    for booking in bookings:
        plan = plans.get(booking.flight_id)
        progress = Progress(booking, plan)
        if plan is not None:
            mine = places.get(booking.user_id, [])
            progress.places = mine
            by_module: dict[int, list[SessionPlace]] = {}
            for place in mine:
                by_module.setdefault(place.session.module_id, []).append(place)
            progress.modules = [module_status(item, booking.flight, by_module.get(item.module_id, []), now, horizon)
                                for item in plan.items]
        result[booking.id] = progress
    return result


# -- the readiness gate's progress, as columns ---------------------------------------------------------
# What :func:`module_status` and the gate read of plans, modules, sessions and places, without ORM
# objects: the gate runs for every booking of a readiness matrix, the journey and the desk's file.

@dataclass(frozen=True, slots=True, eq=False)
class ModuleColumns:
    """A :class:`TrainingModule` as the gate reads it."""
    id: int
    validity_days: int | None
    texts: dict
    default_language: str

    text = TrainingModule.text


@dataclass(frozen=True, slots=True, eq=False)
class ItemColumns:
    """A :class:`PlanItem` as :func:`module_status` reads it."""
    module_id: int
    deadline_days: int
    module: ModuleColumns


@dataclass(frozen=True, slots=True, eq=False)
class PlanColumns:
    """A :class:`TrainingPlan` with its items (in the plan's order) as the gate reads it."""
    id: int
    items: list[ItemColumns]


@dataclass(frozen=True, slots=True, eq=False)
class SessionColumns:
    module_id: int
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    module: ModuleColumns


@dataclass(frozen=True, slots=True, eq=False)
class PlaceColumns:
    """A :class:`SessionPlace` with its session, as :func:`module_status` reads it (``eq=False``:
    compared by identity, as ORM objects are)."""
    user_id: int
    state: PlaceState
    offer_expires_at: datetime | None
    attendance: Attendance | None
    result: Result | None
    session: SessionColumns


@functools.cache
def _plan_columns_statement():
    return (select(TrainingPlan.id, TrainingPlan.flight_id, TrainingPlan.vehicle, PlanItem.module_id,
                   PlanItem.deadline_days, TrainingModule.validity_days, TrainingModule.texts,
                   TrainingModule.default_language)
            .outerjoin(PlanItem, PlanItem.plan_id == TrainingPlan.id)
            .outerjoin(TrainingModule, TrainingModule.id == PlanItem.module_id)
            .where(TrainingPlan.published_at.is_not(None),
                   or_(TrainingPlan.flight_id.in_(bindparam("ids", expanding=True)),
                       TrainingPlan.vehicle.in_(bindparam("vehicles", expanding=True))))
            .order_by(TrainingPlan.published_at.desc(), TrainingPlan.id.desc(), PlanItem.deadline_days.desc(),
                      PlanItem.id))


def plan_columns_for_flights(flights: list[Flight]) -> dict[int, PlanColumns | None]:
    """:func:`plans_for_flights` (without prerequisites) as columns: one query."""
    if not flights:
        return {}
    plans: dict[int, PlanColumns] = {}
    own: dict[int, PlanColumns] = {}
    by_vehicle: dict[str, PlanColumns] = {}
    modules: dict[int, ModuleColumns] = {}
    for plan_id, flight_id, vehicle, module_id, deadline_days, validity_days, texts, default_language in (
            db.session.execute(_plan_columns_statement(), {
                "ids": list({f.id for f in flights}), "vehicles": list({f.vehicle for f in flights})})):
        plan = plans.get(plan_id)
        if plan is None:  # newest first: the first seen wins
            plan = plans[plan_id] = PlanColumns(plan_id, [])
            if flight_id is not None:
                own.setdefault(flight_id, plan)
            else:
                by_vehicle.setdefault(vehicle, plan)
        if module_id is not None:
            module = modules.get(module_id)
            if module is None:
                module = modules[module_id] = ModuleColumns(module_id, validity_days, texts, default_language)
            plan.items.append(ItemColumns(module_id, deadline_days, module))
    return {f.id: own.get(f.id) or by_vehicle.get(f.vehicle) for f in flights}


@functools.cache
def _place_columns_statement(postgresql: bool):
    """On PostgreSQL the users' ids go as one array, as ``documents._accepted_statement``'s do."""
    if postgresql:
        of_users = SessionPlace.user_id == func.any(bindparam("user_ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of_users = SessionPlace.user_id.in_(bindparam("user_ids", expanding=True))
    return (select(SessionPlace.user_id, SessionPlace.state, SessionPlace.offer_expires_at, SessionPlace.attendance,
                   SessionPlace.result, TrainingSession.module_id, TrainingSession.starts_at, TrainingSession.ends_at,
                   TrainingSession.status)
            .join(TrainingSession, TrainingSession.id == SessionPlace.session_id)
            .where(of_users, TrainingSession.module_id.in_(bindparam("module_ids", expanding=True)))
            .order_by(TrainingSession.starts_at, SessionPlace.id))


def place_columns_of(user_ids: set[int], modules: dict[int, ModuleColumns]) -> dict[int, list[PlaceColumns]]:
    """:func:`places_of` these users in sessions of ``modules`` (by id), as columns: one query."""
    result: dict[int, list[PlaceColumns]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return result
    statement = _place_columns_statement(db.session.get_bind().dialect.name == "postgresql")
    for (user_id, state, offer_expires_at, attendance, outcome, module_id, starts_at, ends_at,
         status) in db.session.execute(statement, {"user_ids": list(user_ids), "module_ids": list(modules)}):
        session = SessionColumns(module_id, starts_at, ends_at, status, modules[module_id])
        result[user_id].append(PlaceColumns(user_id, state, offer_expires_at, attendance, outcome, session))
    return result


def gate_progress(bookings: list[Booking], now: datetime | None = None) -> dict[int, Progress]:
    """:func:`progress_for` as columns, for the readiness gate: each :class:`Progress` has a
    :class:`PlanColumns` for its plan, and its modules and places read columns; two queries (one
    without a plan)."""
    plans = plan_columns_for_flights(list({b.flight_id: b.flight for b in bookings}.values()))
    modules = {item.module_id: item.module for plan in plans.values() if plan for item in plan.items}
    places = place_columns_of({b.user_id for b in bookings}, modules) if modules else {}
    return _progress(bookings, now or now_utc(), plans, places)


def prerequisites_met(module: TrainingModule, user_id: int, starts_at: datetime,
                      places: list[SessionPlace]) -> list[TrainingModule]:
    """The prerequisites of ``module`` the user has neither passed (and still valid when the
    session starts) nor booked in a session that ends before it starts."""
    missing = []
    for needed in module.prerequisites:
        own = [p for p in places if p.session.module_id == needed.id]
        if any(p.result is Result.PASSED and valid_on(p, starts_at) for p in own):
            continue
        if any(p.state is PlaceState.BOOKED and p.result is None and p.attendance in (None, Attendance.PRESENT)
               and p.session.status is SessionStatus.SCHEDULED and p.session.ends_at <= starts_at for p in own):
            continue
        missing.append(needed)
    return missing
