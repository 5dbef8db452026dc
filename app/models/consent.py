from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.bookings import Booking
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class DocumentKind(str, enum.Enum):
    INFORMED_CONSENT = "informed_consent"  # 14 CFR 460.45 risk disclosure


class ConsentDocument(db.Model):
    """A published version of a document to sign. Published versions are never changed."""

    __tablename__ = "consent_documents"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_consent_documents_kind_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 32))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    resign_required: Mapped[bool] = mapped_column(default=False)
    change_summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    published_by: Mapped[User | None] = relationship()


class ConsentSignature(db.Model):
    """A signature: what was signed (version and text hash), by whom, when and from where.

    Never updated or deleted: the ORM refuses, and so do database triggers (see the migration).
    """

    __tablename__ = "consent_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("consent_documents.id"))
    document_version: Mapped[int]
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_name: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    ip_address: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(512))

    document: Mapped[ConsentDocument] = relationship()
    booking: Mapped[Booking] = relationship()


class ImmutableRecordError(RuntimeError):
    pass


@event.listens_for(ConsentSignature, "before_update")
@event.listens_for(ConsentDocument, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # pragma: no cover - exercised in tests
    raise ImmutableRecordError(f"{type(target).__name__} rows are never changed")


@event.listens_for(ConsentSignature, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise ImmutableRecordError("consent signatures are never deleted")


class ConsentQuestion(db.Model):
    """A tourist's question about a consent document, and the operator's answer."""

    __tablename__ = "consent_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("consent_documents.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    document: Mapped[ConsentDocument] = relationship()
    booking: Mapped[Booking | None] = relationship()
