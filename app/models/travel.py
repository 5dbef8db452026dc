"""Travel logistics: what a tourist gives (arrival, emergency contacts, companions, needs, travel
document), the itinerary a coordinator builds of segments (flights, hotels, ground transfers,
launch-site events), flight-wide templates of segments, manifests and the access log.

Personal data is kept like medical data: document numbers, contacts and free text are encrypted at
rest (:class:`app.crypto.EncryptedText`, rotated with the medical keys), and every view, change
and export of it writes a :class:`TravelAccess` row. Times are stored in UTC with the IANA time
zone of the place they happen at (a flight's departure and arrival each have their own).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedJSON, EncryptedText
from app.extensions import db
from app.models.accounts import User
from app.models.bookings import Booking
from app.models.flights import Flight
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class ArrivalMode(str, enum.Enum):
    OPERATOR = "operator"   # the operator arranges the journey to the spaceport
    OWN = "own"             # the tourist travels on their own, on the inbound flight they give


class AgeBand(str, enum.Enum):
    ADULT = "adult"         # 18 and over
    TEEN = "teen"           # 12 to 17
    CHILD = "child"         # 2 to 11
    INFANT = "infant"       # under 2


class TravelDocumentType(str, enum.Enum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    OTHER = "other"


class Sex(str, enum.Enum):
    """As printed in the travel document (ICAO 9303: F, M or X)."""
    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


class SegmentKind(str, enum.Enum):
    FLIGHT = "flight"
    HOTEL = "hotel"
    TRANSFER = "transfer"   # ground transfer
    EVENT = "event"         # at the launch site: arrival briefing, suit fitting, ...


class SegmentStatus(str, enum.Enum):
    """schema.org ``reservationStatus``."""
    PENDING = "pending"
    ON_HOLD = "on_hold"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class TravelProfile(db.Model):
    """What a tourist gives once for all their trips: needs, and a declined emergency contact."""

    __tablename__ = "travel_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    dietary: Mapped[str] = mapped_column(EncryptedText, default="")
    accessibility: Mapped[str] = mapped_column(EncryptedText, default="")
    #: The tourist declined to give an emergency contact (recorded, as airlines must).
    contacts_declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)


class EmergencyContact(db.Model):
    __tablename__ = "travel_emergency_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    relation: Mapped[str] = mapped_column(EncryptedText)
    phone: Mapped[str] = mapped_column(EncryptedText)       # E.164
    email: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class TravelDocument(db.Model):
    """The tourist's travel document, as printed in it. The number is encrypted."""

    __tablename__ = "travel_documents"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    name_as_printed: Mapped[str] = mapped_column(EncryptedText)
    nationality: Mapped[str] = mapped_column(String(2))          # ISO 3166-1 alpha-2
    document_type: Mapped[TravelDocumentType] = mapped_column(enum_column(TravelDocumentType))
    number: Mapped[str] = mapped_column(EncryptedText)
    issuing_country: Mapped[str] = mapped_column(String(2))
    expires_on: Mapped[date] = mapped_column(Date)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, 1))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)


class Arrival(db.Model):
    """How the tourist comes to a booking's launch: the operator arranges it, or they travel on
    their own and give their inbound flight and when it lands (local time of the airport)."""

    __tablename__ = "travel_arrivals"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    mode: Mapped[ArrivalMode] = mapped_column(enum_column(ArrivalMode))
    flight_number: Mapped[str] = mapped_column(String(12), default="")
    airport: Mapped[str] = mapped_column(String(60), default="")
    arrives_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)


class Companion(db.Model):
    """Someone coming to the launch with the tourist (not flying)."""

    __tablename__ = "travel_companions"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    relation: Mapped[str] = mapped_column(EncryptedText)
    age_band: Mapped[AgeBand] = mapped_column(enum_column(AgeBand))
    #: A mobile number in E.164 for news on launch day (a move, a scrub, each update) by SMS;
    #: None when the tourist gave none.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class SegmentFields:
    """What a segment and a flight-wide template of one have in common. Which fields a kind uses:
    a flight: carrier, number, from and to (airports), starts (departs) and ends (lands), each in
    its own zone; a hotel: title (its name), address, starts (check-in) and ends (check-out); a
    transfer: from (pick-up place), to, vehicle, phone (the driver's), starts (pick-up); an event:
    title, from (where), starts and ends."""

    kind: Mapped[SegmentKind] = mapped_column(enum_column(SegmentKind))
    status: Mapped[SegmentStatus] = mapped_column(enum_column(SegmentStatus), default=SegmentStatus.PENDING)
    confirmation_code: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    carrier: Mapped[str] = mapped_column(String(60), default="")
    number: Mapped[str] = mapped_column(String(12), default="")
    from_place: Mapped[str] = mapped_column(String(120), default="")
    to_place: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    vehicle: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    start_timezone: Mapped[str] = mapped_column(String(64))
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_timezone: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(EncryptedText, default="")


class SegmentTemplate(SegmentFields, db.Model):
    """A segment every tourist of a flight gets (the group transfer, the hotel block)."""

    __tablename__ = "travel_segment_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    flight: Mapped[Flight] = relationship()


class Segment(SegmentFields, db.Model):
    """A part of a tourist's itinerary for a booking. One made from a template follows it until
    the coordinator changes it for this tourist (``customised``). ``flag`` says why it no longer
    fits after the launch moved; it stays until the coordinator changes or confirms it."""

    __tablename__ = "travel_segments"
    __table_args__ = (
        Index("ix_travel_segments_starts_at", "starts_at"),
        # A flight-wide segment is given to a booking once.
        Index("uq_travel_segments_booking_template", "booking_id", "template_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("travel_segment_templates.id"), index=True)
    customised: Mapped[bool] = mapped_column(default=False)
    flag: Mapped[str] = mapped_column(String(300), default="")
    #: Raised on every change, for calendar clients (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    booking: Mapped[Booking] = relationship()
    template: Mapped[SegmentTemplate | None] = relationship()


class ItineraryChange(db.Model):
    """A change the coordinator made to a tourist's itinerary, as the tourist reads it: what
    (added, changed, cancelled, removed), which segment, which fields."""

    __tablename__ = "travel_itinerary_changes"
    __table_args__ = (Index("ix_travel_itinerary_changes_booking_at", "booking_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("travel_segments.id"))
    kind: Mapped[str] = mapped_column(String(16))         # added, changed, cancelled, removed
    segment_kind: Mapped[SegmentKind] = mapped_column(enum_column(SegmentKind))
    label: Mapped[str] = mapped_column(String(200))       # the segment as it was named then
    fields: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class Manifest(db.Model):
    """A flight's manifest, frozen when made: the rows as they were then (encrypted), a version
    per flight, and a SHA-256 of the rows for the record."""

    __tablename__ = "travel_manifests"
    __table_args__ = (UniqueConstraint("flight_id", "version", name="uq_travel_manifests_flight_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    version: Mapped[int]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON)
    row_count: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    flight: Mapped[Flight] = relationship()
    made_by: Mapped[User | None] = relationship()


class TravelAccess(db.Model):
    """Who viewed, changed or exported whose travel data, what, and when. Written by every route
    that shows or changes a travel document, contacts, needs or a manifest."""

    __tablename__ = "travel_access_log"
    __table_args__ = (Index("ix_travel_access_log_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The tourist whose data it was (none for a flight's manifest).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    flight_id: Mapped[int | None] = mapped_column(ForeignKey("flights.id"))
    action: Mapped[str] = mapped_column(String(16))   # view, change, export
    what: Mapped[str] = mapped_column(String(200))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
