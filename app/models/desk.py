"""The customer service desk: one conversation per question a tourist asks, in the app or by SMS,
with staff replies, internal notes, attachments, its history and the answers staff keep ready.

What tourists write may be medical (a question about a medication) or travel-document data, so
subjects, messages, file names and files are encrypted at rest, with the keys and rotation of the
medical data (:mod:`app.crypto`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedText
from app.extensions import db
from app.models.accounts import User
from app.models.bookings import Booking
from app.models.notifications import Channel
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class Topic(str, enum.Enum):
    BOOKING = "booking"          # booking and payments
    MEDICAL = "medical"
    TRAINING = "training"
    DOCUMENTS = "documents"
    TRAVEL = "travel"
    LAUNCH_DAY = "launch_day"
    OTHER = "other"


class ConversationState(str, enum.Enum):
    NEW = "new"                                  # the tourist wrote; no one has answered yet
    WAITING_ON_US = "waiting_on_us"              # the tourist wrote again after an answer
    WAITING_ON_TOURIST = "waiting_on_tourist"    # staff answered; the tourist's turn
    RESOLVED = "resolved"


class MessageKind(str, enum.Enum):
    TOURIST = "tourist"    # written by the tourist (in the app or by SMS)
    STAFF = "staff"        # a reply the tourist sees
    NOTE = "note"          # an internal note: staff only


class DeskEventKind(str, enum.Enum):
    CREATED = "created"
    STATE = "state"            # from -> to
    ASSIGNED = "assigned"      # owner from -> to (user ids)
    TOPIC = "topic"            # re-routed: from -> to
    MATCHED = "matched"        # an unmatched SMS conversation given to a tourist
    BREACHED = "breached"      # a waiting period went past its response target
    RATED = "rated"


class Conversation(db.Model):
    """A tourist's question and everything said about it. ``user_id`` is empty for an SMS from a
    number no account has verified (the "unmatched" queue) until staff give it to a tourist."""

    __tablename__ = "desk_conversations"
    __table_args__ = (
        Index("ix_desk_conversations_state_due", "state", "due_at"),
        Index("ix_desk_conversations_user", "user_id", "updated_at"),
        # The inbox's two orders (the waits by due time; the rest by their latest change first).
        Index("ix_desk_conversations_due", "due_at", "id"),
        Index("ix_desk_conversations_updated", "updated_at", "id"),
        # The inbox's counts by state of what a role may read (by topic, and unmatched or not): read
        # from this index alone, not from every conversation's row.
        Index("ix_desk_conversations_state_topic_user", "state", "topic", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The number an unmatched SMS came from (E.164).
    phone: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[Topic] = mapped_column(enum_column(Topic, 16), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    #: The document a question is about, asked from the document's page.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    document_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    subject: Mapped[str] = mapped_column(EncryptedText, default="")
    state: Mapped[ConversationState] = mapped_column(enum_column(ConversationState, 24))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Where the tourist last wrote from: staff replies go back by SMS when it is SMS.
    last_channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16), default=Channel.IN_APP)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: Since when the tourist has waited for an answer (None when it is not our turn).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the answer is due: ``waiting_since`` plus the response target.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The target of this wait runs around the clock (near the launch), not in business hours.
    around_the_clock: Mapped[bool] = mapped_column(default=False)
    #: When this waiting period went past its target (once per period; escalated then).
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The first answer's wait, in seconds as the target counts them (business hours, or around
    #: the clock near the launch).
    first_response_seconds: Mapped[int | None]
    #: Since when staff have waited for the tourist (their reminder counts from here).
    tourist_turn_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    booking: Mapped[Booking | None] = relationship()
    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation", order_by="ConversationMessage.id", cascade="all, delete-orphan")

    @property
    def unmatched(self) -> bool:
        return self.user_id is None


class ConversationMessage(db.Model):
    """One message of a conversation. Never changed once written."""

    __tablename__ = "desk_messages"
    __table_args__ = (Index("ix_desk_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("desk_conversations.id"))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16), default=Channel.IN_APP)
    body: Mapped[str] = mapped_column(EncryptedText, default="")
    #: The SMS's id at Twilio: one message however often Twilio delivers it.
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[ConversationAttachment]] = relationship(
        order_by="ConversationAttachment.id", cascade="all, delete-orphan")


class ConversationAttachment(db.Model):
    """A PDF, JPEG or PNG sent with a message, its type read from its content. The content is
    loaded only when the file is downloaded."""

    __tablename__ = "desk_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("desk_messages.id"), index=True)
    filename: Mapped[str] = mapped_column(EncryptedText, default="")
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file, base64, encrypted.
    content: Mapped[str] = mapped_column(EncryptedText, deferred=True)


class DeskEvent(db.Model):
    """A conversation's history: who did what when (created, answered, assigned, re-routed,
    breached, rated). Append-only."""

    __tablename__ = "desk_events"
    __table_args__ = (Index("ix_desk_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("desk_conversations.id"), index=True)
    kind: Mapped[DeskEventKind] = mapped_column(enum_column(DeskEventKind, 16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_value: Mapped[str] = mapped_column(String(32), default="")
    to_value: Mapped[str] = mapped_column(String(32), default="")
    #: The conversation's topic when this happened (weekly figures count by it).
    topic: Mapped[Topic] = mapped_column(enum_column(Topic, 16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship()


class SavedAnswer(db.Model):
    """An answer staff keep ready, in the operator's default language and any others
    (``texts``: ``{language: {"title": ..., "body": ...}}``, :mod:`app.multilingual`)."""

    __tablename__ = "desk_saved_answers"
    __table_args__ = (UniqueConstraint("title", name="uq_desk_saved_answers_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(4000))
    topic: Mapped[Topic | None] = mapped_column(enum_column(Topic, 16))
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
