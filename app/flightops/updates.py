"""A flight's launch-day timeline: operations post an update (a countdown hold, the weather, the
go/no-go poll, boarding, liftoff, landing); every tourist holding a seat is told at once by SMS and
in the app, and ``launch_update_posted`` lets other domains tell whom they know of (travel: the
tourists' companions). The journey and the read-only launch page show the timeline and a live
countdown to T-0, refreshed without a reload."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, select

from app import signals
from app.errors import Problems, ServiceError
from app.extensions import db
from app.flightops import labels
from app.i18n import gettext as _
from app.messaging import reminders
from app.models import (
    Booking,
    BookingState,
    Flight,
    FlightStatus,
    LaunchLink,
    LaunchUpdate,
    UpdateKind,
    User,
)
from app.timeutil import now_utc
from app.urls import external_url

#: The longest message of an update (an SMS carries about two segments of it).
MESSAGE_MAX = 280
#: How many updates the timeline shows, newest first.
SHOWN = 20


def post(flight: Flight, kind: UpdateKind, message: str, actor: User) -> LaunchUpdate:
    """Post an update to the flight's timeline and tell everyone with a seat at once. Refused for
    a flight cancelled, and for an update without a message (but liftoff and landing, which say
    themselves). The caller commits."""
    message = " ".join((message or "").split())
    if flight.status is FlightStatus.CANCELLED:
        raise ServiceError(_("This flight is cancelled: there is no launch to follow."))
    problems = Problems()
    if not message and kind not in (UpdateKind.LIFTOFF, UpdateKind.LANDING, UpdateKind.BOARDING):
        problems.add(_("Write what is happening: the tourists and their families read it as it is."), "message")
    if len(message) > MESSAGE_MAX:
        problems.add(_("Keep the update under %(count)s characters: it goes out by SMS.", count=MESSAGE_MAX),
                     "message")
    problems.raise_any()
    latest = db.session.scalar(_updates_statement(), {"flight_id": flight.id})
    if latest is not None and latest.kind is UpdateKind(kind) and latest.message == message \
            and now_utc() - latest.created_at < timedelta(minutes=2):
        raise ServiceError(_("This update was posted a moment ago: it is not sent twice."))
    update = LaunchUpdate(flight_id=flight.id, kind=UpdateKind(kind), message=message, actor_id=actor.id,
                          created_at=now_utc())
    db.session.add(update)
    db.session.flush()
    seated = [b for b in db.session.scalars(select(Booking).where(
        Booking.flight_id == flight.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .order_by(Booking.id)) if b.holds_seat()]
    for booking in seated:
        reminders.notify("launch_update", booking, occurrence=f"update-{update.id}", context={"update_id": update.id})
    signals.launch_update_posted.send(
        update, flight=flight, bookings=seated, kind_label=labels.UPDATE_KINDS[update.kind],
        page_url=external_url("flightops.launch.public", token=link_token(flight)))
    return update


@dataclass(frozen=True)
class Timeline:
    """What the live panel shows: the flight, T-0, the updates (newest first)."""

    flight: Flight
    updates: list[LaunchUpdate]

    @property
    def latest(self) -> LaunchUpdate | None:
        return self.updates[0] if self.updates else None


@cache
def _updates_statement():
    return (select(LaunchUpdate).where(LaunchUpdate.flight_id == bindparam("flight_id"))
            .order_by(LaunchUpdate.created_at.desc(), LaunchUpdate.id.desc()).limit(SHOWN))


def timeline(flight: Flight) -> Timeline:
    return Timeline(flight, list(db.session.scalars(_updates_statement(), {"flight_id": flight.id})))


def timelines(flights: list[Flight]) -> dict[int, Timeline]:
    """The timelines of several flights (the tourist's journey: each flight launching this week),
    in one query whatever their number."""
    if not flights:
        return {}
    newest_first = (LaunchUpdate.created_at.desc(), LaunchUpdate.id.desc())
    rank = func.row_number().over(partition_by=LaunchUpdate.flight_id, order_by=newest_first).label("rank")
    ranked = select(LaunchUpdate.id, rank).where(LaunchUpdate.flight_id.in_([f.id for f in flights])).subquery()
    found: dict[int, list[LaunchUpdate]] = {f.id: [] for f in flights}
    for update in db.session.scalars(select(LaunchUpdate).join(ranked, ranked.c.id == LaunchUpdate.id)
                                      .where(ranked.c.rank <= SHOWN).order_by(*newest_first)):
        found[update.flight_id].append(update)
    return {f.id: Timeline(f, found[f.id]) for f in flights}


def token_of(flight_id: int, generation: int, secret_key: str | None = None) -> str:
    """The launch page's token: the flight's id and an HMAC of it and the link's generation under
    the app's secret key (a new ``SECRET_KEY`` gives every flight a new address)."""
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"launch-link:{flight_id}:{generation}".encode(), hashlib.sha256).digest()
    return f"{flight_id}-{base64.urlsafe_b64encode(digest[:16]).decode().rstrip('=')}"


def link_token(flight: Flight) -> str:
    link = db.session.get(LaunchLink, flight.id)
    return token_of(flight.id, link.generation if link else 0)


def link_tokens(flights: list[Flight]) -> dict[int, str]:
    """:func:`link_token` of several flights, in one query."""
    if not flights:
        return {}
    generations = dict(db.session.execute(
        select(LaunchLink.flight_id, LaunchLink.generation).where(LaunchLink.flight_id.in_([f.id for f in flights]))
    ).all())
    return {f.id: token_of(f.id, generations[f.id] if f.id in generations else 0) for f in flights}


def replace_link(flight: Flight) -> str:
    """A new address for the launch page; the old one stops working. The caller commits."""
    link = db.session.get(LaunchLink, flight.id)
    if link is None:
        link = LaunchLink(flight_id=flight.id, generation=0)
        db.session.add(link)
    link.generation, link.replaced_at = (link.generation or 0) + 1, now_utc()
    db.session.flush()
    return token_of(flight.id, link.generation)


@cache
def _by_token_statement():
    return (select(Flight, LaunchLink.generation).outerjoin(LaunchLink, LaunchLink.flight_id == Flight.id)
            .where(Flight.id == bindparam("flight_id")))


def flight_by_token(token: str) -> Flight | None:
    """The flight whose launch page this token opens, or None (a token made up, or replaced)."""
    head, _sep, _tail = (token or "").partition("-")
    if len(token or "") > 80 or not token.isascii() or not head.isdecimal() or len(head) > 9:
        return None
    row = db.session.execute(_by_token_statement(), {"flight_id": int(head)}).first()
    if row is None or not hmac.compare_digest(token, token_of(row[0].id, row[1] or 0)):
        return None
    return row[0]
