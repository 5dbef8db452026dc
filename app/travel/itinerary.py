"""The itinerary a coordinator builds for each booking: segments (flights, hotels, ground
transfers, launch-site events), each with a status and the supplier's confirmation code, and
flight-wide templates (the group transfer, the hotel block) that every tourist of the flight gets
and that stay editable per tourist. Every change is recorded for the tourist to read, and they
are told at once. When the launch moves, the segments that no longer fit are flagged, never
changed or cancelled on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Booking,
    BookingState,
    Flight,
    ItineraryChange,
    Segment,
    SegmentKind,
    SegmentStatus,
    SegmentTemplate,
    User,
)
from app.phones import parse_e164
from app.timeutil import now_utc
from app.travel.details import plausible, to_utc, valid_zone

K = SegmentKind
LIVE = (BookingState.HELD, BookingState.CONFIRMED)
#: What each kind needs (besides a start): the form shows these, the check requires them.
REQUIRED = {
    K.FLIGHT: ("carrier", "number", "from_place", "to_place", "ends"),
    K.HOTEL: ("title", "address", "ends"),
    K.TRANSFER: ("from_place",),
    K.EVENT: ("title",),
}
#: The fields a change can touch, compared to say what changed.
COMPARED = ("status", "confirmation_code", "title", "carrier", "number", "from_place", "to_place", "address",
            "vehicle", "phone", "starts_at", "start_timezone", "ends_at", "end_timezone", "notes")
#: Segments that start this close before the launch belong to launch day: they move with it. A
#: segment before the launch (an arrival, a briefing) keeps at least this much lead.
LAUNCH_DAY = timedelta(hours=12)


@dataclass
class SegmentData:
    kind: str
    status: str = SegmentStatus.PENDING.value
    confirmation_code: str = ""
    title: str = ""
    carrier: str = ""
    number: str = ""
    from_place: str = ""
    to_place: str = ""
    address: str = ""
    vehicle: str = ""
    phone: str = ""
    #: Wall-clock times at the place, and their zones (a flight lands in another zone).
    starts_local: datetime | None = None
    start_timezone: str = "UTC"
    ends_local: datetime | None = None
    end_timezone: str = ""
    notes: str = ""

    @classmethod
    def of(cls, segment: Segment | SegmentTemplate) -> SegmentData:
        """What a segment holds, as a form shows it."""
        end_zone = segment.end_timezone or segment.start_timezone
        return cls(
            kind=segment.kind.value, status=segment.status.value, confirmation_code=segment.confirmation_code,
            title=segment.title, carrier=segment.carrier, number=segment.number, from_place=segment.from_place,
            to_place=segment.to_place, address=segment.address, vehicle=segment.vehicle, phone=segment.phone,
            starts_local=segment.starts_at.astimezone(ZoneInfo(segment.start_timezone)).replace(tzinfo=None),
            start_timezone=segment.start_timezone,
            ends_local=segment.ends_at.astimezone(ZoneInfo(end_zone)).replace(tzinfo=None) if segment.ends_at else None,
            end_timezone=end_zone, notes=segment.notes,
        )


LIMITS = {"confirmation_code": 40, "title": 120, "carrier": 60, "number": 12, "from_place": 120, "to_place": 120,
          "address": 200, "vehicle": 80, "notes": 2000}


def segment_problems(data: SegmentData, flight: Flight | None = None) -> list[ServiceError]:
    problems = Problems()
    try:
        kind = SegmentKind(data.kind)
    except ValueError:
        problems.add(_("Choose a kind of segment from the list."), "kind")
        return problems.errors
    if data.status not in {s.value for s in SegmentStatus}:
        problems.add(_("Choose a status from the list."), "status")
    for name, limit in LIMITS.items():
        if len(getattr(data, name) or "") > limit:
            problems.add(_("Write at most %(max)s characters.", max=limit), name)
    needed = REQUIRED[kind]
    messages = {
        "carrier": _("Give the airline."), "number": _("Give the flight number."),
        "from_place": _("Give the pick-up place.") if kind is K.TRANSFER else _("Give the airport it leaves from."),
        "to_place": _("Give the airport it lands at."),
        "title": _("Give the hotel's name.") if kind is K.HOTEL else _("Say what it is (e.g. arrival briefing)."),
        "address": _("Give the hotel's address."),
        "ends": _("Give when it lands.") if kind is K.FLIGHT else _("Give the check-out date and time."),
    }
    for name in needed:
        if name == "ends":
            if data.ends_local is None:
                problems.add(messages["ends"], "ends_local")
        elif not (getattr(data, name) or "").strip():
            problems.add(messages[name], name)
    if (data.phone or "").strip() and parse_e164(data.phone) is None:
        problems.add(_("Give the phone number with its country code, e.g. +49 30 1234567."), "phone")
    if not valid_zone(data.start_timezone):
        problems.add(_("Choose a time zone from the list."), "start_timezone")
    end_zone = data.end_timezone or data.start_timezone
    if data.ends_local is not None and not valid_zone(end_zone):
        problems.add(_("Choose a time zone from the list."), "end_timezone")
    starts = ends = None
    if data.starts_local is None:
        problems.add(_("Give the date and time it starts."), "starts_local")
    elif not plausible(data.starts_local):
        problems.add(_("Check the date."), "starts_local")
    elif valid_zone(data.start_timezone):
        starts = to_utc(data.starts_local, data.start_timezone)
        if starts is None:
            problems.add(_("This time does not exist there: the clocks skip it. Choose another."), "starts_local")
    if data.ends_local is not None and not plausible(data.ends_local):
        problems.add(_("Check the date."), "ends_local")
    elif data.ends_local is not None and valid_zone(end_zone):
        ends = to_utc(data.ends_local, end_zone)
        if ends is None:
            problems.add(_("This time does not exist there: the clocks skip it. Choose another."), "ends_local")
    if starts and ends and ends <= starts:
        problems.add(_("It must end after it starts."), "ends_local")
    if starts and flight is not None and abs(starts - flight.launch_at) > timedelta(days=60):
        problems.add(_("This is more than 60 days from the launch: check the date."), "starts_local")
    return problems.errors


def _apply(target: Segment | SegmentTemplate, data: SegmentData) -> list[str]:
    """Write ``data`` into ``target``; the names of the fields that changed."""
    before = {name: getattr(target, name, None) for name in COMPARED}
    target.kind = SegmentKind(data.kind)
    target.status = SegmentStatus(data.status)
    for name in ("confirmation_code", "title", "carrier", "from_place", "to_place", "address", "vehicle", "notes"):
        setattr(target, name, (getattr(data, name) or "").strip())
    target.number = " ".join((data.number or "").upper().split())
    target.phone = parse_e164(data.phone) or "" if (data.phone or "").strip() else ""
    target.start_timezone = data.start_timezone
    target.starts_at = to_utc(data.starts_local, data.start_timezone)
    target.end_timezone = (data.end_timezone or data.start_timezone) if data.ends_local else data.start_timezone
    target.ends_at = to_utc(data.ends_local, target.end_timezone) if data.ends_local else None
    return [name for name in COMPARED if getattr(target, name) != before[name]]


def _copy(source: SegmentTemplate, target: Segment) -> list[str]:
    before = {name: getattr(target, name, None) for name in COMPARED}
    target.kind = source.kind
    for name in COMPARED:
        setattr(target, name, getattr(source, name))
    return [name for name in COMPARED if getattr(target, name) != before[name]]


def label(segment: Segment | SegmentTemplate) -> str:
    """How a segment is named in lists and in what the tourist reads about a change."""
    if segment.kind is K.FLIGHT:
        return f"{segment.number} {segment.from_place} → {segment.to_place}".strip()
    if segment.kind is K.TRANSFER:
        return f"{segment.from_place} → {segment.to_place}" if segment.to_place else segment.from_place
    return segment.title


# -- the tourist told of every change --------------------------------------------------------------

def _record(segment: Segment, kind: str, changed: list[str], actor: User | None) -> ItineraryChange:
    change = ItineraryChange(booking_id=segment.booking_id, segment_id=segment.id if kind != "removed" else None,
                             kind=kind, segment_kind=segment.kind, label=label(segment)[:200], fields=changed,
                             actor_id=actor.id if actor else None)
    db.session.add(change)
    db.session.flush()
    booking = segment.booking or db.session.get(Booking, segment.booking_id)
    reminders.notify("itinerary_changed", booking, occurrence=f"c{change.id}",
                     context={"change_id": change.id})
    if kind != "removed":
        reminders.sync(segment)  # the pick-up reminder follows the segment
    reminders.sync(booking)  # the return may have moved: the travel document's reminder follows
    return change


def changes_of(booking_ids: list[int], limit: int = 20) -> dict[int, list[ItineraryChange]]:
    result: dict[int, list[ItineraryChange]] = {b: [] for b in booking_ids}
    if booking_ids:
        query = (select(ItineraryChange).where(ItineraryChange.booking_id.in_(booking_ids))
                 .order_by(ItineraryChange.at.desc(), ItineraryChange.id.desc()))
        for change in db.session.scalars(query.limit(limit) if len(booking_ids) == 1 else query):
            if len(result[change.booking_id]) < limit:
                result[change.booking_id].append(change)
    return result


# -- segments ------------------------------------------------------------------------------------------

def segments_of(booking_ids: list[int]) -> dict[int, list[Segment]]:
    """Each booking's segments in time order (cancelled ones included)."""
    result: dict[int, list[Segment]] = {b: [] for b in booking_ids}
    if booking_ids:
        for segment in db.session.scalars(select(Segment).where(Segment.booking_id.in_(booking_ids))
                                          .order_by(Segment.starts_at, Segment.id)):
            result[segment.booking_id].append(segment)
    return result


