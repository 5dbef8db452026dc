"""What each user wants to hear about, and how: channels per category, quiet hours, SMS opt-outs.

A *category* is a kind of message the user can set channels for (payments, the seat hold...).
Rules of the reminder engine name their category; each domain registers its own with
:func:`register_category` (in its ``categories`` module), and the settings page lists them in the
order of their ``position``.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Iterable

import pytz
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import signals
from app.errors import Problems, ServiceError
from app.extensions import db
from app.models import Channel, NotificationPreference, QuietHours, SmsOptOut, User
from app.timeutil import now_utc

ALL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.IN_APP)


@dataclass(frozen=True)
class Category:
    name: str
    label: object            # lazy string
    description: object      # lazy string
    defaults: frozenset[Channel] = field(default_factory=lambda: frozenset({Channel.EMAIL, Channel.IN_APP}))
    #: Urgent categories go out on every channel the user has, at any hour; they cannot be muted.
    locked: bool = False
    #: Where the settings page lists it (lowest first): a domain's categories sit with the stage
    #: of the journey they belong to, whichever domain was loaded first.
    position: int = 100


#: Every category, in the order of their ``position``, whatever order the domains were imported in.
CATEGORIES: dict[str, Category] = {}


def register_category(category: Category) -> Category:
    registered = {**CATEGORIES, category.name: category}
    CATEGORIES.clear()
    CATEGORIES.update(sorted(registered.items(), key=lambda item: item[1].position))
    return category


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, frozenset[Channel]]   # category name -> channels chosen
    quiet_enabled: bool
    quiet_starts: time
    quiet_ends: time


def _stored(user_ids: list[int]) -> tuple[dict[int, dict[str, NotificationPreference]], dict[int, QuietHours]]:
    prefs: dict[int, dict[str, NotificationPreference]] = {uid: {} for uid in user_ids}
    for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids))
    ):
        prefs[row.user_id][row.category] = row
    quiet = {q.user_id: q for q in db.session.scalars(select(QuietHours).where(QuietHours.user_id.in_(user_ids)))}
    return prefs, quiet


def _build(rows: dict[str, NotificationPreference], quiet: QuietHours | None) -> Preferences:
    channels = {}
    for name, category in CATEGORIES.items():
        row = rows.get(name)
        if category.locked or row is None:
            channels[name] = category.defaults
        else:
            channels[name] = frozenset(
                c for c, on in ((Channel.EMAIL, row.email), (Channel.SMS, row.sms), (Channel.IN_APP, row.in_app)) if on
            )
    return Preferences(
        channels=channels,
        quiet_enabled=quiet.enabled if quiet else True,
        quiet_starts=quiet.starts if quiet else time(22, 0),
        quiet_ends=quiet.ends if quiet else time(8, 0),
    )


#: What :func:`preloaded` loaded for a batch of messages: preferences by user, opted-out numbers.
_PRELOADED: ContextVar[tuple[dict[int, Preferences], set[str], dict[str, SmsOptOut]] | None] = ContextVar(
    "countdown_preferences_preloaded", default=None)


@contextmanager
def preloaded(user_ids: Iterable[int], phones: Iterable[str]):
    """Within the block, :func:`preferences_of` these users and :func:`opted_out` these numbers
    answer from three queries made here, instead of two and one per message (delivery checks a
    batch of reminders at once; nothing in it changes preferences)."""
    phones = {phone for phone in phones if phone}
    stopped = {row.phone: row for row in db.session.scalars(
        select(SmsOptOut).where(SmsOptOut.phone.in_(sorted(phones))))} if phones else {}
    token = _PRELOADED.set((preferences_for(list(user_ids)), phones, stopped))
    try:
        yield
    finally:
        _PRELOADED.reset(token)


def preferences_of(user: User) -> Preferences:
    batch = _PRELOADED.get()
    if batch is not None and user.id in batch[0]:
        return batch[0][user.id]
    return preferences_for([user.id])[user.id]


def preferences_for(user_ids: list[int]) -> dict[int, Preferences]:
    """Preferences of many users in two queries (the reminder engine plans for many at once)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    prefs, quiet = _stored(ids)
    return {uid: _build(prefs[uid], quiet.get(uid)) for uid in ids}


