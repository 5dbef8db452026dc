"""Messages: every email, SMS and in-app notification, sent now or at a time to come.

A message is a row. Messages about something that happened (a receipt, a password reset) are
written ready to send. Reminders are written by a rule about a subject (a booking, a payment) with
the time to send them and a unique key, and are rendered only when they are sent, in the
recipient's language as it is then. A Celery beat task claims the rows that are due.
"""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class Channel(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in_app"


class MessageStatus(str, enum.Enum):
    QUEUED = "queued"        # waiting for its time (send_at)
    CLAIMED = "claimed"      # claimed by the dispatcher and handed to a send task
    SENDING = "sending"      # being handed to an outside provider (SMTP, Twilio)
    SENT = "sent"            # handed to the provider (or stored in the outbox, or shown in the app)
    FAILED = "failed"        # the provider refused it; operations may resend it
    DROPPED = "dropped"      # not sent, on purpose: see ``note`` (subject cancelled, opted out...)

    @property
    def pending(self) -> bool:
        return self in (MessageStatus.QUEUED, MessageStatus.CLAIMED)


class OutboundMessage(db.Model):
    """One message on one channel. With the outbox providers, this table is the outbox."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_messages_status_send_at", "status", "send_at"),
        Index("ix_outbound_messages_subject", "subject_type", "subject_id"),
        Index("ix_outbound_messages_user_channel_read", "user_id", "channel", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    link_url: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[str] = mapped_column(String(64))
    # A reminder: the rule that wrote it, what it is about, and a key that exists once.
    key: Mapped[str | None] = mapped_column(String(255), unique=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), default="")
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus), default=MessageStatus.QUEUED
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider: Mapped[str] = mapped_column(String(32), default="")
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # What the provider reported afterwards (Twilio's status callback): delivered, undelivered...
    delivery_status: Mapped[str] = mapped_column(String(16), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: An in-app notice about a problem that has since gone (the payment went through): shown
    #: as resolved, without its action link, and no longer unread.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resent_from_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    #: Files an email carries, as text: ``[{"filename", "content_type", "content"}]`` (a
    #: calendar file for a training session).
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundMessage {self.id} {self.channel.value} {self.kind} {self.status.value}>"


class NotificationPreference(db.Model):
    """Which channels a user wants for one category of message. No row: the category's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category", name="uq_notification_preferences_user_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(32))
    email: Mapped[bool] = mapped_column(default=True)
    sms: Mapped[bool] = mapped_column(default=False)
    in_app: Mapped[bool] = mapped_column(default=True)


class QuietHours(db.Model):
    """The hours, in the user's timezone, when non-urgent email and SMS wait for the morning."""

    __tablename__ = "quiet_hours"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    starts: Mapped[time] = mapped_column(Time(), default=time(22, 0))
    ends: Mapped[time] = mapped_column(Time(), default=time(8, 0))


class SmsOptOut(db.Model):
    """A phone number that replied STOP: it gets no SMS until it replies START."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(16))
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