def add_segment(booking: Booking, data: SegmentData, actor: User) -> Segment:
    Problems(segment_problems(data, booking.flight)).raise_any()
    if booking.state not in LIVE:
        raise ServiceError(_("This booking is no longer live: its itinerary cannot change."))
    segment = Segment(booking_id=booking.id, booking=booking)
    _apply(segment, data)
    segment.updated_at = now_utc()
    db.session.add(segment)
    db.session.flush()
    _record(segment, "added", [], actor)
    return segment


def update_segment(segment: Segment, data: SegmentData, actor: User) -> list[str]:
    """Change a segment; one made from a template is this tourist's own from now on. A flag
    (the launch moved) is cleared: the coordinator has looked at it."""
    Problems(segment_problems(data, segment.booking.flight)).raise_any()
    if data.kind != segment.kind.value:
        raise ServiceError(_("A segment keeps its kind: remove it and add another."), "kind")
    changed = _apply(segment, data)
    if not changed and not segment.flag:
        raise ServiceError(_("Nothing changed."))
    segment.flag = ""
    if changed:
        segment.customised = segment.template_id is not None or segment.customised
        segment.sequence += 1
        segment.updated_at = now_utc()
        kind = "cancelled" if "status" in changed and segment.status is SegmentStatus.CANCELLED else "changed"
        _record(segment, kind, changed, actor)
    db.session.flush()
    return changed


