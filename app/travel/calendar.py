"""The itinerary's segments in the tourist's private calendar feed (:mod:`app.calendars`): one
event per segment, in the zone of the place it starts at, cancelled ones marked so, with the
segment's sequence so that calendar apps take each change."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from icalendar import Event
from sqlalchemy import or_, select

from app import calendars
from app.extensions import db
from app.models import Booking, BookingState, Role, Segment, SegmentKind, SegmentStatus, User
from app.travel import itinerary, labels

#: A segment without an end shows as this long (a pick-up, an event with only a start).
DEFAULT_LENGTH = timedelta(hours=1)


def _summary(segment: Segment, language: str) -> str:
    with force_locale(language):
        kind = str(labels.KINDS[segment.kind])
    return f"{kind}: {itinerary.label(segment)}"


def event(segment: Segment, language: str, stamp: datetime) -> calendars.FeedEvent:
    ends = segment.ends_at or segment.starts_at + DEFAULT_LENGTH
    item = Event()
    item.add("uid", f"travel-segment-{segment.id}@{urlparse(current_app.config['BASE_URL']).hostname or 'countdown'}")
    item.add("sequence", segment.sequence)
    item.add("dtstamp", stamp)
    item.add("dtstart", segment.starts_at.astimezone(ZoneInfo(segment.start_timezone)))
    item.add("dtend", ends.astimezone(ZoneInfo(segment.end_timezone or segment.start_timezone)))
    item.add("summary", _summary(segment, language))
    where = segment.address if segment.kind is SegmentKind.HOTEL else segment.from_place
    if where:
        item.add("location", where)
    details = [segment.confirmation_code and f"#{segment.confirmation_code}", segment.vehicle, segment.phone]
    if any(details):
        item.add("description", " · ".join(d for d in details if d))
    item.add("status", "CANCELLED" if segment.status is SegmentStatus.CANCELLED else
             "CONFIRMED" if segment.status is SegmentStatus.CONFIRMED else "TENTATIVE")
    item.add("last-modified", segment.updated_at)
    return calendars.FeedEvent(item, segment.starts_at, ends)


@calendars.register
def segments_of(user: User, since: datetime) -> list[calendars.FeedEvent]:
    if user.role is not Role.TOURIST:
        return []
    stamp = datetime.now(tz=ZoneInfo("UTC"))
    segments = db.session.scalars(
        select(Segment).join(Booking, Booking.id == Segment.booking_id)
        .where(Booking.user_id == user.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]),
               or_(Segment.ends_at >= since, Segment.starts_at >= since))
        .order_by(Segment.starts_at, Segment.id))
    return [event(s, user.language, stamp) for s in segments]
