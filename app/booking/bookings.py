"""Seat holds, the booking state machine and the waiting list.

A seat is never sold twice: every move that takes or frees a seat first locks the flight's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions take the write lock when they begin),
then counts the seats taken, so concurrent attempts at the last seat run one after another.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import contains_eager

from app import signals
from app.errors import ServiceError
from app.extensions import db
from app.labels import BOOKING_STATES
from app.messaging import reminders
from app.models import (
    Booking,
    BookingEvent,
    BookingState,
    Flight,
    FlightStatus,
    Role,
    User,
    WaitlistEntry,
    WaitlistState,
)
from app.timeutil import now_utc

S = BookingState

#: Every move the booking state machine allows: (from, to). ``None`` is a new booking.
TRANSITIONS: frozenset[tuple[BookingState | None, BookingState]] = frozenset({
    (None, S.HELD),
    (S.HELD, S.EXPIRED),
    (S.HELD, S.CONFIRMED),
    (S.HELD, S.CANCELLED),
    (S.EXPIRED, S.CONFIRMED),  # the deposit arrived after the hold lapsed, and a seat was still free
    (S.CONFIRMED, S.CANCELLED),
    (S.CONFIRMED, S.FLOWN),  # operations marked the flight flown
})

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class TransitionNotAllowed(ServiceError):
    def __init__(self, from_state: BookingState | None, to_state: BookingState) -> None:
        if from_state is None:
            message = _("A new booking cannot start as %(to_state)s.", to_state=BOOKING_STATES[to_state])
        else:
            message = _("A booking cannot go from %(from_state)s to %(to_state)s.",
                        from_state=BOOKING_STATES[from_state], to_state=BOOKING_STATES[to_state])
        super().__init__(message)
        self.from_state = from_state
        self.to_state = to_state


class SoldOut(ServiceError):
    pass


def new_reference() -> str:
    return "CD-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def taking_seat_clause(now: datetime):
    """SQL condition: this booking occupies a seat at ``now``."""
    return or_(
        Booking.state == S.CONFIRMED,
        and_(Booking.state == S.HELD, Booking.hold_expires_at > now),
    )


#: Flights that will not fly any more: their bookings ask nothing more of their tourist.
ENDED = (FlightStatus.FLOWN, FlightStatus.CANCELLED)


def holding_seats(user_id: int, now: datetime | None = None) -> list[Booking]:
    """The tourist's bookings that hold a seat (confirmed, or held and the hold not run out) on a
    flight still to fly, with their flight, soonest launch first: one query."""
    return list(db.session.scalars(_holding_seats_statement(), {"user_id": user_id, "now": now or now_utc()}))


@functools.cache
def _holding_seats_statement():
    """Built once (many pages ask): building it cost about as much as running it."""
    return (select(Booking).join(Booking.flight).options(contains_eager(Booking.flight))
            .where(Booking.user_id == bindparam("user_id"), taking_seat_clause(bindparam("now")),
                   Flight.status.notin_(ENDED))
            .order_by(Flight.launch_at, Booking.id))


def transition(
    booking: Booking,
    to_state: BookingState,
    *,
    actor: User | None = None,
    reason: str = "",
) -> None:
    """Move ``booking`` to ``to_state``, writing an event row; the only way a state changes."""
    from_state = booking.state
    if (from_state, to_state) not in TRANSITIONS:
        raise TransitionNotAllowed(from_state, to_state)
    _record_event(booking, from_state, to_state, actor, reason)
    booking.state = to_state
    db.session.flush()
    reminders.sync(booking)  # reminders that no longer apply are dropped
    if to_state is S.CONFIRMED:
        signals.booking_confirmed.send(booking, actor=actor)
    elif to_state is S.CANCELLED:
        signals.booking_cancelled.send(booking, actor=actor, reason=reason)
    if from_state.takes_seat and not to_state.takes_seat:
        _close_waitlist_offer(booking, to_state)
        offer_free_seats(lock_flight(booking.flight_id))
    elif to_state is S.CONFIRMED:
        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_id == booking.id))
        if entry is not None and entry.state is WaitlistState.OFFERED:
            entry.state = WaitlistState.BOOKED


def lock_flight(flight_id: int) -> Flight:
    """Lock the flight's row for the rest of the transaction and return it, fresh."""
    return db.session.execute(
        select(Flight).where(Flight.id == flight_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def seats_taken(flight_id: int, now: datetime | None = None) -> int:
    now = now or now_utc()
    return db.session.scalar(
        select(func.count(Booking.id)).where(Booking.flight_id == flight_id, taking_seat_clause(now))
    ) or 0


def _create_hold(flight: Flight, user: User, until: datetime, actor: User | None, reason: str) -> Booking:
    booking = Booking(
        reference=new_reference(), flight=flight, user=user, state=S.HELD, hold_expires_at=until
    )
    db.session.add(booking)
    db.session.flush()
    _record_event(booking, None, S.HELD, actor, reason)
    reminders.sync(booking)
    return booking


def _record_event(
    booking: Booking, from_state: BookingState | None, to_state: BookingState,
    actor: User | None, reason: str,
) -> None:
    if (from_state, to_state) not in TRANSITIONS:
        raise TransitionNotAllowed(from_state, to_state)
    db.session.add(BookingEvent(
        booking_id=booking.id, from_state=from_state, to_state=to_state,
        actor_id=actor.id if actor is not None else None, reason=reason,
    ))


def live_booking(flight_id: int, user_id: int) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(
            Booking.flight_id == flight_id, Booking.user_id == user_id,
            Booking.state.in_([S.HELD, S.CONFIRMED]),
        )
    )


def check_bookable(flight: Flight, user: User, now: datetime) -> None:
    if user.role is not Role.TOURIST:
        raise ServiceError(_("Only tourist accounts can book seats."))
    if not flight.status.bookable or flight.launch_at <= now:
        raise ServiceError(_("This flight is not open for booking."))


def hold_seat(flight_id: int, user: User) -> Booking:
    """Hold a seat on the flight for ``user`` for the configured time, or raise."""
    now = now_utc()
    flight = lock_flight(flight_id)
    check_bookable(flight, user, now)
    existing = live_booking(flight.id, user.id)
    if existing is not None and existing.hold_is_live(now) or (
        existing is not None and existing.state is S.CONFIRMED
    ):
        raise ServiceError(_("You already have a seat on this flight."))
    expire_holds(flight_id=flight.id, now=now)
    offer_free_seats(flight, now=now)
    if seats_taken(flight.id, now) >= flight.seat_count:
        raise SoldOut(_("This flight is sold out. You can join the waiting list."))
    until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    return _create_hold(flight, user, until, user, "seat held")


def secure_paid_seat(booking: Booking) -> bool:
    """The deposit arrived: confirm the seat if it is still the tourist's, or still free.

    Returns False when the hold lapsed and the seat went to someone else (or to the waiting list):
    the caller then refunds the deposit.
    """
    now = now_utc()
    flight = lock_flight(booking.flight_id)
    db.session.refresh(booking)
    if booking.state is S.CONFIRMED:
        return True
    if booking.hold_is_live(now):
        transition(booking, S.CONFIRMED, reason="deposit paid")
        return True
    if booking.state not in (S.HELD, S.EXPIRED):
        return False
    someone_waiting = db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.flight_id == flight.id, WaitlistEntry.state == WaitlistState.WAITING)
    )
    if flight.status.bookable and not someone_waiting and seats_taken(flight.id, now) < flight.seat_count:
        transition(booking, S.CONFIRMED, reason="deposit paid after the hold lapsed; a seat was still free")
        return True
    if booking.state is S.HELD:
        transition(booking, S.EXPIRED, reason="hold expired before the deposit arrived")
    return False


