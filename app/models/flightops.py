"""Flight operations: a flight's launch-day timeline (countdown holds, weather, go/no-go,
boarding, liftoff, landing), told to tourists and their companions as it happens, and the
address families follow it at without an account."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class UpdateKind(str, enum.Enum):
    HOLD = "hold"              # the countdown holds
    WEATHER = "weather"
    GO_NO_GO = "go_no_go"      # the go/no-go poll
    BOARDING = "boarding"
    LIFTOFF = "liftoff"
    LANDING = "landing"
    OTHER = "other"


class LaunchUpdate(db.Model):
    """One entry of a flight's launch-day timeline. Append-only."""

    __tablename__ = "launch_updates"
    __table_args__ = (Index("ix_launch_updates_flight_at", "flight_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"))
    kind: Mapped[UpdateKind] = mapped_column(enum_column(UpdateKind, 16))
    #: What operations wrote, as written (in the operator's language): shown to everyone.
    message: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship()


class LaunchLink(db.Model):
    """How many times operations replaced the address of a flight's read-only launch page
    (``/launch/<token>``: its timeline and countdown, no personal data). The token is derived from
    the flight, this generation and the app's secret key (:func:`app.flightops.updates.token_of`),
    so no page writes one; replacing the address (a link shared too widely) bumps the generation
    and the old address stops working. No row: generation 0."""

    __tablename__ = "launch_links"

    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class FlightOutcome(db.Model):
    """What actually happened: when the flight lifted off and landed, recorded by operations when
    they mark it flown (the flight's ``launch_at`` stays the planned time)."""

    __tablename__ = "flight_outcomes"

    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), primary_key=True)
    lifted_off_at: Mapped[datetime] = mapped_column(UTCDateTime())
    landed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class Feedback(db.Model):
    """A flown tourist's answers to the short survey after their flight: once per booking."""

    __tablename__ = "flight_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    #: How was the experience as a whole, 1 (poor) to 5 (outstanding).
    overall: Mapped[int]
    #: How likely they are to recommend the operator, 0 to 10 (the net promoter question).
    recommend: Mapped[int]
    best: Mapped[str] = mapped_column(Text, default="")
    improve: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