def keep_segment(segment: Segment) -> None:
    """The launch moved, and the coordinator says this segment still fits: the flag goes."""
    if not segment.flag:
        raise ServiceError(_("This segment is not flagged."))
    segment.flag = ""
    db.session.flush()


def remove_segment(segment: Segment, actor: User) -> None:
    _record(segment, "removed", [], actor)
    db.session.execute(ItineraryChange.__table__.update().where(ItineraryChange.segment_id == segment.id)
                       .values(segment_id=None))
    db.session.delete(segment)
    db.session.flush()


# -- flight-wide templates ------------------------------------------------------------------------------

def templates_of(flight_id: int) -> list[SegmentTemplate]:
    return list(db.session.scalars(select(SegmentTemplate).where(SegmentTemplate.flight_id == flight_id)
                                   .order_by(SegmentTemplate.starts_at, SegmentTemplate.id)))


def live_bookings(flight_id: int) -> list[Booking]:
    return [b for b in db.session.scalars(
        select(Booking).where(Booking.flight_id == flight_id, Booking.state.in_(LIVE))
        .options(selectinload(Booking.user), selectinload(Booking.flight)).order_by(Booking.id)) if b.holds_seat()]


def add_template(flight: Flight, data: SegmentData, actor: User) -> tuple[SegmentTemplate, int]:
    """A segment for every tourist of the flight; returns it and how many itineraries got it."""
    Problems(segment_problems(data, flight)).raise_any()
    template = SegmentTemplate(flight_id=flight.id)
    _apply(template, data)
    db.session.add(template)
    db.session.flush()
    return template, apply_template(template, actor)


def update_template(template: SegmentTemplate, data: SegmentData, actor: User) -> int:
    """Change the template; the itineraries that still follow it change with it (those changed
    for one tourist keep theirs). Returns how many changed."""
    Problems(segment_problems(data, template.flight)).raise_any()
    if data.kind != template.kind.value:
        raise ServiceError(_("A segment keeps its kind: remove it and add another."), "kind")
    if not _apply(template, data):
        raise ServiceError(_("Nothing changed."))
    template.updated_at = now_utc()
    db.session.flush()
    return apply_template(template, actor)


