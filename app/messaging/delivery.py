"""Deliver email, SMS and in-app messages: each row once, never lost.

Rows are written ``queued`` (by :mod:`app.messaging.outbox` and the reminder engine) in the
transaction of what caused them. Messages that are due now are handed to a Celery task after the
commit; reminders wait for their ``send_at``. A beat task (:func:`dispatch_due`) claims due rows in
batches (two dispatchers never claim the same row) and hands them to send tasks.

Delivery (:func:`deliver`) takes the row with a conditional UPDATE, so only one worker ever
delivers it. For providers that only write to our database (the outbox, in-app notifications)
the claim, the send and the ``sent`` mark are one transaction: a worker killed half-way leaves the
row as it was, and it is delivered later, once. For SMTP and Twilio the row is marked ``sending``
and committed before the provider is asked; if the worker dies then, :func:`recover_stale` asks
the provider whether the message arrived (Twilio) or sends it again under the same Message-ID
(SMTP), instead of losing it.
"""

from __future__ import annotations

import enum
import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import TextClause, bindparam, func, inspect, select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import ServiceError
from app.extensions import db
from app.messaging import preferences, reminders
from app.messaging.outbox import DELIVER_TASK, drop
from app.models import Channel, MessageStatus, OutboundMessage, User
from app.providers.messaging import DeliveryError, provider_for
from app.timeutil import UTC, now_utc
from app.transactions import after_commit

log = logging.getLogger(__name__)
S = MessageStatus
#: Give up on a message after this many interrupted attempts.
MAX_ATTEMPTS = 5


# -- delivery --------------------------------------------------------------------------------------

def _claim(message_id: int, now: datetime) -> bool:
    return bool(db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.status.in_([S.QUEUED, S.CLAIMED]),
            OutboundMessage.send_at <= now,
        )
        .values(status=S.SENDING, claimed_at=now, attempts=OutboundMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount)


def deliver(message_id: int, now: datetime | None = None) -> MessageStatus | None:
    """Deliver one due message, at most once. Commits. Returns its status, or None if another
    worker has it, it is not due, or it is already settled."""
    now = now or now_utc()
    if not _claim(message_id, now):
        db.session.commit()
        return None
    message = db.session.execute(
        select(OutboundMessage).where(OutboundMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if message.rule and message.resent_from_id is None:
        if not reminders.prepare(message, now):  # dropped, or moved to a later time
            status = message.status
            db.session.commit()
            return status
    elif not _still_deliverable(message, now):
        status = message.status
        db.session.commit()
        return status
    provider = provider_for(current_app, message.channel)
    message.provider = provider.name
    if provider.external:
        # "sending", with what is sent, is on record before the provider is asked. The row keeps
        # its loaded values, so reading them opens no transaction (on SQLite, a transaction holds
        # the write lock) for the length of an SMTP or Twilio conversation.
        session = db.session()
        session.expire_on_commit = False
        try:
            db.session.commit()
        finally:
            session.expire_on_commit = True
    _send(message, provider, now)
    status = message.status
    db.session.commit()
    return status


def deliver_batch(message_ids: list[int], now: datetime | None = None) -> dict[int, MessageStatus]:
    """Deliver many due messages with the guarantees of :func:`deliver`, in few transactions.

    All are claimed by one conditional UPDATE (rows another worker has are left alone). Messages
    for the outbox and in-app providers are sent in that same transaction, so a worker killed
    before its commit leaves them claimed, to be delivered again once; messages for SMTP and Twilio
    are committed as ``sending`` with them, then handed over one at a time, each result committed
    at once. A message that cannot be prepared (a bug in a template, say) is marked failed instead
    of holding up the others. Returns the status of each message this call delivered or settled.
    """
    now = now or now_utc()
    claimed = list(db.session.scalars(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(message_ids),
            OutboundMessage.status.in_([S.QUEUED, S.CLAIMED]),
            OutboundMessage.send_at <= now,
        )
        .values(status=S.SENDING, claimed_at=now, attempts=OutboundMessage.attempts + 1)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    ))
    if not claimed:
        db.session.commit()
        return {}
    messages = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.id.in_(claimed)).order_by(OutboundMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    outside: list[tuple[OutboundMessage, object]] = []
    # Subjects, users, preferences and opt-outs come for the whole batch; the checks write
    # nothing until the batch's results go in one UPDATE (no flush between messages).
    with reminders.preloaded(messages), db.session.no_autoflush:
        for message in messages:
            try:
                ready = (reminders.prepare(message, now) if message.rule and message.resent_from_id is None
                         else _still_deliverable(message, now))
            except Exception as exc:  # never let one broken message hold up the rest, or loop forever
                log.exception("message %s could not be prepared", message.id)
                message.status = S.FAILED
                message.error = f"could not be prepared: {type(exc).__name__}"
                continue
            if not ready:
                continue
            provider = provider_for(current_app, message.channel)
            message.provider = provider.name
            if provider.external:
                outside.append((message, provider))
            else:
                _send(message, provider, now)
        _write(messages)
    session = db.session()
    session.expire_on_commit = False  # keep the loaded rows: no transaction while providers talk
    try:
        db.session.commit()
        for message, provider in outside:
            # The batch's lease began when it was claimed: renew it for this message, and send
            # only if the row is still this worker's (a slow batch whose lease ran out may have
            # been put back and claimed by another worker, which counted another attempt).
            if not _renew_lease(message):
                continue
            _send(message, provider, now)
            db.session.commit()
    finally:
        session.expire_on_commit = True
    return {message.id: message.status for message in messages}


#: Rows per UPDATE of :func:`_write` (a statement's bound values stay well under SQLite's limit).
WRITE_CHUNK = 500
#: :func:`_write`'s statements by dialect, columns and row count, written once each.
_WRITE_STATEMENTS: dict[tuple[str, tuple[str, ...], int], TextClause] = {}


def _write(messages: list[OutboundMessage]) -> None:
    """Write what changed in these loaded messages in one UPDATE per :data:`WRITE_CHUNK` rows,
    joined to the rows' new values, instead of the session's UPDATE per row; they are left
    unchanged in the session's eyes. Each row gets every column that changed in any of them (its
    own value where it did not change)."""
    mapper = inspect(OutboundMessage)
    states = [inspect(message) for message in messages]
    keys = tuple(sorted({key for state in states for key in state.committed_state if key in mapper.column_attrs}))
    changed = [message for message, state in zip(messages, states) if state.committed_state]
    if not keys or not changed:
        return
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(changed), WRITE_CHUNK):
        chunk = changed[start:start + WRITE_CHUNK]
        if postgresql:
            params = {"rows": json.dumps([{key: _json_value(getattr(message, key)) for key in ("id", *keys)}
                                          for message in chunk])}
        else:
            params = {f"r{i}_{key}": getattr(message, key) for i, message in enumerate(chunk) for key in ("id", *keys)}
        db.session.execute(_write_statement(keys, len(chunk), postgresql), params)
        for message in chunk:
            for key in keys:
                set_committed_value(message, key, getattr(message, key))


