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

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
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
        own = (self.texts or {}).get(language) or {}
        return own.get(field) or ((self.texts or {}).get(self.default_language) or {}).get(field, "")

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
