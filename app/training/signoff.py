"""The instructor's work: their roster of sessions, and per participant the attendance (present,
absent, excused) and the result (passed or failed, with a score for an exam, and a note).

Only an instructor of a session signs off its participants. Every mark is an event row (who, when,
what); a correction is a new mark, and the history keeps both. An exam's result follows from its
score and the module's pass mark. A fail means booking the module again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Callable, NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, exists, func, select
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.orm import contains_eager, selectinload

from app import multilingual
from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Attendance,
    Booking,
    CalendarFeed,
    Flight,
    ModuleKind,
    PlaceState,
    Result,
    SessionPlace,
    SessionStatus,
    TrainingModule,
    TrainingSession,
    User,
    session_instructors,
)
from app.timeutil import now_utc
from app.training import places, progress
from app.training.places import record

NOTE_MAX = 1000


def teaches(session: TrainingSession, user: User) -> bool:
    return any(i.id == user.id for i in session.instructors)


def _roster_span(instructor: User, now: datetime | None, days: int) -> tuple[datetime, datetime]:
    """From the start of the instructor's today, ``days`` days."""
    now = now or now_utc()
    zone = ZoneInfo(instructor.timezone or "UTC")
    today = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return today, today + timedelta(days=days)


def roster(instructor: User, now: datetime | None = None, *, days: int = 14, limit: int = 200) -> list[TrainingSession]:
    """The instructor's sessions from the start of their today for ``days`` days, soonest first,
    with their modules (participants are loaded by :func:`participants`; the roster page's sessions
    and participants, as columns, by :func:`roster_sessions`)."""
    today, until = _roster_span(instructor, now, days)
    return list(db.session.scalars(
        select(TrainingSession)
        .join(session_instructors, session_instructors.c.session_id == TrainingSession.id)
        .where(session_instructors.c.user_id == instructor.id, TrainingSession.ends_at >= today,
               TrainingSession.starts_at < until)
        .join(TrainingSession.module).options(contains_eager(TrainingSession.module))  # in the same query
        .order_by(TrainingSession.starts_at, TrainingSession.id).limit(limit)
    ))


def participants(sessions: list[TrainingSession]) -> dict[int, list[SessionPlace]]:
    """The booked places of each session (and those signed off), with their tourists, in one query."""
    result: dict[int, list[SessionPlace]] = {s.id: [] for s in sessions}
    if not sessions:
        return result
    for place in db.session.scalars(
        select(SessionPlace).where(SessionPlace.session_id.in_(result), SessionPlace.state == PlaceState.BOOKED)
        .options(selectinload(SessionPlace.user), selectinload(SessionPlace.signed_off_by))
        .order_by(SessionPlace.id)
    ):
        result[place.session_id].append(place)
    for rows in result.values():
        rows.sort(key=lambda p: p.user.name.casefold())
    return result


class RosterRow(NamedTuple):
    """A participant as the roster shows them: columns, not ORM objects (a roster of two weeks
    holds a hundred and more participants, and loading each place, tourist and booking as objects
    cost more than the rest of the page)."""

    id: int  # the place's
    session_id: int
    name: str
    attendance: Attendance | None
    result: Result | None
    score: int | None
    user_id: int
    launch_at: datetime | None  # of the booking's flight, for the medical status through launch
    #: The medical status through that launch, when the page asked for it as a column
    #: (:func:`roster_sessions`' ``status``).
    medical: str | None = None


@dataclass
class RosterSession:
    """A session as the roster shows it: columns, not ORM objects (the page reads a dozen of them
    per session, and a session and its module loaded as objects cost more than the query). It
    answers what the templates ask of a ``TrainingSession`` (``id``, ``starts_at``, ``timezone``,
    ``place``, ``cancelled``)."""

    id: int
    starts_at: datetime
    timezone: str
    place: str
    capacity: int
    status: SessionStatus
    module_texts: dict[str, Any]
    module_language: str
    #: The participants, by name.
    people: list[RosterRow] = field(default_factory=list)

    @property
    def cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    def module_name(self, language: str) -> str:
        """:meth:`TrainingModule.text`'s name, from the module's columns."""
        return multilingual.text_in(self.module_texts, language, "name",
                                    multilingual.text_in(self.module_texts, self.module_language, "name"))


