"""Privacy: a tourist's requests to see (an export) or erase their data, the steps an erasure has
done, the runs of retention, and a log of all of it. What the domains export, erase and keep is
registered with :mod:`app.personal_data`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedText
from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class ExportState(str, enum.Enum):
    QUEUED = "queued"          # asked for; a task builds it
    READY = "ready"            # built; the link works once, until ``expires_at``
    DOWNLOADED = "downloaded"  # fetched once: the file is gone
    EXPIRED = "expired"        # not fetched in time: the file is gone


class DataExport(db.Model):
    """Everything held about a tourist, as a ZIP built by a task. Its link carries a token made
    from ``salt`` and the app's secret key; the file (base64, encrypted) is removed once downloaded
    or expired."""

    __tablename__ = "privacy_exports"
    __table_args__ = (Index("ix_privacy_exports_state", "state", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[ExportState] = mapped_column(enum_column(ExportState, 16), default=ExportState.QUEUED)
    #: With the app's secret key, makes the link's token (so no page stores one).
    salt: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[str] = mapped_column(EncryptedText, default="", deferred=True)

    user: Mapped[User] = relationship()


class ErasureState(str, enum.Enum):
    REQUESTED = "requested"    # the tourist asked; operations confirm or refuse by ``due_at``
    CONFIRMED = "confirmed"    # operations confirmed: a task erases, part by part
    REFUSED = "refused"        # operations refused, with a reason the tourist reads
    WITHDRAWN = "withdrawn"    # the tourist changed their mind before it was confirmed
    DONE = "done"              # every part erased or kept what it must

    @property
    def open(self) -> bool:
        return self in (ErasureState.REQUESTED, ErasureState.CONFIRMED)


class ErasureRequest(db.Model):
    __tablename__ = "privacy_erasure_requests"
    __table_args__ = (
        # One open request per tourist, on both databases.
        Index("uq_privacy_erasure_open", "user_id", unique=True,
              postgresql_where=text("state IN ('requested', 'confirmed')"),
              sqlite_where=text("state IN ('requested', 'confirmed')")),
        Index("ix_privacy_erasure_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[ErasureState] = mapped_column(enum_column(ErasureState, 16), default=ErasureState.REQUESTED)
    #: What the tourist wrote (optional); erased with the rest.
    reason: Mapped[str] = mapped_column(EncryptedText, default="")
    #: The tourist had a live booking and was told erasure would cancel it.
    live_bookings: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Operations' reason: why they refused, or a note on confirming.
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    steps: Mapped[list[ErasureStep]] = relationship(order_by="ErasureStep.done_at", viewonly=True)


class ErasureStep(db.Model):
    """One part of an erasure, done: written in the transaction that erased it, so a run killed
    half-way resumes at the first part without a row here."""

    __tablename__ = "privacy_erasure_steps"

    request_id: Mapped[int] = mapped_column(ForeignKey("privacy_erasure_requests.id"), primary_key=True)
    part: Mapped[str] = mapped_column(String(32), primary_key=True)
    erased: Mapped[int] = mapped_column(default=0)
    #: What was kept: ``[{"rule", "what", "count"}]``.
    kept: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class RetentionRun(db.Model):
    """One application of the retention periods. ``removed`` counts per kind of data, written with
    each batch it counts; a run killed half-way is finished by the next (``finished_at`` empty)."""

    __tablename__ = "privacy_retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who started it by hand (None: the daily schedule).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: The kinds of data finished in this run (the next run skips them).
    done: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Kinds whose removal failed in this run (an error, logged): left for the next run.
    failed: Mapped[list[str]] = mapped_column(JSON, default=list)

    actor: Mapped[User | None] = relationship()

    @property
    def total(self) -> int:
        return sum(self.removed.values())


class PrivacyLogKind(str, enum.Enum):
    EXPORT_REQUESTED = "export_requested"
    EXPORT_READY = "export_ready"
    EXPORT_DOWNLOADED = "export_downloaded"
    EXPORT_EXPIRED = "export_expired"
    ERASURE_REQUESTED = "erasure_requested"
    ERASURE_WITHDRAWN = "erasure_withdrawn"
    ERASURE_CONFIRMED = "erasure_confirmed"
    ERASURE_REFUSED = "erasure_refused"
    ERASURE_DONE = "erasure_done"
    RETENTION = "retention"


class PrivacyLog(db.Model):
    """Every export, erasure and retention run: who, what, when, how many rows. Append-only."""

    __tablename__ = "privacy_log"
    __table_args__ = (Index("ix_privacy_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PrivacyLogKind] = mapped_column(enum_column(PrivacyLogKind, 24))
    #: Who did it (None: the system, on schedule or in a task).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Whose data (None for retention).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rows: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class RetentionUnlock(db.Model):
    """Evidence tables refuse deletes (triggers in the database). Retention, and only retention,
    writes a row naming the table in its own transaction; the trigger lets that transaction's
    deletes through, and the row is deleted before it commits, so no other transaction sees it."""

    __tablename__ = "privacy_retention_unlocks"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
