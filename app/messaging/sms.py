"""What Twilio tells us: delivery reports for our SMS, and messages people send back.

Both arrive at webhooks (``blueprints/messages/webhooks.py``) that check Twilio's signature first.
Reports can arrive late, twice or out of order, so a message's delivery status only moves forward.
Replies honour STOP, START and HELP; Twilio answers STOP and START itself, so we only record them.
Any other message is announced (``signals.sms_received``) for the desk to file in a conversation.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import signals
from app.extensions import db
from app.messaging import preferences
from app.models import Channel, MessageStatus, OutboundMessage, User, WebhookEvent
from app.phones import parse_e164
from app.timeutil import now_utc

log = logging.getLogger(__name__)

#: How far along each Twilio message status is. A report never moves a message backwards.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3, "undelivered": 3, "failed": 3, "canceled": 3,
    "read": 4,  # WhatsApp and RCS: read implies delivered
}
#: Statuses after which the message did not arrive: operations may resend it.
NOT_DELIVERED = {"undelivered", "failed", "canceled"}

OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_KEYWORDS = {"START", "YES", "UNSTOP"}
HELP_KEYWORDS = {"HELP", "INFO"}


def record_status(sid: str, status: str, error_code: str | None = None) -> str:
    """Record a status callback for the message Twilio calls ``sid``. Returns what happened, for
    the logs: ``recorded``, ``stale`` (an older report arriving late), ``unknown message`` or
    ``unknown status``."""
    status = (status or "").strip().lower()
    rank = STATUS_RANK.get(status)
    if rank is None:
        return "unknown status"
    # Locked, so two reports arriving together cannot write an older status over a newer one.
    message = db.session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.channel == Channel.SMS, OutboundMessage.provider_message_id == sid)
        .with_for_update()
    )
    if message is None:
        return "unknown message"
    current = STATUS_RANK.get(message.delivery_status, -1)
    if rank <= current:
        return "stale"
    message.delivery_status = status
    if status in ("delivered", "read") and message.delivered_at is None:
        message.delivered_at = now_utc()
    if status in NOT_DELIVERED:
        if message.status is MessageStatus.SENT:
            message.status = MessageStatus.FAILED
        message.error = f"Twilio error {error_code}" if error_code else f"Twilio reported the message {status}"
    return "recorded"


def keyword_of(body: str | None) -> str:
    """The keyword of a reply: the whole text, trimmed, in capitals, without end punctuation
    (Twilio, too, only acts on a keyword sent alone)."""
    return (body or "").strip().rstrip(".!").strip().upper()


def handle_inbound(message_sid: str, from_number: str, body: str | None, media: int = 0) -> str | None:
    """Act on a message someone sent us, once per ``message_sid`` (``media``: how many pictures
    or files came with it, by MMS). Returns the text to reply with, or None for no reply."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(WebhookEvent(provider="twilio", event_id=message_sid, type="inbound"))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()

    phone = parse_e164(from_number) or (from_number or "").strip()
    keyword = keyword_of(body)
    if not phone or len(phone) > 32:  # not a number we could ever have sent to
        return None
    if keyword in OPT_OUT_KEYWORDS:
        preferences.record_opt_out(phone, keyword)
        log.info("SMS opt-out recorded (inbound %s)", message_sid)
        return None
    if keyword in OPT_IN_KEYWORDS:
        preferences.record_opt_in(phone)
        log.info("SMS opt-in recorded (inbound %s)", message_sid)
        return None
    if keyword in HELP_KEYWORDS:
        return help_text(phone)
    if (body or "").strip() or media:
        signals.sms_received.send(phone, body=(body or "").strip(), message_sid=message_sid, media=media)
    return None


def help_text(phone: str) -> str:
    """The reply to HELP, in the language of the account with this number (English if none)."""
    user = db.session.scalar(select(User).where(User.phone == phone).order_by(User.id).limit(1))
    with force_locale(user.language if user is not None else "en"):
        return _(
            "Countdown: text messages about your space flight booking. Reply STOP to stop them, "
            "START to get them again. Help and settings: %(url)s",
            url=current_app.config["BASE_URL"],
        )