def release_hold(booking: Booking, actor: User) -> None:
    lock_flight(booking.flight_id)
    db.session.refresh(booking)
    if booking.state is not S.HELD:
        raise ServiceError(_("This seat is no longer held."))
    transition(booking, S.CANCELLED, actor=actor, reason="hold released")


def expire_holds(*, flight_id: int | None = None, now: datetime | None = None) -> int:
    """Expire every lapsed hold (of one flight, or all); freed seats go to the waiting list.

    Called lazily before seats are counted and by a Celery beat task. Returns how many expired.
    """
    now = now or now_utc()
    stale = and_(Booking.state == S.HELD, Booking.hold_expires_at <= now)
    if flight_id is None:
        flight_ids = db.session.scalars(select(Booking.flight_id).where(stale).distinct()).all()
    else:
        flight_ids = [flight_id]
    expired = 0
    for fid in flight_ids:
        lock_flight(fid)
        for booking in db.session.scalars(
            select(Booking).where(Booking.flight_id == fid, stale).order_by(Booking.id)
            .execution_options(populate_existing=True)
        ).all():
            transition(booking, S.EXPIRED, reason="hold expired")
            expired += 1
    return expired


# -- waiting list ---------------------------------------------------------------------------------

def join_waitlist(flight_id: int, user: User) -> WaitlistEntry:
    now = now_utc()
    flight = lock_flight(flight_id)
    check_bookable(flight, user, now)
    if live_booking(flight.id, user.id) is not None:
        raise ServiceError(_("You already have a seat on this flight."))
    if live_waitlist_entry(flight.id, user.id) is not None:
        raise ServiceError(_("You are already on the waiting list for this flight."))
    expire_holds(flight_id=flight.id, now=now)
    offer_free_seats(flight, now=now)
    if seats_taken(flight.id, now) < flight.seat_count:
        raise ServiceError(_("Seats are available on this flight: you can hold one now."))
    entry = WaitlistEntry(flight=flight, user=user, state=WaitlistState.WAITING, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def leave_waitlist(entry: WaitlistEntry) -> None:
    if entry.state is not WaitlistState.WAITING:
        raise ServiceError(_("You are no longer waiting for this flight."))
    entry.state = WaitlistState.WITHDRAWN


def live_waitlist_entry(flight_id: int, user_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.flight_id == flight_id, WaitlistEntry.user_id == user_id,
            WaitlistEntry.state.in_([WaitlistState.WAITING, WaitlistState.OFFERED]),
        )
    )


