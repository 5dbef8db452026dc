"""Training sessions, as operations keep them: a module taught at a place and time, by one or more
instructors, for a number of participants. Created singly or as a series (the same time every so
many days); moved (every participant told at once with the new time, calendars updated through
the session's ``sequence``) or cancelled (every place released, everyone told).

Times are stored in UTC. The session's time zone is its place's: pages show the time there and,
where it differs, in the viewer's own zone.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, available_timezones

from babel import dates as babel_dates
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import DateTime, Integer, and_, bindparam, column, func, or_, select, true
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.orm import selectinload

from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import outbox
from app.models import (
    Booking,
    PlaceState,
    Role,
    SessionPlace,
    SessionStatus,
    TrainingModule,
    TrainingSession,
    User,
)
from app.timeutil import now_utc
from app.training import places, plans, progress
from app.urls import external_url

PLACE_MAX = 200
CAPACITY_MAX = 500
#: A series is at most a year of weekly sessions.
SERIES_MAX = 52
REPEAT_MAX_DAYS = 90
REASON_MAX = 500
#: How far ahead a session can be planned.
YEARS_AHEAD = 10


@dataclass
class SessionData:
    module_id: int | None
    #: In UTC (the form reads the time in ``timezone`` and converts it).
    starts_at: datetime | None
    timezone: str
    place: str
    capacity: int | None
    instructor_ids: list[int] = field(default_factory=list)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def valid_timezone(name: str) -> bool:
    return name in _zones()


def live_places(session_id: int) -> int:
    """Places booked or offered in the session (the waiting list does not count)."""
    return len(db.session.scalars(
        select(SessionPlace.id).where(
            SessionPlace.session_id == session_id,
            SessionPlace.state.in_([PlaceState.BOOKED, PlaceState.OFFERED]),
        )
    ).all())


def session_problems(data: SessionData, session: TrainingSession | None = None,
                     now: datetime | None = None) -> list[ServiceError]:
    """Everything wrong with ``data``, each at its field. ``None`` values are fields the form
    could not read: they already carry their own error."""
    now = now or now_utc()
    problems = Problems()
    if session is None and data.module_id is not None:
        module = db.session.get(TrainingModule, data.module_id)
        if module is None:
            problems.add(_("Choose a module from the list."), "module_id")
        elif module.archived_at is not None:
            problems.add(_("This module is no longer offered."), "module_id")
    if not valid_timezone(data.timezone):
        problems.add(_("Choose a time zone from the list."), "timezone")
    moved = session is None or data.starts_at != session.starts_at
    if data.starts_at is not None and moved and data.starts_at <= now:
        problems.add(_("A session starts in the future."), "starts_at")
    elif data.starts_at is not None and data.starts_at > now + timedelta(days=366 * YEARS_AHEAD):
        problems.add(_("A session starts within the next %(years)s years.", years=YEARS_AHEAD), "starts_at")
    if not data.place.strip():
        problems.add(_("Say where the session takes place."), "place")
    elif len(data.place.strip()) > PLACE_MAX:
        problems.add(_("A place has at most %(max)s characters.", max=PLACE_MAX), "place")
    if data.capacity is not None:
        if not 1 <= data.capacity <= CAPACITY_MAX:
            problems.add(_("A session has from 1 to %(max)s places.", max=CAPACITY_MAX), "capacity")
        elif session is not None and data.capacity < (taken := live_places(session.id)):
            problems.add(_("%(count)s places are booked or offered: the capacity cannot be lower.", count=taken),
                         "capacity")
    wanted = set(data.instructor_ids)
    if not wanted:
        problems.add(_("Choose at least one instructor."), "instructor_ids")
    else:
        found = set(db.session.scalars(
            select(User.id).where(User.id.in_(wanted), User.role == Role.INSTRUCTOR, User.active.is_(True))
        ))
        if found != wanted:
            problems.add(_("Choose instructors from the list."), "instructor_ids")
    return problems.errors


def _instructors(ids: list[int]) -> list[User]:
    return list(db.session.scalars(select(User).where(User.id.in_(sorted(set(ids))))))


def _tell_assigned(instructors: list[User], sessions: list[TrainingSession], *, added: bool) -> None:
    """Instructors learn by email that they now teach ``sessions`` (or no longer do): one email
    for a whole series."""
    if not sessions:
        return
    for instructor in instructors:
        outbox.queue_email(
            "training_teaching_assigned", user=instructor, sessions=sessions, added=added,
            module_name=sessions[0].module.text(instructor.language),
            url=external_url("training.instructor.roster"),
        )


def series_starts(first: datetime, timezone: str, repeat: int, every_days: int) -> list[datetime]:
    """The starts (UTC) of a series: the same wall-clock time at the place every ``every_days``
    days, whatever daylight saving does in between. A start the place's clocks skip (the hour they
    go forward) does not exist: the series is refused, naming its date."""
    zone = ZoneInfo(timezone)
    local_first = first.astimezone(zone).replace(tzinfo=None)
    starts = []
    for n in range(repeat):
        wall = local_first + timedelta(days=n * every_days)
        utc = wall.replace(tzinfo=zone).astimezone(UTC)
        if utc.astimezone(zone).replace(tzinfo=None) != wall:
            raise ServiceError(_(
                "The session of %(date)s would start at %(time)s, a time that does not exist at the "
                "place: the clocks go forward then. Choose another time or another interval.",
                date=babel_dates.format_date(wall.date(), "medium", locale=get_locale()),
                time=babel_dates.format_time(wall.time(), "short", locale=get_locale()),
            ), "starts_at")
        starts.append(utc)
    return starts


def create_sessions(data: SessionData, *, repeat: int = 1, every_days: int = 7) -> list[TrainingSession]:
    """One session, or ``repeat`` of them ``every_days`` apart (at the same local time) as a
    series."""
    problems = Problems(session_problems(data))
    if not 1 <= repeat <= SERIES_MAX:
        problems.add(_("A series has from 1 to %(max)s sessions.", max=SERIES_MAX), "repeat")
    if repeat > 1 and not 1 <= every_days <= REPEAT_MAX_DAYS:
        problems.add(_("Sessions of a series are from 1 to %(max)s days apart.", max=REPEAT_MAX_DAYS), "every_days")
    problems.raise_any()
    starts = series_starts(data.starts_at, data.timezone, repeat, every_days)
    module = db.session.get(TrainingModule, data.module_id)
    series = secrets.token_hex(8) if repeat > 1 else None
    instructors = _instructors(data.instructor_ids)
    created = []
    for starts_utc in starts:
        session = TrainingSession(
            module=module, starts_at=starts_utc, ends_at=starts_utc + timedelta(minutes=module.duration_minutes),
            timezone=data.timezone, place=data.place.strip(), capacity=data.capacity, series=series,
            instructors=list(instructors),
        )
        db.session.add(session)
        created.append(session)
    db.session.flush()
    _tell_assigned(instructors, created, added=True)
    return created


#: Names listed when a move would make participants late; the rest are counted.
LATE_NAMES_SHOWN = 5


def late_after_move(session: TrainingSession, starts_at: datetime) -> list[tuple[SessionPlace, datetime]]:
    """The booked places whose deadline for this module the session would miss if it started at
    ``starts_at`` (and does not miss now), each with that deadline, soonest deadline first."""
    ends = starts_at + timedelta(minutes=session.module.duration_minutes)
    booked = list(db.session.scalars(
        select(SessionPlace).where(SessionPlace.session_id == session.id, SessionPlace.state == PlaceState.BOOKED,
                                   SessionPlace.booking_id.is_not(None))
        .options(selectinload(SessionPlace.user))
    ))
    if not booked:
        return []
    bookings = {b.id: b for b in db.session.scalars(
        select(Booking).where(Booking.id.in_({p.booking_id for p in booked}))
        .options(selectinload(Booking.flight)))}
    flight_plans = progress.plans_for_flights(list({b.flight_id: b.flight for b in bookings.values()}.values()))
    late = []
    for place in booked:
        booking = bookings[place.booking_id]
        plan = flight_plans.get(booking.flight_id)
        item = next((i for i in plan.items if i.module_id == session.module_id), None) if plan else None
        if item is None:
            continue
        due = plans.deadline(item, booking.flight)
        if ends > due >= session.ends_at:
            late.append((place, due))
    return sorted(late, key=lambda pair: (pair[1], pair[0].id))


def _late_warning(late: list[tuple[SessionPlace, datetime]]) -> ServiceError:
    names = ", ".join(place.user.name for place, _due in late[:LATE_NAMES_SHOWN])
    if len(late) > LATE_NAMES_SHOWN:
        names = _("%(names)s and %(count)s more", names=names, count=len(late) - LATE_NAMES_SHOWN)
    return ServiceError(ngettext(
        "At this time the session would end after the deadline for this module of %(num)d booked "
        "participant: %(names)s. Choose an earlier time, or tick the box to move it anyway: they "
        "will be told to move to an earlier session.",
        "At this time the session would end after the deadline for this module of %(num)d booked "
        "participants: %(names)s. Choose an earlier time, or tick the box to move it anyway: they "
        "will be told to move to an earlier session.", len(late), names=names), "confirm_late")


def update_session(session: TrainingSession, data: SessionData, actor: User, *, confirm_late: bool = False) -> bool:
    """Change the time, place, capacity or instructors; returns whether the session moved (its
    participants are then told at once, and calendars get the new time). A move that would make
    booked participants miss their deadline is refused unless ``confirm_late``."""
    places.lock_session(session.id)
    if session.cancelled:
        raise ServiceError(_("This session is cancelled and cannot be changed."))
    Problems(session_problems(data, session)).raise_any()
    if data.starts_at != session.starts_at and session.starts_at <= now_utc():
        raise ServiceError(_("This session has started: it can no longer be moved."), "starts_at")
    if data.starts_at != session.starts_at and not confirm_late:
        late = late_after_move(session, data.starts_at)
        if late:
            raise _late_warning(late)
    previous_start, previous_place = session.starts_at, session.place
    moved = data.starts_at != previous_start
    if moved:  # both at once: the database checks that a session ends after it starts
        length = timedelta(minutes=session.module.duration_minutes)
        session.starts_at, session.ends_at = data.starts_at, data.starts_at + length
    session.timezone = data.timezone
    session.place = data.place.strip()
    session.capacity = data.capacity
    previous_instructors = list(session.instructors)
    session.instructors = _instructors(data.instructor_ids)
    added = [i for i in session.instructors if i not in previous_instructors]
    removed = [i for i in previous_instructors if i not in session.instructors]
    changed = moved or session.place != previous_place
    if changed:
        session.sequence += 1
    db.session.flush()
    # Who joins learns the session as it now is; who leaves, that it is no longer theirs; who
    # stays, what changed (with its participants, in ``session_changed``).
    _tell_assigned(added, [session], added=True)
    _tell_assigned(removed, [session], added=False)
    if changed:
        places.session_changed(session, previous_start, previous_place, actor, instructors=[
            i for i in session.instructors if i not in added])
    places.offer_free_places(session)
    return moved


def cancel_session(session: TrainingSession, reason: str, actor: User) -> int:
    """Cancel the session: every place and waiting-list entry is released and its holder told.
    Returns how many people were told."""
    places.lock_session(session.id)
    if session.cancelled:
        raise ServiceError(_("This session is already cancelled."))
    if session.starts_at <= now_utc():
        raise ServiceError(_("This session has started: it can no longer be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the session is cancelled: its participants are told."), "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(_("A reason has at most %(max)s characters.", max=REASON_MAX), "reason")
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.sequence += 1
    db.session.flush()
    return places.session_cancelled(session, actor)


def upcoming(now: datetime | None = None, *, module_id: int | None = None, include_past_days: int = 0,
             limit: int = 200) -> list[TrainingSession]:
    """Sessions from ``include_past_days`` ago on, soonest first, with their modules and instructors."""
    now = now or now_utc()
    query = (select(TrainingSession)
             .where(TrainingSession.ends_at >= now - timedelta(days=include_past_days))
             .options(selectinload(TrainingSession.module), selectinload(TrainingSession.instructors))
             .order_by(TrainingSession.starts_at, TrainingSession.id).limit(limit))
    if module_id is not None:
        query = query.where(TrainingSession.module_id == module_id)
    return list(db.session.scalars(query))


# -- sessions a tourist may book ------------------------------------------------------------------

class OpenSession(NamedTuple):
    """A session offered to book, as the page shows it: columns, with its places taken and waiting
    (it answers what ``session_time`` asks of a ``TrainingSession``)."""

    id: int
    module_id: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    capacity: int
    taken: int
    waiting: int


def open_to_book(deadlines: dict[int, datetime], now: datetime, *, per_module: int) -> dict[int, list[OpenSession]]:
    """Per module, the first ``per_module`` scheduled sessions still open to booking that end by its
    deadline (``deadlines``: the latest of the tourist's bookings), soonest first, with their
    places taken and waiting: one query."""
    if not deadlines:
        return {}
    values: dict[str, object] = {
        "opens_after": now + timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"]), "now": now,
        "per_module": per_module}
    if db.session.get_bind().dialect.name == "postgresql":
        values["modules"], values["dues"] = list(deadlines), list(deadlines.values())
        statement = _open_by_module_statement()
    else:
        for i, (module_id, due) in enumerate(deadlines.items()):
            values[f"module_{i}"], values[f"due_{i}"] = module_id, due
        statement = _open_statement(len(deadlines))
    result: dict[int, list[OpenSession]] = {}
    for row in db.session.connection().execute(statement, values):
        result.setdefault(row.module_id, []).append(OpenSession(*row))
    return result


@functools.cache
def _open_by_module_statement():
    """:func:`open_to_book`'s statement on PostgreSQL, built once: for each module (``modules``,
    with its deadline in ``dues``: two arrays, whatever their length) its first ``per_module``
    sessions by the index of a module's sessions by start (a lateral join), where ranking every
    open session of every module read and sorted the whole table (about 0.4 -> 0.2 ms of
    PostgreSQL's CPU); ``per_module`` is written into the SQL (an integer from the code), for
    PostgreSQL to keep one plan."""
    wanted = func.unnest(bindparam("modules", type_=postgresql_types.ARRAY(Integer)),
                         bindparam("dues", type_=postgresql_types.ARRAY(DateTime(timezone=True))),
                         ).table_valued(column("module_id", Integer), column("due", DateTime(timezone=True))
                                        ).render_derived(name="wanted")
    offered = (
        select(TrainingSession.id, TrainingSession.module_id, TrainingSession.starts_at, TrainingSession.ends_at,
               TrainingSession.timezone, TrainingSession.place, TrainingSession.capacity,
               *places.count_columns(bindparam("now")))
        .where(TrainingSession.module_id == wanted.c.module_id, TrainingSession.ends_at <= wanted.c.due,
               TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.starts_at > bindparam("opens_after"))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
        .limit(bindparam("per_module", type_=Integer, literal_execute=True))
        .lateral("offered")
    )
    return select(offered).select_from(wanted).join(offered, true()).order_by(offered.c.starts_at, offered.c.id)


@functools.cache
def _open_statement(modules: int):
    """:func:`open_to_book`'s statement for this many modules, built once (building it cost about
    as much as running it), each module's deadline bound."""
    rank = func.row_number().over(partition_by=TrainingSession.module_id,
                                  order_by=(TrainingSession.starts_at, TrainingSession.id)).label("rank")
    ranked = select(TrainingSession.id, rank).where(
        TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.starts_at > bindparam("opens_after"),
        or_(*(and_(TrainingSession.module_id == bindparam(f"module_{i}"), TrainingSession.ends_at <= bindparam(f"due_{i}"))
              for i in range(modules))),
    ).subquery()
    return (
        select(TrainingSession.id, TrainingSession.module_id, TrainingSession.starts_at, TrainingSession.ends_at,
               TrainingSession.timezone, TrainingSession.place, TrainingSession.capacity,
               *places.count_columns(bindparam("now")))
        .join(ranked, ranked.c.id == TrainingSession.id)
        .where(ranked.c.rank <= bindparam("per_module")).order_by(TrainingSession.starts_at, TrainingSession.id)
    )
