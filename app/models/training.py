"""Training (14 CFR 460.51): the modules operations keep, and the plan a flight requires.

A module's name and description are written per language (``texts``: ``{"de": {"name": ...,
"description": ...}, ...}``) with a default language whose text is shown where a language has
none. A plan belongs to a vehicle (every flight of it) or to one flight (which then needs no
other); it lists the required modules, each with a deadline counted back from launch.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import multilingual
from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class ModuleKind(str, enum.Enum):
    CLASSROOM = "classroom"
    CENTRIFUGE = "centrifuge"
    EGRESS_DRILL = "egress_drill"
    SCENARIO_REHEARSAL = "scenario"
    SUIT_FITTING = "suit_fitting"
    EXAM = "exam"


class SafetyTopic(str, enum.Enum):
    """What 14 CFR 460.51 requires every participant to be trained to respond to."""

    SMOKE = "smoke"
    FIRE = "fire"
    CABIN_PRESSURE = "cabin_pressure"
    EMERGENCY_EXIT = "emergency_exit"


#: A module that needs another passed first (a final exam after the scenario rehearsals).
module_prerequisites = Table(
    "training_module_prerequisites",
    db.metadata,
    Column("module_id", ForeignKey("training_modules.id", ondelete="CASCADE"), primary_key=True),
    Column("requires_id", ForeignKey("training_modules.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("module_id <> requires_id", name="prerequisite_not_itself"),
)


class TrainingModule(db.Model):
    __tablename__ = "training_modules"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("validity_days IS NULL OR validity_days > 0", name="validity_positive"),
        CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)", name="pass_mark_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ModuleKind] = mapped_column(enum_column(ModuleKind))
    duration_minutes: Mapped[int]
    #: The 460.51 topics it trains (``SafetyTopic`` values).
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: How long a pass stays valid (a centrifuge run: a year); None: for good.
    validity_days: Mapped[int | None]
    #: The score (in percent) that passes an exam; None for other kinds.
    pass_mark: Mapped[int | None]
    #: Name and description per language: ``{language: {"name": ..., "description": ...}}``.
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    #: No longer offered: kept for the plans, sessions and passes that name it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    prerequisites: Mapped[list[TrainingModule]] = relationship(
        secondary=module_prerequisites,
        primaryjoin=lambda: TrainingModule.id == module_prerequisites.c.module_id,
        secondaryjoin=lambda: TrainingModule.id == module_prerequisites.c.requires_id,
        order_by=lambda: TrainingModule.id,
    )

    def text(self, language: str, field: str = "name") -> str:
        """The ``field`` in ``language``, or in the default language where it has none."""
        return multilingual.text_in(self.texts, language, field,
                                    multilingual.text_in(self.texts, self.default_language, field))

    def __repr__(self) -> str:
        return f"<TrainingModule {self.id} {self.text(self.default_language)!r}>"


class TrainingPlan(db.Model):
    __tablename__ = "training_plans"
    __table_args__ = (
        CheckConstraint("(vehicle IS NULL) <> (flight_id IS NULL)", name="plan_for_vehicle_or_flight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle: Mapped[str | None] = mapped_column(String(120), index=True)
    flight_id: Mapped[int | None] = mapped_column(ForeignKey("flights.id"), index=True)
    #: Published plans apply; a draft is being written.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: When the reminders of the bookings the published plan applies to were planned (by a task
    #: after the publishing commit; a sweep runs it again for any plan still without this).
    reminders_planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.deadline_days.desc(), PlanItem.id",
    )

    def __repr__(self) -> str:
        return f"<TrainingPlan {self.id} {self.vehicle or f'flight {self.flight_id}'}>"


class PlanItem(db.Model):
    __tablename__ = "training_plan_items"
    __table_args__ = (
        UniqueConstraint("plan_id", "module_id", name="uq_training_plan_items_module"),
        CheckConstraint("deadline_days >= 0", name="deadline_not_after_launch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plans.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_modules.id"))
    #: Passed by this many days before launch (30: by L-30; 1: the day before).
    deadline_days: Mapped[int]

    plan: Mapped[TrainingPlan] = relationship(back_populates="items")
    module: Mapped[TrainingModule] = relationship()


# -- sessions and places ---------------------------------------------------------------------------

class SessionStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


#: Who teaches a session (one or more instructors).
session_instructors = Table(
    "training_session_instructors",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class TrainingSession(db.Model):
    """A module taught at a place and time. Times are stored in UTC; ``timezone`` is the place's,
    in which the session is shown beside the viewer's own. ``sequence`` goes up each time the
    session moves or is cancelled, so that calendar apps replace what they hold."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_training_sessions_module_starts", "module_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_modules.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.SCHEDULED)
    #: For calendars: 0 when created, one more at every move or cancellation.
    sequence: Mapped[int] = mapped_column(default=0)
    #: Sessions created together as a series share this.
    series: Mapped[str | None] = mapped_column(String(32), index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    module: Mapped[TrainingModule] = relationship()
    instructors: Mapped[list[User]] = relationship(secondary=session_instructors, order_by="User.name")

    @property
    def cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} module {self.module_id} {self.starts_at:%Y-%m-%d %H:%M}>"


class PlaceState(str, enum.Enum):
    WAITING = "waiting"      # on the waiting list
    OFFERED = "offered"      # a freed place is held for them until ``offer_expires_at``
    BOOKED = "booked"
    CANCELLED = "cancelled"  # by the tourist (or moved to another session), or the session was cancelled
    LAPSED = "lapsed"        # an offer not taken in time

    @property
    def live(self) -> bool:
        return self in (PlaceState.WAITING, PlaceState.OFFERED, PlaceState.BOOKED)


class Attendance(str, enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class Result(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"


class SessionPlace(db.Model):
    """A tourist's place in a session (or on its waiting list), for the flight booking it trains
    them for; the instructor's attendance and result are kept on it, and every change of it is an
    event row."""

    __tablename__ = "training_places"
    __table_args__ = (
        # One live place (waiting, offered or booked) per tourist and session, on both databases.
        Index(
            "uq_training_places_live", "session_id", "user_id", unique=True,
            postgresql_where=text("state IN ('waiting', 'offered', 'booked')"),
            sqlite_where=text("state IN ('waiting', 'offered', 'booked')"),
        ),
        Index("ix_training_places_session_state", "session_id", "state"),
        Index("ix_training_places_user_state", "user_id", "state"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    state: Mapped[PlaceState] = mapped_column(enum_column(PlaceState))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance: Mapped[Attendance | None] = mapped_column(enum_column(Attendance))
    result: Mapped[Result | None] = mapped_column(enum_column(Result))
    score: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    session: Mapped[TrainingSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])

    def __repr__(self) -> str:
        return f"<SessionPlace {self.id} session {self.session_id} user {self.user_id} {self.state.value}>"


class TrainingEvent(db.Model):
    """Append-only history of a place: booked, waiting, offered, moved, cancelled, attendance and
    sign-off, each with who did it and when."""

    __tablename__ = "training_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("training_places.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32), default="")
    score: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class CalendarFeed(db.Model):
    """A private calendar address of one user. The secret in the address is an HMAC of the row's
    id and ``salt`` under the app's secret key, so it is never stored; revoking the feed (a new
    one replaces it) makes the old address answer 404."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