def waitlist_position(entry: WaitlistEntry) -> int:
    return (db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.flight_id == entry.flight_id,
            WaitlistEntry.state == WaitlistState.WAITING,
            or_(WaitlistEntry.created_at < entry.created_at,
                and_(WaitlistEntry.created_at == entry.created_at, WaitlistEntry.id < entry.id)),
        )
    ) or 0) + 1


def offer_free_seats(flight: Flight, now: datetime | None = None) -> list[WaitlistEntry]:
    """Offer each free seat to the next tourist in line, as a hold that lasts the offer period."""
    now = now or now_utc()
    offered: list[WaitlistEntry] = []
    free = flight.seat_count - seats_taken(flight.id, now)
    if free <= 0 or not flight.status.bookable:
        return offered
    waiting = db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.flight_id == flight.id, WaitlistEntry.state == WaitlistState.WAITING
        ).order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(free)
    ).all()
    until = now + timedelta(hours=current_app.config["WAITLIST_OFFER_HOURS"])
    for entry in waiting:
        booking = _create_hold(flight, entry.user, until, None, "seat offered from the waiting list")
        entry.state = WaitlistState.OFFERED
        entry.booking = booking
        entry.offered_at = now
        db.session.flush()
        reminders.notify("waitlist_offer", booking, occurrence=f"entry-{entry.id}")
        offered.append(entry)
    return offered


def _close_waitlist_offer(booking: Booking, to_state: BookingState) -> None:
    entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_id == booking.id))
    if entry is not None and entry.state is WaitlistState.OFFERED:
        entry.state = WaitlistState.LAPSED if to_state is S.EXPIRED else WaitlistState.WITHDRAWN


# -- views for pages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeatCounts:
    sold: int
    held: int
    free: int
    waiting: int


def seat_counts(flights: list[Flight], now: datetime | None = None) -> dict[int, SeatCounts]:
    """Seats sold, held and free, and the waiting list's length, for many flights in two queries."""
    now = now or now_utc()
    ids = [f.id for f in flights]
    sold: dict[int, int] = {}
    held: dict[int, int] = {}
    waiting: dict[int, int] = {}
    if ids:
        rows = db.session.execute(
            select(Booking.flight_id, Booking.state, func.count(Booking.id))
            .where(Booking.flight_id.in_(ids), or_(taking_seat_clause(now), Booking.state == S.FLOWN))
            .group_by(Booking.flight_id, Booking.state)
        ).all()
        for fid, state, n in rows:
            if state is S.HELD:
                held[fid] = n
            else:  # confirmed, or flown: a seat sold
                sold[fid] = sold.get(fid, 0) + n
        waiting = dict(db.session.execute(
            select(WaitlistEntry.flight_id, func.count(WaitlistEntry.id))
            .where(WaitlistEntry.flight_id.in_(ids), WaitlistEntry.state == WaitlistState.WAITING)
            .group_by(WaitlistEntry.flight_id)
        ).all())
    return {
        f.id: SeatCounts(
            sold=sold.get(f.id, 0), held=held.get(f.id, 0),
            free=max(f.seat_count - sold.get(f.id, 0) - held.get(f.id, 0), 0),
            waiting=waiting.get(f.id, 0),
        )
        for f in flights
    }