def _json_value(value):
    """A column's value as ``json_populate_recordset`` reads it into the column's type."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):  # every time is aware; a naive one would be read as UTC, not as local time
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


def _write_statement(keys: tuple[str, ...], rows: int, postgresql: bool) -> TextClause:
    """The UPDATE of :func:`_write` for ``rows`` rows of these columns, written once. On
    PostgreSQL the rows come as one JSON parameter read as the table's row type (the driver
    parses a statement with a parameter per value anew each time, at 2.5 ms for 50 rows); on
    SQLite as a VALUES list of typed parameters (SQLAlchemy does not cache a VALUES clause's
    compiled form, and compiling one cost more than checking and rendering its messages)."""
    table = OutboundMessage.__tablename__
    cache_key = ("postgresql", keys, 0) if postgresql else ("sqlite", keys, rows)
    statement = _WRITE_STATEMENTS.get(cache_key)
    if statement is not None:
        return statement
    columns = {key: inspect(OutboundMessage).column_attrs[key].columns[0] for key in ("id", *keys)}
    assignments = ", ".join(f"{columns[key].name} = v.{columns[key].name}" for key in keys)
    if postgresql:
        statement = text(
            f"UPDATE {table} SET {assignments} FROM json_populate_recordset(NULL::{table}, CAST(:rows AS JSON)) AS v"
            f" WHERE {table}.id = v.id"
        )
    else:
        names = ", ".join(columns[key].name for key in ("id", *keys))
        tuples = ", ".join("(" + ", ".join(f":r{i}_{key}" for key in ("id", *keys)) + ")" for i in range(rows))
        statement = text(
            f"WITH v ({names}) AS (VALUES {tuples}) UPDATE {table} SET {assignments} FROM v WHERE {table}.id = v.id"
        ).bindparams(*(bindparam(f"r{i}_{key}", type_=columns[key].type) for i in range(rows) for key in ("id", *keys)))
    if len(_WRITE_STATEMENTS) >= 256:
        _WRITE_STATEMENTS.clear()
    _WRITE_STATEMENTS[cache_key] = statement
    return statement


def _renew_lease(message: OutboundMessage) -> bool:
    """Just before an outside send: is the message still ours? Renews its lease and commits."""
    renewed = now_utc()
    ours = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message.id, OutboundMessage.status == S.SENDING,
               OutboundMessage.attempts == message.attempts)
        .values(claimed_at=renewed)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if ours:
        message.claimed_at = renewed
    else:
        log.warning("message %s left to another worker: its lease ran out before it was sent", message.id)
    return bool(ours)


def _still_deliverable(message: OutboundMessage, now: datetime | None = None) -> bool:
    """Checks for messages written ready to send: an SMS to a number that opted out is dropped,
    and so is a reminder's copy (sent again by operations) whose subject no longer calls for it."""
    if message.rule:
        if not reminders.still_applies(message, now or now_utc()):
            return False
    if message.channel is Channel.SMS:
        if preferences.opted_out(message.recipient):
            drop(message, "the number replied STOP: no SMS until it replies START")
            return False
    return True