@functools.cache
def _roster_statements(status: Callable[[Any, Any], Any] | None, postgresql: bool):
    """Built once, their values bound (building them cost more than running them): the roster's
    sessions with their modules' texts, and the booked places in those sessions (their ids bound:
    selecting the sessions again in a subquery cost PostgreSQL half a millisecond more), with the
    column ``status`` makes of the tourist and the launch, if any. On PostgreSQL the ids go as one
    array (``= ANY(:ids)``): as a list, the statement's text changed with the number of sessions
    and PostgreSQL planned it again on every call; SQLite takes the list."""
    sessions = (
        select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.timezone, TrainingSession.place,
               TrainingSession.capacity, TrainingSession.status, TrainingModule.texts, TrainingModule.default_language,
               _feed_exists().label("has_feed"))
        .join(session_instructors, session_instructors.c.session_id == TrainingSession.id)
        .join(TrainingModule, TrainingModule.id == TrainingSession.module_id)
        .where(session_instructors.c.user_id == bindparam("instructor_id"),
               TrainingSession.ends_at >= bindparam("since"), TrainingSession.starts_at < bindparam("until"))
        .order_by(TrainingSession.starts_at, TrainingSession.id).limit(bindparam("limit"))
    )
    if postgresql:
        of_sessions = SessionPlace.session_id == func.any(bindparam("ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of_sessions = SessionPlace.session_id.in_(bindparam("ids", expanding=True))
    columns = [SessionPlace.id, SessionPlace.session_id, User.name, SessionPlace.attendance, SessionPlace.result,
               SessionPlace.score, SessionPlace.user_id, Flight.launch_at]
    if status is not None:
        columns.append(status(SessionPlace.user_id, Flight.launch_at))
    people = (
        select(*columns)
        .join(User, User.id == SessionPlace.user_id)
        .outerjoin(Booking, Booking.id == SessionPlace.booking_id).outerjoin(Flight, Flight.id == Booking.flight_id)
        .where(of_sessions, SessionPlace.state == PlaceState.BOOKED)
        .order_by(SessionPlace.id)
    )
    return sessions, people


def _feed_exists():
    """SQL: the instructor (``instructor_id``) has a live calendar feed (``calendar.has_feed``)."""
    return exists().where(CalendarFeed.user_id == bindparam("instructor_id"), CalendarFeed.revoked_at.is_(None))


@functools.cache
def _feed_statement():
    return select(_feed_exists())


def roster_sessions(instructor: User, now: datetime | None = None, *, days: int = 14, limit: int = 200,
                    status: Callable[[Any, Any], Any] | None = None) -> list[RosterSession]:
    """:func:`roster` as the roster page shows it, each session with its booked places by the
    tourist's name (what :func:`participants` loads as objects for the sign-off sheet): two queries.
    ``status``, given the columns of a place's tourist and of its booking's launch, makes a column
    of SQL that each row carries as ``medical`` (the page's medical status, in the same statement)."""
    return roster_page(instructor, now, days=days, limit=limit, status=status)[0]


def roster_page(instructor: User, now: datetime | None = None, *, days: int = 14, limit: int = 200,
                status: Callable[[Any, Any], Any] | None = None) -> tuple[list[RosterSession], bool]:
    """:func:`roster_sessions`, and whether the instructor has a live calendar feed
    (``calendar.has_feed``), which the sessions' statement answers too: a third statement only
    when there are no sessions."""
    since, until = _roster_span(instructor, now, days)
    values = {"instructor_id": instructor.id, "since": since, "until": until, "limit": limit}
    sessions_statement, people_statement = _roster_statements(
        status, db.session.get_bind().dialect.name == "postgresql")
    # Through the connection: rows of columns need none of the ORM's row processing (about 0.1 ms
    # for a hundred participants).
    connection = db.session.connection()
    sessions, has_feed = {}, None
    for row in connection.execute(sessions_statement, values):
        sessions[row.id] = RosterSession(*row[:8])
        has_feed = row.has_feed
    if has_feed is None:
        has_feed = connection.execute(_feed_statement(), {"instructor_id": instructor.id}).scalar()
    if sessions:
        for row in connection.execute(people_statement, {"ids": list(sessions)}):
            sessions[row.session_id].people.append(RosterRow(*row))
        for session in sessions.values():
            session.people.sort(key=lambda r: r.name.casefold())
    return list(sessions.values()), bool(has_feed)


def mark(place: SessionPlace, actor: User, *, attendance: Attendance, result: Result | None = None,
         score: int | None = None, note: str = "", now: datetime | None = None) -> SessionPlace:
    """Record a participant's attendance and, when present, their result."""
    now = now or now_utc()
    session = place.session
    if not teaches(session, actor):
        raise ServiceError(_("Only an instructor of this session signs off its participants."))
    if place.state is not PlaceState.BOOKED:
        raise ServiceError(_("This tourist no longer has a place in this session."))
    if session.cancelled:
        raise ServiceError(_("This session is cancelled."))
    problems = Problems()
    if attendance is not Attendance.EXCUSED and now < session.starts_at:
        problems.add(_("Attendance is marked once the session has started (an absence can be excused "
                       "before)."), "attendance")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        problems.add(_("A note has at most %(max)s characters.", max=NOTE_MAX), "note")
    exam = session.module.kind is ModuleKind.EXAM
    if attendance is Attendance.PRESENT:
        if exam and score is not None:
            if not 0 <= score <= 100:
                problems.add(_("A score is from 0 to 100 percent."), "score")
            else:
                result = Result.PASSED if score >= (session.module.pass_mark or 0) else Result.FAILED
        elif exam and result is not None:
            problems.add(_("Enter the exam's score: the result follows from the pass mark."), "score")
        elif not exam and score is not None:
            problems.add(_("Only an exam has a score."), "score")
    elif result is not None or score is not None:
        problems.add(_("Only a participant who was present passes or fails."), "result")
    if attendance is Attendance.PRESENT and result is Result.PASSED and session.module.prerequisites:
        # Absent from the class the exam needs, or failed it: the exam cannot count as passed.
        missing = progress.prerequisites_met(session.module, place.user_id, session.starts_at,
                                             progress.places_of({place.user_id})[place.user_id])
        if missing:
            problems.add(_(
                "%(name)s has not passed %(modules)s, which this module needs first: they cannot pass it "
                "yet. Record their attendance without a result; they take this module again later.",
                name=place.user.name, modules=", ".join(m.text(actor.language) for m in missing)), "result")
    problems.raise_any()
    if attendance is Attendance.EXCUSED and now < session.starts_at:
        # Excused in advance: the place is released (and offered to the waiting list); the
        # tourist books another session.
        places.cancel_place(place, actor, now, why="excused in advance", by_staff=True)
        place.attendance, place.note = attendance, note
        record(place, "attendance", actor, attendance.value, note=note)
        db.session.flush()
        return place
    changed = place.attendance is not attendance
    place.attendance = attendance
    if changed:
        record(place, "attendance", actor, attendance.value)
    if attendance is Attendance.PRESENT and result is not None:
        place.result, place.score, place.note = result, score if exam else None, note
        place.signed_off_at, place.signed_off_by_id = now, actor.id
        record(place, "result", actor, result.value, score=place.score, note=note)
    elif attendance is not Attendance.PRESENT:
        if place.result is not None:
            record(place, "result", actor, "withdrawn", note=note)
        place.result, place.score, place.note = None, None, note
        place.signed_off_at, place.signed_off_by_id = now, actor.id
    elif note != place.note:
        place.note = note
        record(place, "note", actor, note=note)
    db.session.flush()
    reminders.sync(place)
    if place.booking_id is not None:
        reminders.sync(db.session.get(Booking, place.booking_id))
    return place
