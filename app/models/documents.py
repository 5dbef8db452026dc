"""Documents a tourist must read and sign or acknowledge: the informed consent (14 CFR 460.45), the
reciprocal waiver of claims (460.49), the prohibited-items notice (460.53) and mission briefings.

A :class:`Document` applies to every flight, a vehicle's, a spaceport's or one flight. It is
published in :class:`DocumentVersion` s, each with its text in one or more languages
(:class:`DocumentText`, one of them the document's default language). A signature or an
acknowledgement (:class:`Acceptance`) records the version, the language and a SHA-256 of exactly
the text shown, with the time, address and browser; every step (opened, signed, acknowledged,
reminded) is a :class:`DocumentEvent`. Versions, texts, acceptances and events are never changed:
the ORM refuses, and so do triggers in the database (see the migration).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.bookings import Booking
from app.models.flights import Flight
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class DocumentKind(str, enum.Enum):
    INFORMED_CONSENT = "informed_consent"  # 14 CFR 460.45 risk disclosure: signed
    WAIVER = "waiver"                      # 460.49 reciprocal waiver of claims: signed
    PROHIBITED_ITEMS = "prohibited_items"  # 460.53: acknowledged
    BRIEFING = "briefing"                  # mission briefings: acknowledged, several per flight

    @property
    def signed(self) -> bool:
        """Signed with the tourist's typed name; the others are acknowledged."""
        return self in (DocumentKind.INFORMED_CONSENT, DocumentKind.WAIVER)


class DocumentScope(str, enum.Enum):
    ALL = "all"              # every flight
    VEHICLE = "vehicle"      # every flight of a vehicle
    SPACEPORT = "spaceport"  # every flight from a spaceport
    FLIGHT = "flight"        # one flight


class Document(db.Model):
    """A document to sign or acknowledge, as operations keep it: its kind, where it applies, and
    its versions."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 32), index=True)
    scope: Mapped[DocumentScope] = mapped_column(enum_column(DocumentScope, 16))
    #: What the scope names: a vehicle's or a spaceport's name (``vehicle``/``spaceport``).
    scope_name: Mapped[str] = mapped_column(String(120), default="")
    flight_id: Mapped[int | None] = mapped_column(ForeignKey("flights.id"), index=True)
    #: The language every version must have its text in; the others are optional.
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    #: Order among a flight's briefings.
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    flight: Mapped[Flight | None] = relationship()
    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.version", viewonly=True)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.kind.value} {self.scope.value}>"


class DocumentVersion(db.Model):
    """A published version. ``material``: everyone who accepted an earlier version must sign or
    acknowledge again; a correction asks nobody again."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_document_versions_document_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int]
    material: Mapped[bool] = mapped_column(default=True)
    change_summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()
    texts: Mapped[list["DocumentText"]] = relationship(
        back_populates="version", order_by="DocumentText.id", viewonly=True)

    def text_in(self, language: str) -> "DocumentText":
        """The text in ``language``, or else in the document's default language."""
        by_language = {t.language: t for t in self.texts}
        return by_language.get(language) or by_language[self.document.default_language]

    def summary_in(self, language: str) -> tuple[str, str]:
        """What changed, and the language it is written in: ``language``'s summary, or else the
        default language's."""
        by_language = {t.language: t.change_summary for t in self.texts if t.change_summary}
        if by_language.get(language):
            return by_language[language], language
        default = self.document.default_language
        return by_language.get(default) or self.change_summary, default


class DocumentText(db.Model):
    """A version's text in one language, with the SHA-256 of its body as shown."""

    __tablename__ = "document_texts"
    __table_args__ = (UniqueConstraint("version_id", "language", name="uq_document_texts_version_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: What changed since the version before, in this language (shown to tourists asked again).
    change_summary: Mapped[str] = mapped_column(Text, default="", server_default="")

    version: Mapped[DocumentVersion] = relationship(back_populates="texts")


class DocumentNotice(db.Model):
    """The tourists a material version asks again, still to be told: written with the version;
    ``done_at`` once every booking it applies to was told and had its reminders re-planned (by a
    task after the commit, in batches, or by the beat's sweep when that task never ran)."""

    __tablename__ = "document_notices"

    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Acceptance(db.Model):
    """A signature or an acknowledgement: which version, in which language, a SHA-256 of exactly
    the text shown, by whom, for which booking, when and from where. ``signed_name`` is the name
    typed to sign (empty for an acknowledgement)."""

    __tablename__ = "document_acceptances"
    __table_args__ = (
        UniqueConstraint("booking_id", "version_id", name="uq_document_acceptances_booking_version"),
        # A booking's acceptances, and on PostgreSQL what operations' table of a flight reads of
        # them in the index itself: the planner then looks up each booking's instead of hashing
        # every acceptance there is.
        Index("ix_document_acceptances_booking_marks", "booking_id",
              postgresql_include=["document_id", "version", "id", "accepted_at"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    version: Mapped[int]
    language: Mapped[str] = mapped_column(String(5))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    ip_address: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(512))

    document: Mapped[Document] = relationship()
    document_version: Mapped[DocumentVersion] = relationship()
    booking: Mapped[Booking] = relationship()
    user: Mapped[User] = relationship()


class DocumentEventKind(str, enum.Enum):
    OPENED = "opened"              # the first time the tourist opened this version
    SIGNED = "signed"
    ACKNOWLEDGED = "acknowledged"
    REMINDED = "reminded"          # operations reminded the tourist


class DocumentEvent(db.Model):
    """What happened to a version for a tourist's booking (DocumentSeal's sent, opened, completed).
    Append-only; a version is "opened" once per booking."""

    __tablename__ = "document_events"
    __table_args__ = (
        Index("uq_document_events_opened", "booking_id", "version_id", unique=True,
              sqlite_where=sql_text("kind = 'opened'"), postgresql_where=sql_text("kind = 'opened'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    kind: Mapped[DocumentEventKind] = mapped_column(enum_column(DocumentEventKind, 16))
    language: Mapped[str] = mapped_column(String(5), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: Who: the tourist, or the staff member who sent a reminder.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ImmutableRecordError(RuntimeError):
    pass


@event.listens_for(Acceptance, "before_update")
@event.listens_for(DocumentVersion, "before_update")
@event.listens_for(DocumentText, "before_update")
@event.listens_for(DocumentEvent, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # pragma: no cover - exercised in tests
    raise ImmutableRecordError(f"{type(target).__name__} rows are never changed")


@event.listens_for(Acceptance, "before_delete")
@event.listens_for(DocumentVersion, "before_delete")
@event.listens_for(DocumentText, "before_delete")
@event.listens_for(DocumentEvent, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise ImmutableRecordError(f"{type(target).__name__} rows are never deleted")