def _send(message: OutboundMessage, provider, now: datetime) -> None:
    try:
        message.provider_message_id = provider.send(message)
    except DeliveryError as exc:
        message.status = S.FAILED
        message.error = str(exc)
        log.warning("message %s failed: %s", message.id, exc)
    except Exception as exc:  # a bug or an unexpected provider error: record it, never retry blindly
        message.status = S.FAILED
        message.error = f"unexpected error: {type(exc).__name__}"
        log.exception("message %s failed unexpectedly", message.id)
    else:
        message.status = S.SENT
        message.sent_at = now_utc()
        message.error = ""


# -- the dispatcher (a Celery beat task) -----------------------------------------------------------

def claim_due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Claim up to ``limit`` due messages for this dispatcher; no other dispatcher gets them."""
    now = now or now_utc()
    due = (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == S.QUEUED, OutboundMessage.send_at <= now)
        .order_by(OutboundMessage.send_at, OutboundMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(due.scalar_subquery()), OutboundMessage.status == S.QUEUED)
        .values(status=S.CLAIMED, claimed_at=now)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    ))
    return sorted(ids)


def claimed_count() -> int:
    """Messages claimed by a dispatcher whose send task has not run yet."""
    return db.session.scalar(
        select(func.count(OutboundMessage.id)).where(OutboundMessage.status == S.CLAIMED)
    ) or 0


def recover_stale(now: datetime | None = None, lease: timedelta | None = None) -> int:
    """Put back what a dead worker left behind: claims whose send task never ran, and sends to an
    outside provider that were cut off (asking the provider first whether the message arrived)."""
    now = now or now_utc()
    lease = lease or timedelta(seconds=current_app.config["MESSAGE_LEASE_SECONDS"])
    cutoff = now - lease
    requeued = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == S.CLAIMED, OutboundMessage.claimed_at <= cutoff)
        .values(status=S.QUEUED, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    for message in db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.status == S.SENDING, OutboundMessage.claimed_at <= cutoff)
        .order_by(OutboundMessage.id).limit(200).with_for_update()
    ).all():
        provider = provider_for(current_app, message.channel)
        try:
            found = provider.find_sent(message) if provider.external else None
        except DeliveryError as exc:
            log.warning("could not ask %s about message %s: %s", provider.name, message.id, exc)
            continue
        if found:
            message.status = S.SENT
            message.provider_message_id = found
            message.sent_at = message.sent_at or now
            message.note = "delivery was interrupted; the provider confirmed it had the message"
        elif message.attempts >= MAX_ATTEMPTS:
            message.status = S.FAILED
            message.error = "delivery was interrupted too many times"
        else:
            message.status = S.QUEUED
            message.note = "delivery was interrupted; sending again"
        requeued += 1
    return requeued


# -- operations --------------------------------------------------------------------------------------

def resend(message: OutboundMessage, actor: User) -> OutboundMessage:
    """A failed message, sent again as a new row (the failed one stays on record). Clicking twice
    makes one copy: the copy's key is derived from the original. A reminder's copy goes through
    the same checks as the reminder: one about something since cancelled is dropped, not sent."""
    if message.status is not S.FAILED:
        raise ServiceError(_("Only a failed message can be sent again."))
    key = f"resend:{message.id}"
    existing = db.session.scalar(select(OutboundMessage).where(OutboundMessage.key == key))
    if existing is not None:
        raise ServiceError(_("This message has already been sent again (message #%(id)s).", id=existing.id))
    user = message.user
    recipient = message.recipient
    if user is not None:  # to the address or number the user has now
        recipient = {Channel.EMAIL: user.email, Channel.SMS: user.phone or recipient}.get(message.channel, recipient)
    copy = OutboundMessage(
        channel=message.channel, user_id=message.user_id, recipient=recipient,
        subject=message.subject, body=message.body, html_body=message.html_body,
        link_url=message.link_url, kind=message.kind, category=message.category,
        attachments=message.attachments,
        subject_type=message.subject_type, subject_id=message.subject_id, key=key,
        # A reminder's copy keeps its rule and subject: when it is sent, a subject since
        # cancelled or done, or a deadline passed, drops it instead (the text stays the same).
        rule=message.rule, context=message.context,
        urgent=message.urgent, send_at=now_utc(), resent_from_id=message.id,
        note=f"sent again by {actor.name} (user {actor.id})",
    )
    db.session.add(copy)
    db.session.flush()
    after_commit(DELIVER_TASK, [copy.id])
    return copy
