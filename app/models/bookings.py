from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.flights import Flight
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class BookingState(str, enum.Enum):
    HELD = "held"            # a seat is reserved until hold_expires_at
    EXPIRED = "expired"      # the hold lapsed; the seat went back
    CONFIRMED = "confirmed"  # the seat is the tourist's (deposit paid)
    CANCELLED = "cancelled"  # given up by the tourist or the operator
    FLOWN = "flown"          # the flight flew with the tourist on board: the journey is complete

    @property
    def takes_seat(self) -> bool:
        return self in (BookingState.HELD, BookingState.CONFIRMED)


SEAT_TAKING_STATES = ("held", "confirmed")


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        # One live booking per tourist and flight, on both databases.
        Index(
            "uq_bookings_live_per_user_flight", "flight_id", "user_id", unique=True,
            postgresql_where=text("state IN ('held', 'confirmed')"),
            sqlite_where=text("state IN ('held', 'confirmed')"),
        ),
        Index("ix_bookings_flight_state", "flight_id", "state"),
        Index("ix_bookings_state_hold_expires_at", "state", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[BookingState] = mapped_column(enum_column(BookingState), default=BookingState.HELD)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A card saved for charging the balance later, with the tourist's agreement.
    card_token: Mapped[str | None] = mapped_column(String(255))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    flight: Mapped[Flight] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship()
    events: Mapped[list["BookingEvent"]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )

    def hold_is_live(self, at: datetime | None = None) -> bool:
        return (
            self.state is BookingState.HELD
            and self.hold_expires_at is not None
            and self.hold_expires_at > (at or now_utc())
        )

    def holds_seat(self, at: datetime | None = None) -> bool:
        """Confirmed, or held and the hold not run out: the booking still asks things of its tourist."""
        return self.state is BookingState.CONFIRMED or self.hold_is_live(at)

    def __repr__(self) -> str:
        return f"<Booking {self.reference} {self.state.value}>"


class BookingEvent(db.Model):
    """Append-only history of a booking's state machine."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    from_state: Mapped[BookingState | None] = mapped_column(enum_column(BookingState))
    to_state: Mapped[BookingState] = mapped_column(enum_column(BookingState))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    booking: Mapped[Booking] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class WaitlistState(str, enum.Enum):
    WAITING = "waiting"      # in line
    OFFERED = "offered"      # a freed seat is held for them until the offer's hold expires
    BOOKED = "booked"        # took up the offer: the seat is theirs
    WITHDRAWN = "withdrawn"  # left the line, or released the offered seat
    LAPSED = "lapsed"        # did not take up the offer in time


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index(
            "uq_waitlist_live_per_user_flight", "flight_id", "user_id", unique=True,
            postgresql_where=text("state IN ('waiting', 'offered')"),
            sqlite_where=text("state IN ('waiting', 'offered')"),
        ),
        Index("ix_waitlist_flight_state_created", "flight_id", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[WaitlistState] = mapped_column(
        enum_column(WaitlistState), default=WaitlistState.WAITING
    )
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    flight: Mapped[Flight] = relationship()
    user: Mapped[User] = relationship()
    booking: Mapped[Booking | None] = relationship()
