"""Email and SMS: a row per message, written with the change that caused it, delivered after commit.

A message is written as ``queued`` in the same transaction as what caused it, so it is never lost
and never sent for something that rolled back. A Celery task delivers it after the commit; a
periodic sweep delivers anything whose task never arrived. Delivery claims the row first, so a
message is never handed to the provider twice.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

import pytz
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from app.extensions import db
from app.models import Channel, MessageStatus, OutboundMessage, User, WaitlistEntry
from app.providers.messaging import DeliveryError, provider_for
from app.timeutil import now_utc
from app.transactions import after_commit
from app.urls import external_url

log = logging.getLogger(__name__)
DELIVER_TASK = "countdown.deliver_message"


@contextmanager
def recipient_locale(user: User | None):
    """Render in the recipient's language and timezone, whoever's request this is."""
    from flask_babel import _get_current_context

    ctx = _get_current_context()
    saved = getattr(ctx, "babel_tzinfo", None)
    ctx.babel_tzinfo = pytz.timezone(user.timezone if user is not None else "UTC")
    try:
        with force_locale(user.language if user is not None else "en"):
            yield
    finally:
        ctx.babel_tzinfo = saved


def render_message(template: str, user: User | None, **context) -> tuple[str, str]:
    """Render ``email/<template>.txt`` in the recipient's language; returns (subject, body).

    The template's first line is the subject; the body follows a blank line.
    """
    with recipient_locale(user):
        text = render_template(f"email/{template}.txt", user=user, **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue_email(
    kind: str, *, user: User | None = None, to: str | None = None, **context
) -> OutboundMessage:
    subject, body = render_message(kind, user, **context)
    message = OutboundMessage(
        channel=Channel.EMAIL, user_id=user.id if user else None,
        recipient=to or (user.email if user else ""), subject=subject, body=body, kind=kind,
    )
    db.session.add(message)
    db.session.flush()
    after_commit(DELIVER_TASK, message.id)
    return message


def queue_sms(kind: str, *, user: User, body: str) -> OutboundMessage | None:
    if not user.phone:
        return None
    message = OutboundMessage(
        channel=Channel.SMS, user_id=user.id, recipient=user.phone, body=body, kind=kind
    )
    db.session.add(message)
    db.session.flush()
    after_commit(DELIVER_TASK, message.id)
    return message


def deliver(message_id: int) -> MessageStatus | None:
    """Hand one queued message to its provider, at most once. Commits."""
    claimed = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.SENDING, attempts=OutboundMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None  # already delivered, being delivered, or gone
    message = db.session.get(OutboundMessage, message_id)
    provider = provider_for(current_app, message.channel)
    try:
        message.provider_message_id = provider.send(message)
    except DeliveryError as exc:
        message.status = MessageStatus.FAILED
        message.error = str(exc)
        log.warning("message %s failed: %s", message.id, exc)
    except Exception as exc:  # a bug or an unexpected provider error: record it, never retry blindly
        message.status = MessageStatus.FAILED
        message.error = f"unexpected error: {type(exc).__name__}"
        log.exception("message %s failed unexpectedly", message.id)
    else:
        message.status = MessageStatus.SENT
        message.sent_at = now_utc()
    message.provider = provider.name
    db.session.commit()
    return message.status


def fail_interrupted_deliveries(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Deliveries claimed long ago and never finished (the worker died mid-way).

    Whether the provider got them is unknown, so they are not sent again blindly: they are marked
    failed with that reason, where operations can see them in the outbox.
    """
    cutoff = now_utc() - older_than
    return db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.created_at <= cutoff)
        .values(status=MessageStatus.FAILED, error="delivery was interrupted; it may or may not have arrived")
    ).rowcount


def queued_message_ids(older_than: timedelta = timedelta(minutes=1), limit: int = 500) -> list[int]:
    """Messages whose delivery task never ran (the broker was down, or the worker died first)."""
    cutoff = now_utc() - older_than
    return list(db.session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == MessageStatus.QUEUED, OutboundMessage.created_at <= cutoff)
        .order_by(OutboundMessage.id).limit(limit)
    ))


# -- messages of this capability ------------------------------------------------------------------

def notify_waitlist_offer(entry: WaitlistEntry) -> None:
    booking = entry.booking
    queue_email(
        "waitlist_offer", user=entry.user, flight=entry.flight, booking=booking,
        url=external_url("bookings.detail", reference=booking.reference),
    )
