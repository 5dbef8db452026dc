"""The reminders of travel: arrival details still missing 30 days before launch (or a day after a
later booking); a travel
document that expires before the return (90 days before launch, or at once when given later);
every change the coordinator makes to the itinerary (at once); a pick-up tomorrow (at 18:00 at the
pick-up place the day before)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.booking.reminder_rules import LIVE, booking_context
from app.extensions import db
from app.messaging.reminders import Rule, Subject, memo, register, register_subject
from app.models import Booking, ItineraryChange, Segment, SegmentKind, SegmentStatus, User
from app.timeutil import UTC
from app.travel import status
from app.travel.status import TravelStatus
from app.urls import external_url

ARRIVAL_DAYS = 30
DOCUMENT_DAYS = 90


def _status(booking: Booking) -> TravelStatus | None:
    if booking.state not in LIVE:
        return None
    return memo(("travel", booking.id), lambda: status.status_of(booking))


def _link(_obj) -> str:
    return external_url("travel.tourist.index")


def _arrival_missing(booking: Booking) -> bool:
    mine = _status(booking)
    return mine is not None and not mine.arrival_given


def _arrival_due(booking: Booking) -> datetime | None:
    """30 days before launch; for a seat taken later than that, a day after it was taken."""
    if not _arrival_missing(booking):
        return None
    return max(booking.flight.launch_at - timedelta(days=ARRIVAL_DAYS), booking.created_at + timedelta(days=1))


register(Rule(
    "travel_arrival_missing", "booking", "travel", "travel_arrival_missing",
    recipient=lambda b: b.user, when=_arrival_due,
    active=lambda b, stored: _arrival_missing(b), occurrence=lambda b: f"{b.flight.launch_at:%Y%m%d}",
    deadline=lambda b: b.flight.launch_at, context=booking_context, link=_link,
))


def _expiring(booking: Booking) -> bool:
    mine = _status(booking)
    return mine is not None and mine.document is not None and not mine.document_valid


def _document_due(booking: Booking) -> datetime | None:
    if not _expiring(booking):
        return None
    document = _status(booking).document
    return max(booking.flight.launch_at - timedelta(days=DOCUMENT_DAYS), document.updated_at + timedelta(minutes=10))


def _document_context(booking: Booking, stored: dict) -> dict:
    mine = _status(booking)
    return {**booking_context(booking, stored), "expires_on": mine.document.expires_on if mine and mine.document
            else None, "return_at": mine.return_at if mine else booking.flight.window_closes_at}


register(Rule(
    "travel_document_expiring", "booking", "travel", "travel_document_expiring",
    recipient=lambda b: b.user, when=_document_due, active=lambda b, stored: _expiring(b),
    # A new document (or a return that moved) is a new occurrence.
    occurrence=lambda b: f"{_status(b).document.expires_on:%Y%m%d}-{_status(b).return_at:%Y%m%d}" if _expiring(b) else "",
    deadline=lambda b: b.flight.launch_at, context=_document_context, link=_link,
))


def _change_context(booking: Booking, stored: dict) -> dict:
    change = db.session.get(ItineraryChange, stored.get("change_id") or 0)
    return {**booking_context(booking, stored), "change": change}


register(Rule(
    "itinerary_changed", "booking", "travel", "itinerary_changed",
    recipient=lambda b: b.user, active=lambda b, stored: b.state in LIVE, context=_change_context, link=_link,
))


def _segments_of_user(user: User) -> list[Segment]:
    return list(db.session.scalars(
        select(Segment).join(Booking, Booking.id == Segment.booking_id)
        .where(Booking.user_id == user.id, Booking.state.in_(LIVE), Segment.kind == SegmentKind.TRANSFER)))


register_subject(Subject("travel_segment", Segment, of_user=_segments_of_user))


def _pickup_at(segment: Segment) -> datetime | None:
    """18:00 at the pick-up place, the day before."""
    if segment.kind is not SegmentKind.TRANSFER or segment.status is SegmentStatus.CANCELLED:
        return None
    zone = ZoneInfo(segment.start_timezone)
    day = segment.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, time(18), tzinfo=zone).astimezone(UTC)


def _pickup_active(segment: Segment, stored: dict) -> bool:
    return (segment.kind is SegmentKind.TRANSFER and segment.status is not SegmentStatus.CANCELLED
            and segment.booking.state in LIVE)


register(Rule(
    "travel_pickup_tomorrow", "travel_segment", "travel", "travel_pickup_tomorrow",
    recipient=lambda s: s.booking.user, when=_pickup_at, active=_pickup_active,
    occurrence=lambda s: f"s{s.sequence}", deadline=lambda s: s.starts_at,
    context=lambda s, stored: {"segment": s, "booking": s.booking, "flight": s.booking.flight},
    link=_link,
))
