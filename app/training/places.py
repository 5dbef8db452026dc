"""A tourist's place in a training session: booked, moved or cancelled until the cut-off; a full
session takes a waiting list, and a freed place is offered to the first in line for a limited time,
as seats are.

A place is never sold twice: every change that takes or frees a place first locks the session's
row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions take the write lock when they
begin), then counts the places booked and offered, so concurrent attempts at the last place run
one after another. Every change of a place writes an event row (who, when, what).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, func, select
from sqlalchemy.orm import aliased

from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox, reminders
from app.models import (
    Booking,
    BookingState,
    PlaceState,
    Role,
    SessionPlace,
    SessionStatus,
    TrainingEvent,
    TrainingSession,
    User,
)
from app.timeutil import now_utc
from app.training import plans, progress
from app.urls import external_url

P = PlaceState


class SessionFull(ServiceError):
    pass


def cutoff(session: TrainingSession) -> datetime:
    """After this, places are no longer booked, moved or cancelled online."""
    return session.starts_at - timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"])


def lock_session(session_id: int) -> TrainingSession:
    """Lock the session's row for the rest of the transaction and return it, fresh."""
    return db.session.execute(
        select(TrainingSession).where(TrainingSession.id == session_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _taking_place(now: datetime):
    return (SessionPlace.state == P.BOOKED) | and_(SessionPlace.state == P.OFFERED,
                                                   SessionPlace.offer_expires_at > now)


def places_taken(session_id: int, now: datetime | None = None) -> int:
    now = now or now_utc()
    return db.session.scalar(
        select(func.count(SessionPlace.id)).where(SessionPlace.session_id == session_id, _taking_place(now))
    ) or 0


def _waiting(session_id: int) -> int:
    return db.session.scalar(
        select(func.count(SessionPlace.id)).where(SessionPlace.session_id == session_id,
                                                  SessionPlace.state == P.WAITING)
    ) or 0


def record(place: SessionPlace, kind: str, actor: User | None, value: str = "", *, score: int | None = None,
           note: str = "") -> None:
    db.session.add(TrainingEvent(place_id=place.id, kind=kind, value=value, score=score, note=note,
                                 actor_id=actor.id if actor is not None else None))


def live_place(session_id: int, user_id: int) -> SessionPlace | None:
    return db.session.scalar(
        select(SessionPlace).where(SessionPlace.session_id == session_id, SessionPlace.user_id == user_id,
                                   SessionPlace.state.in_([P.WAITING, P.OFFERED, P.BOOKED]))
        .execution_options(populate_existing=True)
    )


def _check(session: TrainingSession, booking: Booking, user: User, now: datetime) -> None:
    """Whether ``user`` may take a place in ``session`` for ``booking``; raises why not."""
    if user.role is not Role.TOURIST or booking.user_id != user.id:
        raise ServiceError(_("Only the tourist of a booking can book their training."))
    if booking.state is not BookingState.CONFIRMED:
        # A held seat may lapse within minutes: its places would block others' for nothing.
        raise ServiceError(_("Pay the deposit to confirm your seat first; then book your training."))
    if session.status is not SessionStatus.SCHEDULED:
        raise ServiceError(_("This session is cancelled."))
    if now >= cutoff(session):
        raise ServiceError(_("Places in this session can no longer be booked online: it starts soon."))
    plan = progress.plans_for_flights([booking.flight])[booking.flight_id]
    item = next((i for i in plan.items if i.module_id == session.module_id), None) if plan else None
    if item is None:
        raise ServiceError(_("Your flight's training does not include this module."))
    if session.ends_at > plans.deadline(item, booking.flight):
        raise ServiceError(_("This session ends after your deadline for this module: choose an earlier one."))
    mine = progress.places_of({user.id})[user.id]
    status = progress.module_status(item, booking.flight, mine, now)
    if status.state is progress.ModuleState.PASSED:
        raise ServiceError(_("You have passed this module, and the pass is valid through your launch."))
    other = next((p for p in mine if p.session.module_id == session.module_id and p.session_id != session.id
                  and (p.state is P.BOOKED or (p.state is P.OFFERED and p.offer_expires_at is not None
                                                and p.offer_expires_at > now))
                  and p.result is None and p.attendance is None
                  and p.session.status is SessionStatus.SCHEDULED and p.session.ends_at > now), None)
    if other is not None:
        raise ServiceError(_("You already have a place in another session of this module: move it instead."))
    missing = progress.prerequisites_met(session.module, user.id, session.starts_at, mine)
    if missing:
        language = user.language
        raise ServiceError(_(
            "Book %(modules)s first: this module needs it passed, or booked in a session that ends "
            "before this one starts.", modules=", ".join(m.text(language) for m in missing)))


def book_place(session_id: int, booking: Booking, user: User, now: datetime | None = None) -> SessionPlace:
    """Book a place in the session (or take the place offered to the tourist there), or raise
    :class:`SessionFull` when every place is taken."""
    now = now or now_utc()
    session = lock_session(session_id)
    expire_offers(session, now)
    existing = live_place(session.id, user.id)
    if existing is not None and existing.state is P.BOOKED:
        raise ServiceError(_("You already have a place in this session."))
    _check(session, booking, user, now)
    if existing is not None and existing.state is P.OFFERED:
        existing.state, existing.offer_expires_at, existing.booking_id = P.BOOKED, None, booking.id
        record(existing, "booked", user, "offer taken")
        _booked(existing)
        return existing
    if existing is not None:  # waiting: a place is free only for those ahead, who are offered it first
        raise SessionFull(_("You are on the waiting list for this session: you will be offered a place "
                            "when one is free."))
    if _waiting(session.id) or places_taken(session.id, now) >= session.capacity:
        raise SessionFull(_("This session is full. You can join its waiting list."))
    place = SessionPlace(session_id=session.id, user_id=user.id, booking_id=booking.id, state=P.BOOKED)
    db.session.add(place)
    db.session.flush()
    record(place, "booked", user)
    _booked(place)
    return place


def _booked(place: SessionPlace) -> None:
    # Waiting for another session of the same module is over: the tourist has a place.
    for other in db.session.scalars(
        select(SessionPlace).join(SessionPlace.session).where(
            SessionPlace.user_id == place.user_id, SessionPlace.state == P.WAITING,
            SessionPlace.session_id != place.session_id,
            TrainingSession.module_id == place.session.module_id)
    ).all():
        other.state = P.CANCELLED
        record(other, "cancelled", None, P.WAITING.value, note="booked another session")
    db.session.flush()
    reminders.sync(place)
    reminders.notify("training_booked", place, occurrence=f"booked-{place.session.sequence}")
    if place.booking_id is not None:
        reminders.sync(db.session.get(Booking, place.booking_id))


def join_waitlist(session_id: int, booking: Booking, user: User, now: datetime | None = None) -> SessionPlace:
    now = now or now_utc()
    session = lock_session(session_id)
    expire_offers(session, now)
    if live_place(session.id, user.id) is not None:
        raise ServiceError(_("You already have a place in this session, or are on its waiting list."))
    _check(session, booking, user, now)
    if not _waiting(session.id) and places_taken(session.id, now) < session.capacity:
        raise ServiceError(_("Places are free in this session: book one now."))
    place = SessionPlace(session_id=session.id, user_id=user.id, booking_id=booking.id, state=P.WAITING)
    db.session.add(place)
    db.session.flush()
    record(place, "waiting", user)
    if place.booking_id is not None:
        reminders.sync(db.session.get(Booking, place.booking_id))
    return place


def waitlist_position(place: SessionPlace) -> int:
    return waitlist_positions([place])[place.id]


def waitlist_positions(waiting: list[SessionPlace]) -> dict[int, int]:
    """Each waiting place's number on its session's list (1 is next), in one query."""
    if not waiting:
        return {}
    ahead = aliased(SessionPlace)
    rows = db.session.execute(
        select(SessionPlace.id, func.count(ahead.id))
        .outerjoin(ahead, and_(ahead.session_id == SessionPlace.session_id, ahead.state == P.WAITING,
                               ahead.id < SessionPlace.id))
        .where(SessionPlace.id.in_([p.id for p in waiting])).group_by(SessionPlace.id)
    )
    return {place_id: int(n) + 1 for place_id, n in rows}


def cancel_place(place: SessionPlace, actor: User, now: datetime | None = None, *, why: str = "",
                 by_staff: bool = False) -> None:
    """Give up a place (or leave the waiting list, or decline an offer) before the cut-off (staff:
    until the session starts); the place goes to the first in line."""
    now = now or now_utc()
    session = lock_session(place.session_id)
    db.session.refresh(place)
    if not place.state.live:
        raise ServiceError(_("This place is no longer yours."))
    if place.state is P.BOOKED and now >= (session.starts_at if by_staff else cutoff(session)):
        raise ServiceError(_("This session starts soon: places can no longer be cancelled online. "
                             "Please contact us."))
    previous = place.state
    place.state, place.offer_expires_at = P.CANCELLED, None
    record(place, "cancelled", actor, previous.value, note=why)
    db.session.flush()
    reminders.sync(place)
    if place.booking_id is not None:
        reminders.sync(db.session.get(Booking, place.booking_id))
    if previous in (P.BOOKED, P.OFFERED):
        offer_free_places(session, now)


def move_place(place: SessionPlace, to_session_id: int, actor: User, now: datetime | None = None) -> SessionPlace:
    """Move a booked place to another session of the same module, in one step: the new place is
    taken before the old one is given up, so a failed move keeps the old place."""
    now = now or now_utc()
    for session_id in sorted({place.session_id, to_session_id}):  # a fixed order: no deadlock
        lock_session(session_id)
    db.session.refresh(place)
    if place.state is not P.BOOKED or place.booking_id is None:
        raise ServiceError(_("Only a booked place can be moved."))
    target = db.session.get(TrainingSession, to_session_id)
    if target is None or target.module_id != place.session.module_id or target.id == place.session_id:
        raise ServiceError(_("Choose another session of the same module."), "session")
    if now >= cutoff(place.session):
        raise ServiceError(_("This session starts soon: places can no longer be moved online. "
                             "Please contact us."))
    booking = db.session.get(Booking, place.booking_id)
    place.state = P.CANCELLED  # lets the checks see the new session as the only one
    db.session.flush()
    try:
        new = book_place(target.id, booking, actor, now)
    except ServiceError:
        place.state = P.BOOKED
        db.session.flush()
        raise
    record(place, "moved", actor, f"session {target.id}")
    db.session.flush()
    reminders.sync(place)
    offer_free_places(place.session, now)
    return new


def offer_free_places(session: TrainingSession, now: datetime | None = None) -> list[SessionPlace]:
    """Offer each free place to the next in line, held for them for the offer period (never past
    the cut-off). Call with the session locked."""
    now = now or now_utc()
    if session.status is not SessionStatus.SCHEDULED or now >= cutoff(session):
        return []
    free = session.capacity - places_taken(session.id, now)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        select(SessionPlace).where(SessionPlace.session_id == session.id, SessionPlace.state == P.WAITING)
        .order_by(SessionPlace.id).limit(free)
    ).all()
    until = min(now + timedelta(hours=current_app.config["TRAINING_OFFER_HOURS"]), cutoff(session))
    for place in waiting:
        place.state, place.offer_expires_at = P.OFFERED, until
        record(place, "offered", None)
        db.session.flush()
        reminders.notify("training_place_offered", place, occurrence=f"offer-{place.id}-{int(until.timestamp())}")
    return list(waiting)


def expire_offers(session: TrainingSession | None = None, now: datetime | None = None) -> int:
    """Offers not taken in time lapse and pass to the next in line (of one session, or all: a beat
    task). Returns how many lapsed."""
    now = now or now_utc()
    stale = and_(SessionPlace.state == P.OFFERED, SessionPlace.offer_expires_at <= now)
    if session is None:
        ids = db.session.scalars(select(SessionPlace.session_id).where(stale).distinct()).all()
        _close_waiting_lists(now)
    else:
        ids = [session.id]
    lapsed = 0
    for session_id in ids:
        locked = lock_session(session_id)
        for place in db.session.scalars(
            select(SessionPlace).where(SessionPlace.session_id == session_id, stale).order_by(SessionPlace.id)
            .execution_options(populate_existing=True)
        ).all():
            place.state = P.LAPSED  # keeps ``offer_expires_at``: when the offer ran out
            record(place, "lapsed", None)
            _resync(place)
            lapsed += 1
        db.session.flush()
        offer_free_places(locked, now)
    return lapsed


def _close_waiting_lists(now: datetime) -> int:
    """Waiting lists of sessions past their cut-off lapse: no place can be offered any more, and
    the tourist books another session (their page says so)."""
    horizon = now + timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"])
    closed = db.session.scalars(
        select(SessionPlace).join(SessionPlace.session)
        .where(SessionPlace.state == P.WAITING, TrainingSession.starts_at <= horizon)
    ).all()
    for place in closed:
        place.state = P.LAPSED
        record(place, "lapsed", None, "waiting list closed")
        _resync(place)
    db.session.flush()
    return len(closed)


def _resync(place: SessionPlace) -> None:
    """The place changed: its reminders, and its booking's (training still to book), follow."""
    db.session.flush()
    reminders.sync(place)
    if place.booking_id is not None:
        reminders.sync(db.session.get(Booking, place.booking_id))


# -- what operations do to a session -----------------------------------------------------------------

def _live_places(session: TrainingSession) -> list[SessionPlace]:
    return list(db.session.scalars(
        select(SessionPlace).where(SessionPlace.session_id == session.id,
                                   SessionPlace.state.in_([P.WAITING, P.OFFERED, P.BOOKED]))
        .order_by(SessionPlace.id)
    ))


def _tell_instructors(session: TrainingSession, *, previous_start: datetime | None = None,
                      previous_place: str = "", instructors: list[User] | None = None) -> None:
    """Its instructors learn by email that a session they teach moved or was cancelled."""
    for instructor in session.instructors if instructors is None else instructors:
        outbox.queue_email(
            "training_teaching_changed", user=instructor, session=session,
            module_name=session.module.text(instructor.language), cancelled=session.cancelled,
            previous_starts_at=previous_start, previous_place=previous_place, reason=session.cancel_reason,
            url=external_url("training.instructor.roster"),
        )


def session_changed(session: TrainingSession, previous_start: datetime, previous_place: str, actor: User,
                    *, instructors: list[User] | None = None) -> int:
    """The session moved (or its place changed): every participant is told at once, with the new
    time, and its instructors (or those given) by email. A move is an occurrence of its own, so
    each move is told once."""
    _tell_instructors(session, previous_start=previous_start, previous_place=previous_place,
                      instructors=instructors)
    told = 0
    for place in _live_places(session):
        record(place, "session_moved", actor, previous_start.isoformat())
        db.session.flush()
        reminders.sync(place)
        if place.state is not P.WAITING:
            reminders.notify("training_session_moved", place, occurrence=f"move-{session.sequence}", context={
                "previous_starts_at": previous_start.isoformat(), "previous_place": previous_place,
            })
            told += 1
    return told


def session_cancelled(session: TrainingSession, actor: User) -> int:
    """Every place of a cancelled session is released, and its holder told (its instructors too)."""
    _tell_instructors(session)
    told = 0
    for place in _live_places(session):
        previous = place.state
        place.state, place.offer_expires_at = P.CANCELLED, None
        record(place, "cancelled", actor, previous.value, note="session cancelled")
        db.session.flush()
        reminders.sync(place)
        reminders.notify("training_session_cancelled", place, occurrence=f"cancel-{session.sequence}",
                         context={"reason": session.cancel_reason})
        if place.booking_id is not None:
            reminders.sync(db.session.get(Booking, place.booking_id))
        told += 1
    return told


# -- counts for pages ---------------------------------------------------------------------------------

def count_columns(now):
    """(places taken, waiting) of the ``TrainingSession`` of the enclosing query, as two correlated
    subqueries: the counts of :func:`counts` in the statement that loads the sessions (``now``: a
    moment, or a bound parameter for a statement built once)."""
    of_session = SessionPlace.session_id == TrainingSession.id
    return (select(func.count()).where(of_session, _taking_place(now)).scalar_subquery().label("taken"),
            select(func.count()).where(of_session, SessionPlace.state == P.WAITING).scalar_subquery().label("waiting"))


def counts(session_ids: list[int], now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """(places taken, waiting) per session, in one query."""
    now = now or now_utc()
    result = {sid: (0, 0) for sid in session_ids}
    if not session_ids:
        return result
    rows = db.session.execute(
        select(SessionPlace.session_id,
               func.sum(_taking_place(now).cast(Integer)),
               func.sum((SessionPlace.state == P.WAITING).cast(Integer)))
        .where(SessionPlace.session_id.in_(session_ids)).group_by(SessionPlace.session_id)
    )
    for session_id, taken, waiting in rows:
        result[session_id] = (int(taken or 0), int(waiting or 0))
    return result