def channels_for(user: User, category: str, prefs: Preferences | None = None) -> list[Channel]:
    """The channels a message of ``category`` goes to for ``user``: what they chose, and what they
    can receive (SMS needs a phone number). Urgent categories use every channel they have."""
    prefs = prefs or preferences_of(user)
    # An empty set is a choice (nothing for this category), not a missing one.
    chosen = prefs.channels[category] if category in prefs.channels else CATEGORIES[category].defaults
    return [c for c in ALL_CHANNELS if c in chosen and (c is not Channel.SMS or user.phone)]


def quiet_hours_problems(enabled: bool, starts: time | None, ends: time | None) -> list[ServiceError]:
    """What is wrong with quiet hours, each at its field: both times given, and different."""
    problems = Problems()
    if enabled:
        if starts is None:
            problems.add(_("Give both the start and the end of your quiet hours."), "quiet_starts")
        if ends is None:
            problems.add(_("Give both the start and the end of your quiet hours."), "quiet_ends")
        if starts is not None and starts == ends:
            problems.add(_("Quiet hours must start and end at different times."), "quiet_ends")
    return problems.errors


def save_preferences(
    user: User, *, channels: dict[str, set[Channel]], quiet_enabled: bool,
    quiet_starts: time | None, quiet_ends: time | None,
) -> None:
    """Store the user's choices; their pending reminders follow the new channels."""
    Problems(quiet_hours_problems(quiet_enabled, quiet_starts, quiet_ends)).raise_any()
    rows, quiet = _stored([user.id])
    for name, category in CATEGORIES.items():
        if category.locked or name not in channels:
            continue
        row = rows[user.id].get(name)
        if row is None:
            row = NotificationPreference(user_id=user.id, category=name)
            db.session.add(row)
        chosen = channels[name]
        row.email = Channel.EMAIL in chosen
        row.sms = Channel.SMS in chosen
        row.in_app = Channel.IN_APP in chosen
    q = quiet.get(user.id)
    if q is None:
        q = QuietHours(user_id=user.id)
        db.session.add(q)
    q.enabled = quiet_enabled
    if quiet_starts is not None:
        q.starts = quiet_starts
    if quiet_ends is not None:
        q.ends = quiet_ends
    db.session.flush()
    signals.preferences_changed.send(user)  # the reminder engine re-plans what is pending


# -- quiet hours -----------------------------------------------------------------------------------

def quiet_until(user: User, prefs: Preferences, at: datetime | None = None) -> datetime | None:
    """If ``at`` falls in the user's quiet hours, the UTC time they end; else None."""
    if not prefs.quiet_enabled or prefs.quiet_starts == prefs.quiet_ends:
        return None
    at = at or now_utc()
    tz = pytz.timezone(user.timezone or "UTC")
    local = at.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    start, end = prefs.quiet_starts, prefs.quiet_ends
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start < end or t < end) else local.date() + timedelta(days=1)
    ends_local = tz.localize(datetime.combine(day, end))
    return ends_local.astimezone(pytz.UTC)


# -- SMS opt-outs ----------------------------------------------------------------------------------

def opted_out(phone: str | None) -> SmsOptOut | None:
    if not phone:
        return None
    batch = _PRELOADED.get()
    if batch is not None and phone in batch[1]:
        return batch[2].get(phone)
    return db.session.get(SmsOptOut, phone)


def record_opt_out(phone: str, keyword: str) -> None:
    """Record a STOP once. Several STOPs from one number at the same moment all end the same way:
    the one whose row lands first records it, the others find it there."""
    if db.session.get(SmsOptOut, phone) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SmsOptOut(phone=phone, keyword=keyword[:16].upper()))
    except IntegrityError:
        pass  # another request recorded this number's opt-out a moment ago


def record_opt_in(phone: str) -> bool:
    row = db.session.get(SmsOptOut, phone)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
