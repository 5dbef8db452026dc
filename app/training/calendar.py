"""Calendars: a private feed address per user that calendar apps subscribe to, and a session as an
``.ics`` file for an email, both written with the ``icalendar`` library.

Each session is one VEVENT whose UID never changes; its ``SEQUENCE`` is the session's, which goes
up every time it moves or is cancelled, so calendar apps replace what they hold (Indico's feeds set
no SEQUENCE, and clients may keep the old time). A cancelled session, or a place the tourist gave
up, stays in the feed as ``STATUS:CANCELLED`` so that the event disappears from their calendar
rather than lingering. Times are written in the place's time zone, with its VTIMEZONE, so that
a calendar app shows them right there and in its own zone.

The secret in a feed's address is an HMAC, under the app's secret key, of the feed row's id and a
random salt: it is never stored. Revoking a feed (a new one replaces it) turns the old address into
a 404; so does changing ``SECRET_KEY``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload

from app import calendars
from app.extensions import db
from app.models import (
    CalendarFeed,
    PlaceState,
    Role,
    SessionPlace,
    SessionStatus,
    TrainingSession,
    User,
)
from app.timeutil import now_utc
from app.training.signoff import roster

#: How far back a feed reaches: past sessions stay in the calendar for a while.
FEED_PAST_DAYS = 90


# -- the feed's address ------------------------------------------------------------------------------

def _signature(feed: CalendarFeed) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"calendar:{feed.id}:{feed.salt}".encode(), hashlib.sha256).hexdigest()[:40]


def token(feed: CalendarFeed) -> str:
    return f"{feed.id}-{_signature(feed)}"


def current_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc()).limit(1)
    )


def has_feed(user: User) -> bool:
    """Whether the user has a live feed address (the roster offers one otherwise)."""
    return db.session.scalar(_has_feed_statement(), {"user_id": user.id})


@functools.cache
def _has_feed_statement():
    return select(exists().where(CalendarFeed.user_id == bindparam("user_id"), CalendarFeed.revoked_at.is_(None)))


def new_feed(user: User) -> CalendarFeed:
    """A new private address; the previous one stops working."""
    revoke(user)
    feed = CalendarFeed(user_id=user.id, salt=secrets.token_hex(16))
    db.session.add(feed)
    db.session.flush()
    return feed


def revoke(user: User) -> int:
    """Turn off the user's feed addresses; returns how many were live."""
    live = db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
    ).all()
    for feed in live:
        feed.revoked_at = now_utc()
    db.session.flush()
    return len(live)


def feed_for_token(value: str) -> CalendarFeed | None:
    """The live feed a token opens, or None (wrong, malformed or revoked: the caller answers 404)."""
    feed_id, _sep, signature = (value or "").partition("-")
    if not (feed_id.isascii() and feed_id.isdecimal()) or len(feed_id) > 12 or not signature:
        return None
    feed = db.session.get(CalendarFeed, int(feed_id))
    if feed is None or feed.revoked_at is not None:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(feed).encode()):
        return None
    return feed


# -- events ------------------------------------------------------------------------------------------

def _domain() -> str:
    return urlparse(current_app.config["BASE_URL"]).hostname or "countdown"


def uid(session: TrainingSession) -> str:
    return f"training-session-{session.id}@{_domain()}"


def _event(session: TrainingSession, language: str, *, cancelled: bool, stamp: datetime,
           changes: int = 0) -> Event:
    """The session as a VEVENT. ``changes`` counts what changed for this one attendee (their place
    cancelled, booked again): added to the session's own sequence, so that their calendar takes
    the event's new status too."""
    event = Event()
    module = session.module
    event.add("uid", uid(session))
    event.add("sequence", session.sequence + changes)
    event.add("dtstamp", stamp)
    # In the place's time zone (with its VTIMEZONE): a calendar app shows the time there, and in
    # its own zone, without guessing.
    zone = ZoneInfo(session.timezone)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", module.text(language))
    event.add("location", session.place)
    description = module.text(language, "description")
    event.add("description", f"{description}\n\n{session.place} ({session.timezone})".strip())
    event.add("status", "CANCELLED" if cancelled or session.status is SessionStatus.CANCELLED else "CONFIRMED")
    event.add("last-modified", session.updated_at)
    return event


def _with_timezones(calendar: Calendar, spans: list[tuple[datetime, datetime]]) -> bytes:
    """The calendar as text, with a VTIMEZONE for each place's zone, covering its events' dates
    (not the zone's whole history)."""
    if spans:
        first = min(start for start, _end in spans).date() - timedelta(days=1)
        last = max(end for _start, end in spans).date() + timedelta(days=2)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Countdown//Training//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def feed_ics(user: User, name: str, now: datetime | None = None) -> bytes:
    """The user's sessions as a calendar: a tourist's places, an instructor's sessions."""
    now = now or now_utc()
    calendar = _calendar(name)
    since = now - timedelta(days=FEED_PAST_DAYS)
    if user.role is Role.INSTRUCTOR:
        sessions = [(s, False, 0) for s in roster(user, since, days=FEED_PAST_DAYS + 730, limit=1000)]
    else:
        places = db.session.scalars(
            select(SessionPlace).join(SessionPlace.session)
            .where(SessionPlace.user_id == user.id, TrainingSession.ends_at >= since,
                   SessionPlace.state.in_([PlaceState.BOOKED, PlaceState.CANCELLED]))
            .options(joinedload(SessionPlace.session).joinedload(TrainingSession.module))
            .order_by(TrainingSession.starts_at, SessionPlace.id)
        ).all()
        # One event per session, cancelled unless a place in it is booked. Each place the tourist
        # took after the first and each one given up is a change: the event's sequence goes up, so
        # that calendar apps take the new status.
        by_session: dict[int, list[SessionPlace]] = {}
        for place in places:
            by_session.setdefault(place.session_id, []).append(place)
        sessions = [
            (mine[0].session, all(p.state is not PlaceState.BOOKED for p in mine),
             len(mine) - 1 + sum(p.state is PlaceState.CANCELLED for p in mine))
            for mine in by_session.values()
        ]
    for session, cancelled, changes in sessions:
        calendar.add_component(_event(session, user.language, cancelled=cancelled, stamp=now, changes=changes))
    spans = [(s.starts_at, s.ends_at) for s, _c, _n in sessions]
    for other in calendars.contributed(user, since):  # other domains' events (travel's segments)
        calendar.add_component(other.event)
        spans.append((other.starts_at, other.ends_at))
    return _with_timezones(calendar, spans)


def session_ics(session: TrainingSession, language: str, now: datetime | None = None, *,
                cancelled: bool = False, changes: int = 0) -> bytes:
    """One session as a calendar file, for an email: the confirmation of a place, and the notices
    that the session moved or was cancelled (same UID, a higher sequence: it replaces the event a
    calendar took from the first file)."""
    calendar = _calendar(session.module.text(language))
    calendar.add_component(_event(session, language, cancelled=cancelled, stamp=now or now_utc(), changes=changes))
    return _with_timezones(calendar, [(session.starts_at, session.ends_at)])

