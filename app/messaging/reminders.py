"""The reminder engine: rules that write message rows about a subject, and keep them true.

A *rule* says what to tell whom about a *subject* (a booking, a payment...), in which category of
the user's preferences, and when: either at a time relative to a date of the subject (a payment's
due date, a hold's expiry) or at once, when something happens (a charge failed, the launch moved).

Each reminder is an :class:`~app.models.OutboundMessage` row per channel, with a unique key made
of the rule, the subject, the occurrence and the channel, so the same reminder cannot exist twice.
:func:`sync` re-plans a subject's dated reminders from its current state: call it whenever the
subject changes, and pending reminders move with its dates, appear, or are dropped when the
subject is cancelled or done. :func:`prepare` checks it all once more when a reminder is due, so a
reminder about something that changed since is moved or dropped rather than sent.

The engine knows no domain: each domain registers its subjects (:func:`register_subject`), the
subjects re-planned with one of its own (:func:`register_children`: a booking's payments) and its
rules (:func:`register`), in its ``reminder_rules`` module, when its package is imported.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import signals
from app.extensions import db
from app.messaging import outbox, preferences
from app.models import Channel, MessageStatus, OutboundMessage, User
from app.timeutil import now_utc
from app.transactions import after_commit

log = logging.getLogger(__name__)
S = MessageStatus
#: A dated reminder whose time passed more than this long ago when it is planned is not written
#: (a "due in 7 days" note makes no sense for a payment due tomorrow).
STALE_AFTER = timedelta(hours=1)
#: Why a reminder was dropped when its user turned its channel off; turned back on, it comes back.
CHANNEL_OFF = "the user turned this channel off"
#: The context key of a message sent on channels chosen for it (see :func:`notify`).
VIA = "via"
#: A due reminder whose subject's date has moved later by more than this is moved, not sent.
MOVE_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class Rule:
    name: str
    subject: str                                    # a registered subject type
    category: str                                   # a preferences category
    template: str                                   # email/<template>.txt and sms/<template>.txt
    recipient: Callable[[Any], User]
    #: Dated rules: when to send, from the subject's current state (None: not applicable now).
    when: Callable[[Any], datetime | None] | None = None
    #: Whether the reminder is still worth sending, given the subject and the row's context.
    active: Callable[[Any, dict], bool] = lambda subject, context: True
    #: After this, the reminder is pointless (a hold that has run out): dropped, not sent late.
    deadline: Callable[[Any], datetime | None] | None = None
    #: Template variables, from the subject and the context stored when the row was written.
    context: Callable[[Any, dict], dict] = lambda subject, context: {}
    link: Callable[[Any], str] | None = None
    #: Dated rules: what makes one reminder another (a session's ``sequence``: moved later, it is
    #: reminded again even if the reminder of the old time went out). "" when there is one.
    occurrence: Callable[[Any], str] | None = None
    #: Files an email of this rule carries (``[{"filename", "content_type", "content"}]``).
    attachments: Callable[[Any, dict], list[dict[str, str]]] | None = None
    #: Urgent: every channel the user has, quiet hours ignored.
    urgent: bool = False
    #: Urgent news that is only worth a short message (launch-day updates): these channels only.
    channels: frozenset[Channel] | None = None
    #: A sent in-app notice of this rule is marked resolved once the rule no longer applies (the
    #: failed charge was paid); news (a delayed flight) stays as it was told.
    resolvable: bool = True


@dataclass(frozen=True)
class Subject:
    name: str
    model: type
    #: The user's subjects whose dated reminders are re-planned when their preferences change.
    of_user: Callable[[User], list] | None = None
    #: Subjects by id for a batch of due reminders, with what their rules read (a booking's
    #: user), in one query; by default the rows alone.
    load: Callable[[list[int]], list] | None = None


RULES: dict[str, Rule] = {}
SUBJECTS: dict[str, Subject] = {}
_SUBJECT_BY_MODEL: dict[type, Subject] = {}
#: Per subject, functions that list the subjects whose reminders depend on it (a booking's
#: payments, a flight's bookings): re-planned with it.
_CHILDREN: dict[str, list[Callable[[Any], list]]] = {}


#: What rule functions have worked out about the subject being synced or prepared (see :func:`memo`).
_MEMO: ContextVar[dict | None] = ContextVar("reminder_memo", default=None)


@contextmanager
def _evaluating():
    """One sync or prepare of one subject: nothing changes the subject meanwhile, so what its rules
    work out from it (a booking's training progress) is worked out once."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memo(key: Any, compute: Callable[[], Any]) -> Any:
    """For a rule's functions (``when``, ``active``, ``occurrence``, ``context``) that share costly
    work about their subject: ``compute()`` once per sync or prepare of that subject, under a
    ``key`` naming the work and the subject; outside one, each call computes afresh."""
    cache = _MEMO.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def register(rule: Rule) -> Rule:
    if rule.subject not in SUBJECTS:
        raise ValueError(f"rule {rule.name}: unknown subject {rule.subject}")
    if rule.category not in preferences.CATEGORIES:
        raise ValueError(f"rule {rule.name}: unknown category {rule.category}")
    RULES[rule.name] = rule
    return rule


def register_subject(subject: Subject) -> Subject:
    SUBJECTS[subject.name] = subject
    _SUBJECT_BY_MODEL[subject.model] = subject
    return subject


def register_children(subject: str, children: Callable[[Any], list]) -> None:
    """Re-plan the reminders of ``children(obj)`` whenever those of ``obj`` (a ``subject``) are:
    another domain's subjects that depend on it."""
    if subject not in SUBJECTS:
        raise ValueError(f"children of an unknown subject {subject}")
    _CHILDREN.setdefault(subject, []).append(children)


def subject_of(obj: Any) -> Subject:
    return _SUBJECT_BY_MODEL[type(obj)]


def make_key(rule: Rule, subject_id: int, occurrence: str, channel: Channel) -> str:
    return f"{rule.name}:{rule.subject}:{subject_id}:{occurrence}:{channel.value}"


def _channels(rule: Rule, user: User, prefs: preferences.Preferences) -> list[Channel]:
    if rule.urgent:
        return [c for c in preferences.ALL_CHANNELS if (c is not Channel.SMS or user.phone)
                and (rule.channels is None or c in rule.channels)]
    return preferences.channels_for(user, rule.category, prefs)


def _insert(values: dict[str, Any]) -> int | None:
    """Insert a reminder unless its key exists; returns the new row's id, or None."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return db.session.scalar(
        insert(OutboundMessage).values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboundMessage.id)
    )


def _row_values(rule: Rule, obj: Any, user: User, channel: Channel, occurrence: str,
                send_at: datetime, context: dict) -> dict[str, Any]:
    return dict(
        key=make_key(rule, obj.id, occurrence, channel), rule=rule.name, kind=rule.template,
        category=rule.category, subject_type=rule.subject, subject_id=obj.id, user_id=user.id,
        channel=channel, recipient="", urgent=rule.urgent, send_at=send_at, context=context,
        status=S.QUEUED,
    )


# -- planning ----------------------------------------------------------------------------------------

@dataclass
class Synced:
    """What a re-plan did to reminders still to send: how many it moved, and how many it dropped
    because their new time had passed (they are never sent late)."""

    moved: int = 0
    dropped_past: int = 0


#: Why a pending reminder whose date moved into the past was dropped.
MOVED_INTO_PAST = "dropped: its date moved into the past, so it would have come too late"


_COUNTING: ContextVar[Synced | None] = ContextVar("countdown_reminders_counting", default=None)


@contextmanager
def counting():
    """Count what every re-plan inside the block moved and dropped, wherever it is called from
    (a flight's move re-plans payments in their domain and the flight's own reminders after)."""
    counts = Synced()
    token = _COUNTING.set(counts)
    try:
        yield counts
    finally:
        _COUNTING.reset(token)


def sync(obj: Any, now: datetime | None = None, into: Synced | None = None) -> Synced:
    """Re-plan the dated reminders of ``obj`` (and of its child subjects) from its current state:
    write the missing ones, move pending ones to their new time, drop the ones that no longer
    apply (the subject was cancelled or is done, or the user turned the channel off). A pending
    reminder whose new time passed more than :data:`STALE_AFTER` ago is dropped with its reason,
    never fired late (Indico fires such a reminder at once). Returns what it moved and dropped."""
    now = now or now_utc()
    into = into if into is not None else (_COUNTING.get() or Synced())
    subject = subject_of(obj)
    for children in _CHILDREN.get(subject.name, ()):
        for child in children(obj):
            sync(child, now, into)
    with _evaluating():
        _sync_one(obj, subject, now, into)
    db.session.flush()
    return into


def _sync_one(obj: Any, subject: Subject, now: datetime, into: Synced) -> None:
    rows = {
        row.key: row for row in db.session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.subject_type == subject.name, OutboundMessage.subject_id == obj.id,
                OutboundMessage.rule.is_not(None),
            )
        )
    }
    wanted: set[str] = set()
    prefs_cache: dict[int, preferences.Preferences] = {}
    for rule in RULES.values():
        if rule.subject != subject.name or rule.when is None or not rule.active(obj, {}):
            continue
        at = rule.when(obj)
        if at is None:
            continue
        user = rule.recipient(obj)
        if user.id not in prefs_cache:
            prefs_cache[user.id] = preferences.preferences_of(user)
        prefs = prefs_cache[user.id]
        occurrence = rule.occurrence(obj) if rule.occurrence else ""
        for channel in _channels(rule, user, prefs):
            key = make_key(rule, obj.id, occurrence, channel)
            wanted.add(key)
            row = rows.get(key)
            if row is None:
                if at >= now - STALE_AFTER:
                    _insert(_row_values(rule, obj, user, channel, occurrence, at, {}))
            elif _turned_back_on(row):
                if at >= now - STALE_AFTER:
                    _revive(row, at)
            elif row.status is S.QUEUED and row.send_at != at:
                if at < now - STALE_AFTER:
                    outbox.drop(row, MOVED_INTO_PAST)
                    into.dropped_past += 1
                else:
                    row.send_at = at
                    row.note = "moved: its date changed"
                    into.moved += 1
    for key, row in rows.items():
        rule = RULES.get(row.rule or "")
        if rule is not None and row.status is S.SENT:
            _resolve_if_gone(row, rule, obj, now)
        if row.status is not S.QUEUED or rule is None:
            continue
        resent = row.resent_from_id is not None  # operations' copy: its key is its own
        if rule.when is not None and key not in wanted and not resent:
            outbox.drop(row, "no longer applies")
        elif (rule.when is None or resent) and not rule.active(obj, row.context or {}):
            outbox.drop(row, "no longer applies")


def _resolve_if_gone(row: OutboundMessage, rule: Rule, obj: Any, now: datetime) -> None:
    """A sent in-app notice whose problem has gone (its rule no longer applies) is marked
    resolved and read: the notification centre says so and no longer offers its action."""
    if (row.channel is not Channel.IN_APP or row.resolved_at is not None or not rule.resolvable
            or rule.active(obj, row.context or {})):
        return
    row.resolved_at = now
    row.read_at = row.read_at or now


def notify(rule_name: str, obj: Any, *, occurrence: str = "", context: dict | None = None,
           now: datetime | None = None, channels: frozenset[Channel] | None = None) -> list[int]:
    """Something happened: tell the subject's user at once, on the rule's channels (or on
    ``channels``, where the user has them: an answer goes back by SMS to who wrote by SMS). The
    same occurrence is told once, however often this is called."""
    now = now or now_utc()
    rule = RULES[rule_name]
    user = rule.recipient(obj)
    ids = []
    chosen = (_channels(rule, user, preferences.preferences_of(user)) if channels is None else
              [c for c in preferences.ALL_CHANNELS if c in channels and (c is not Channel.SMS or user.phone)])
    if channels is not None:  # the row remembers that its channel was chosen, not preferred
        context = {**(context or {}), VIA: sorted(c.value for c in chosen)}
    for channel in chosen:
        new_id = _insert(_row_values(rule, obj, user, channel, occurrence, now, context or {}))
        if new_id is not None:
            ids.append(new_id)
    if ids:
        after_commit(outbox.DELIVER_TASK, ids)
    return ids


def _turned_back_on(row: OutboundMessage) -> bool:
    """A reminder dropped only because its channel was off (not one that was sent or no longer
    applies)."""
    return row.status is S.DROPPED and row.note == CHANNEL_OFF


def _revive(row: OutboundMessage, send_at: datetime) -> None:
    row.status, row.send_at, row.claimed_at = S.QUEUED, send_at, None
    row.note = "the user turned this channel back on"


@signals.preferences_changed.connect
def _preferences_changed(user: User, **_kwargs) -> None:
    replan_user(user)


def replan_user(user: User) -> None:
    """The user changed their preferences: pending reminders follow the new channels. Those
    dropped because a channel was off come back when it is turned on again, unless they are more
    than ``STALE_AFTER`` overdue."""
    prefs = preferences.preferences_of(user)
    now = now_utc()
    pending = db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.user_id == user.id, OutboundMessage.rule.is_not(None),
            OutboundMessage.resent_from_id.is_(None),  # operations' copies keep their one channel
            or_(OutboundMessage.status == S.QUEUED,
                and_(OutboundMessage.status == S.DROPPED, OutboundMessage.note == CHANNEL_OFF,
                     OutboundMessage.send_at >= now - STALE_AFTER)),
        ).order_by(OutboundMessage.id)
    ).all()
    groups: dict[str, list[OutboundMessage]] = {}
    for row in pending:
        groups.setdefault(row.key.rsplit(":", 1)[0], []).append(row)
    existing_keys = set(db.session.scalars(
        select(OutboundMessage.key).where(OutboundMessage.user_id == user.id, OutboundMessage.key.is_not(None))
    ))
    turned_off = {row.key: row for row in pending if _turned_back_on(row)}
    for prefix, rows in groups.items():
        rule = RULES.get(rows[0].rule or "")
        if rule is None:
            continue
        wanted = set(_channels(rule, user, prefs))
        if VIA in (rows[0].context or {}):
            continue  # sent on the channels chosen for it, whatever the preferences say
        for row in rows:
            if row.channel not in wanted and row.status is S.QUEUED:
                outbox.drop(row, CHANNEL_OFF)
        model = rows[0]
        for channel in wanted:
            key = f"{prefix}:{channel.value}"
            if key in turned_off:
                _revive(turned_off[key], model.send_at)
            elif key not in existing_keys:
                _insert(dict(
                    key=key, rule=model.rule, kind=model.kind, category=model.category,
                    subject_type=model.subject_type, subject_id=model.subject_id, user_id=user.id,
                    channel=channel, recipient="", urgent=model.urgent, send_at=model.send_at,
                    context=model.context or {}, status=S.QUEUED,
                ))
    # Dated reminders of subjects that had none pending on a channel just turned on.
    for subject in SUBJECTS.values():
        if subject.of_user is not None:
            for obj in subject.of_user(user):
                sync(obj)
    db.session.flush()


# -- sending -----------------------------------------------------------------------------------------

@contextmanager
def preloaded(messages: list[OutboundMessage]):
    """Delivery checks and renders a batch of messages: within the block, their subjects (a
    query per subject type, through its ``load``), their users' preferences and the SMS opt-outs
    of their numbers are loaded, so :func:`prepare` and :func:`still_applies` run no query of
    their own for them (they find the subjects in the session)."""
    wanted: dict[str, set[int]] = {}
    for message in messages:
        if message.rule and message.subject_type in SUBJECTS and message.subject_id is not None:
            wanted.setdefault(message.subject_type, set()).add(message.subject_id)
    found: dict[tuple[str, int], Any] = {}
    for name, ids in wanted.items():
        subject = SUBJECTS[name]
        rows = (subject.load(sorted(ids)) if subject.load is not None else
                db.session.scalars(select(subject.model).where(subject.model.id.in_(sorted(ids)))).all())
        found.update(((name, obj.id), obj) for obj in rows)
    users: set[int] = set()
    phones: set[str] = set()
    for message in messages:
        if message.channel is Channel.SMS:
            phones.add(message.recipient)
        rule, obj = RULES.get(message.rule or ""), found.get((message.subject_type, message.subject_id))
        if rule is None or obj is None:
            continue
        try:
            user = rule.recipient(obj)
        except Exception:  # noqa: BLE001 - prepare() meets it again and the message is marked failed
            continue
        users.add(user.id)
        if message.channel is Channel.SMS:
            phones.add(user.phone)
    # ``found`` keeps the subjects alive while the session's identity map (weak) hands them out.
    with preferences.preloaded(users, phones):
        yield found


def prepare(message: OutboundMessage, now: datetime) -> bool:
    """A reminder is due: check it still applies and render it. False when it was dropped, or put
    back to wait (its subject's date moved later, or quiet hours)."""
    with _evaluating():
        return _prepare(message, now)


def _prepare(message: OutboundMessage, now: datetime) -> bool:
    rule = RULES.get(message.rule or "")
    subject = SUBJECTS.get(message.subject_type or "")
    if rule is None or subject is None:
        outbox.drop(message, f"unknown rule {message.rule}")
        return False
    obj = _active_subject(message, rule, subject)
    if obj is None:
        return False
    context = message.context or {}
    if rule.when is not None:
        at = rule.when(obj)
        if at is None:
            outbox.drop(message, "no longer applies")
            return False
        if at > now + MOVE_TOLERANCE:
            _wait(message, at, "moved: its date changed")
            return False
    user = rule.recipient(obj)
    prefs = preferences.preferences_of(user)
    if message.resent_from_id is None and message.channel not in _channels(rule, user, prefs) \
            and message.channel.value not in context.get(VIA, ()):
        outbox.drop(message, CHANNEL_OFF)
        return False
    if message.channel is Channel.SMS and preferences.opted_out(user.phone):
        outbox.drop(message, "the number replied STOP: no SMS until it replies START")
        return False
    deadline = rule.deadline(obj) if rule.deadline else None
    if _too_late(message, deadline, now):
        return False
    if not rule.urgent and message.channel is not Channel.IN_APP:
        until = preferences.quiet_until(user, prefs, now)
        if until is not None:
            if deadline is not None and until >= deadline:
                outbox.drop(message, "quiet hours last past its deadline")
            else:
                _wait(message, until, "held for the user's quiet hours")
            return False
    _render(message, rule, obj, user, context)
    return True


def still_applies(message: OutboundMessage, now: datetime) -> bool:
    """For a reminder's copy that keeps its text: its subject is still there and still calls for
    it, and its deadline has not passed; otherwise it is dropped. A row without a subject (written
    ready to send) always applies."""
    rule = RULES.get(message.rule or "")
    subject = SUBJECTS.get(message.subject_type or "")
    if rule is None or subject is None or message.subject_id is None:
        return True
    obj = _active_subject(message, rule, subject)
    return obj is not None and not _too_late(message, rule.deadline(obj) if rule.deadline else None, now)


def _active_subject(message: OutboundMessage, rule: Rule, subject: Subject) -> Any | None:
    """The message's subject while it still calls for the message; else None, and it is dropped."""
    obj = db.session.get(subject.model, message.subject_id)
    if obj is None or not rule.active(obj, message.context or {}):
        outbox.drop(message, "no longer applies")
        return None
    return obj


def _too_late(message: OutboundMessage, deadline: datetime | None, now: datetime) -> bool:
    """Past its deadline the message is pointless: dropped."""
    if deadline is not None and now >= deadline:
        outbox.drop(message, "too late: its deadline has passed")
        return True
    return False


def _wait(message: OutboundMessage, until: datetime, why: str) -> None:
    message.status = S.QUEUED
    message.send_at = until
    message.claimed_at = None
    message.attempts = max(message.attempts - 1, 0)  # waiting is not an attempt
    message.note = why


def _render(message: OutboundMessage, rule: Rule, obj: Any, user: User, context: dict) -> None:
    url = rule.link(obj) if rule.link else ""
    variables = {**rule.context(obj, context), "url": url}
    message.user_id = user.id
    message.link_url = url
    if message.channel is Channel.EMAIL:
        message.recipient = user.email
        message.subject, message.body, message.html_body = outbox.render_email(rule.template, user, **variables)
        if rule.attachments is not None:
            message.attachments = rule.attachments(obj, context)
    elif message.channel is Channel.SMS:
        message.recipient = user.phone or ""
        message.body = outbox.render_sms(rule.template, user, **variables)
    else:
        message.recipient = user.email
        message.subject = outbox.render_subject(rule.template, user, **variables)
        message.body = outbox.render_sms(rule.template, user, **{**variables, "in_app": True})


def pending_for(obj: Any) -> list[OutboundMessage]:
    """Reminders still to be sent about ``obj`` (for pages and tests)."""
    subject = subject_of(obj)
    return list(db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.subject_type == subject.name, OutboundMessage.subject_id == obj.id,
            OutboundMessage.status.in_([S.QUEUED, S.CLAIMED]),
        ).order_by(OutboundMessage.send_at, OutboundMessage.id)
    ))
