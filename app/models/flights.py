from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import multilingual
from app.extensions import db
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc

if TYPE_CHECKING:
    from app.models.accounts import User


class SlipCause(str, enum.Enum):
    """Why operations moved a launch: told to the tourists and kept in the schedule history."""

    WEATHER = "weather"
    TECHNICAL = "technical"
    RANGE = "range"
    OTHER = "other"


class FlightStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    DELAYED = "delayed"
    SCRUBBED = "scrubbed"
    FLOWN = "flown"
    CANCELLED = "cancelled"

    @property
    def bookable(self) -> bool:
        return self in (FlightStatus.SCHEDULED, FlightStatus.DELAYED)


class Flight(db.Model):
    __tablename__ = "flights"
    __table_args__ = (
        CheckConstraint("seat_count > 0", name="seat_count_positive"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("deposit_minor >= 0 AND deposit_minor <= price_minor", name="deposit_within_price"),
        CheckConstraint(
            "deposit_nonrefundable_minor >= 0 AND deposit_nonrefundable_minor <= deposit_minor",
            name="nonrefundable_within_deposit",
        ),
        CheckConstraint("window_closes_at >= launch_at", name="window_after_launch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    vehicle: Mapped[str] = mapped_column(String(120))
    spaceport: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    launch_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seat_count: Mapped[int]
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    deposit_minor: Mapped[int] = mapped_column(BigInteger)
    deposit_nonrefundable_minor: Mapped[int] = mapped_column(BigInteger)
    balance_due_days: Mapped[int]
    status: Mapped[FlightStatus] = mapped_column(
        enum_column(FlightStatus), default=FlightStatus.SCHEDULED, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)
    #: The description in other languages than the default one it is written in:
    #: ``{language: {"description": ...}}`` (see :mod:`app.multilingual`).
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=sql_text("'{}'"))

    def description_in(self, language: str) -> str:
        return multilingual.text_in(self.texts, language, "description", self.description)

    def __repr__(self) -> str:
        return f"<Flight {self.id} {self.name!r}>"


class FlightEvent(db.Model):
    """Append-only history of a flight: each scrub, delay, move of the launch and cancellation,
    so that the tourist's pages say what happened to their flight, and when."""

    __tablename__ = "flight_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # scrubbed | delayed | moved | cancelled | status
    from_status: Mapped[FlightStatus] = mapped_column(enum_column(FlightStatus))
    to_status: Mapped[FlightStatus] = mapped_column(enum_column(FlightStatus))
    previous_launch_at: Mapped[datetime] = mapped_column(UTCDateTime())
    launch_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    #: For a move operations made with a cause: a :class:`SlipCause` value ('' for other changes).
    cause: Mapped[str] = mapped_column(String(16), default="", server_default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