def apply_template(template: SegmentTemplate, actor: User | None, bookings: list[Booking] | None = None) -> int:
    """Give the template's segment to each live booking of its flight that lacks it, and bring
    the ones that follow it up to date. Returns how many itineraries changed."""
    # Under the flight's lock: two coordinators (or a booking confirmed meanwhile) give it once.
    db.session.execute(select(Flight.id).where(Flight.id == template.flight_id).with_for_update())
    bookings = live_bookings(template.flight_id) if bookings is None else bookings
    if not bookings:
        return 0
    existing = {s.booking_id: s for s in db.session.scalars(
        select(Segment).where(Segment.template_id == template.id, Segment.booking_id.in_([b.id for b in bookings])))}
    count = 0
    for booking in bookings:
        segment = existing.get(booking.id)
        if segment is None:
            segment = Segment(booking_id=booking.id, booking=booking, template_id=template.id)
            _copy(template, segment)
            segment.updated_at = now_utc()
            db.session.add(segment)
            db.session.flush()
            _record(segment, "added", [], actor)
            count += 1
        elif not segment.customised:
            changed = _copy(template, segment)
            if changed:
                segment.sequence += 1
                segment.updated_at = now_utc()
                segment.flag = ""
                _record(segment, "cancelled" if "status" in changed and segment.status is SegmentStatus.CANCELLED
                        else "changed", changed, actor)
                count += 1
    db.session.flush()
    return count


def remove_template(template: SegmentTemplate, actor: User) -> int:
    """Remove the template, and its segment from every itinerary that still follows it (those
    changed for one tourist stay, as their own). Returns how many itineraries changed."""
    count = 0
    for segment in list(db.session.scalars(select(Segment).where(Segment.template_id == template.id))):
        if segment.customised:
            segment.template_id = None
        else:
            remove_segment(segment, actor)
            count += 1
    db.session.flush()
    db.session.delete(template)
    db.session.flush()
    return count


# -- when it all happens, and what no longer fits --------------------------------------------------------

def return_at(flight: Flight, segments: list[Segment]) -> datetime:
    """When the tourist's trip ends: the end of their itinerary's last segment, or else the
    close of the launch window."""
    ends = [s.ends_at or s.starts_at for s in segments if s.status is not SegmentStatus.CANCELLED]
    return max(ends + [flight.window_closes_at])


def misfit(segment: Segment, previous_launch: datetime, launch: datetime) -> str:
    """Why ``segment``, planned around ``previous_launch``, does not fit a launch at ``launch``
    ('' when it does). A segment keeps its side of the launch: one before it (an inbound flight, a
    briefing) still ends at least :data:`LAUNCH_DAY` before, one over it (a hotel stay) still covers it, one
    after it (the return) still starts after it. One on launch day (starting within
    :data:`LAUNCH_DAY` before it: the transfer to the launch site) moves with the launch, and so
    does one after it when the launch moves by that much: either is flagged for the coordinator."""
    moved = launch - previous_launch
    if not moved:
        return ""
    ends = segment.ends_at or segment.starts_at
    if ends <= previous_launch:  # before the launch
        if segment.starts_at >= previous_launch - LAUNCH_DAY:
            return "not_on_launch_day"
        if ends >= launch:
            return "ends_after_launch"
        if ends > launch - LAUNCH_DAY:
            return "too_close_to_launch"
        return ""
    if segment.starts_at < previous_launch:  # over the launch (a hotel stay)
        return "" if segment.starts_at < launch < ends else "no_longer_spans"
    if segment.starts_at <= launch:
        return "starts_before_launch"
    return "later_than_planned" if abs(moved) >= LAUNCH_DAY else ""


def flag_moved(flight: Flight, previous_launch: datetime) -> list[Segment]:
    """The launch moved: flag each live segment of the flight's bookings that no longer fits,
    for the coordinator. Nothing is changed or cancelled; the tourist is told when the coordinator
    changes it. Returns the segments flagged."""
    segments = db.session.scalars(
        select(Segment).join(Booking, Booking.id == Segment.booking_id)
        .where(Booking.flight_id == flight.id, Booking.state.in_(LIVE), Segment.status != SegmentStatus.CANCELLED)
        .options(selectinload(Segment.booking).selectinload(Booking.user))
        .order_by(Segment.booking_id, Segment.starts_at))
    flagged = []
    for segment in segments:
        why = misfit(segment, previous_launch, flight.launch_at)
        if why:
            segment.flag = why
            flagged.append(segment)
    db.session.flush()
    return flagged
