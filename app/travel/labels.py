"""What the travel domain's messages, kinds and states are called, in the reader's language (see
:mod:`app.labels`)."""

from __future__ import annotations

from app.formats import when
from app.i18n import lazy_gettext as _l
from app.i18n import lazy_pgettext
from app.labels import register_message_kinds
from app.models import AgeBand, ArrivalMode, SegmentKind, SegmentStatus, Sex, TravelDocumentType
from app.travel.status import Missing

register_message_kinds({
    "travel_arrival_missing": lazy_pgettext("message kind", "Arrival details still missing"),
    "travel_document_expiring": lazy_pgettext("message kind", "Travel document expires before your return"),
    "itinerary_changed": lazy_pgettext("message kind", "Itinerary changed"),
    "travel_pickup_tomorrow": lazy_pgettext("message kind", "Pick-up tomorrow"),
    "companion_launch_moved": lazy_pgettext("message kind", "Launch moved (to a companion)"),
    "companion_launch_update": lazy_pgettext("message kind", "Launch-day update (to a companion)"),
})

ARRIVAL_MODES = {
    ArrivalMode.OPERATOR: _l("The operator arranges my journey to the spaceport"),
    ArrivalMode.OWN: _l("I travel on my own"),
}

AGE_BANDS = {
    AgeBand.ADULT: _l("Adult (18 or older)"),
    AgeBand.TEEN: _l("12 to 17 years"),
    AgeBand.CHILD: _l("2 to 11 years"),
    AgeBand.INFANT: _l("Under 2 years"),
}

DOCUMENT_TYPES = {
    TravelDocumentType.PASSPORT: _l("Passport"),
    TravelDocumentType.ID_CARD: _l("National identity card"),
    TravelDocumentType.OTHER: _l("Other travel document"),
}

SEXES = {Sex.FEMALE: _l("Female (F)"), Sex.MALE: _l("Male (M)"), Sex.UNSPECIFIED: _l("Unspecified (X)")}

KINDS = {
    SegmentKind.FLIGHT: lazy_pgettext("segment kind", "Flight"),
    SegmentKind.HOTEL: lazy_pgettext("segment kind", "Hotel"),
    SegmentKind.TRANSFER: lazy_pgettext("segment kind", "Ground transfer"),
    SegmentKind.EVENT: lazy_pgettext("segment kind", "At the launch site"),
}

STATUSES = {
    SegmentStatus.PENDING: lazy_pgettext("segment status", "Pending"),
    SegmentStatus.ON_HOLD: lazy_pgettext("segment status", "On hold"),
    SegmentStatus.CONFIRMED: lazy_pgettext("segment status", "Confirmed"),
    SegmentStatus.CANCELLED: lazy_pgettext("segment status", "Cancelled"),
}

#: Why a segment no longer fits after the launch moved.
FLAGS = {
    "ends_after_launch": _l("The launch moved: this now ends after the launch."),
    "not_on_launch_day": _l("The launch moved: this was on launch day and is not any more."),
    "no_longer_spans": _l("The launch moved: this stay no longer covers the launch."),
    "starts_before_launch": _l("The launch moved: this now starts before the launch."),
    "too_close_to_launch": _l("The launch moved: this now ends less than half a day before the launch."),
    "later_than_planned": _l("The launch moved: this is now a different time after the launch than planned."),
}

MISSING = {
    Missing.ARRIVAL: _l("Arrival details"),
    Missing.CONTACT: _l("Emergency contact"),
    Missing.DOCUMENT: _l("Travel document"),
    Missing.DOCUMENT_EXPIRES: _l("Travel document expires before the return"),
    Missing.ITINERARY: _l("Itinerary not started"),
    Missing.UNCONFIRMED: _l("Segments not confirmed"),
    Missing.FLAGGED: _l("Segments that no longer fit the launch"),
}

#: What changed in a segment, as the tourist reads it.
CHANGES = {"added": _l("added"), "changed": _l("changed"), "cancelled": _l("cancelled"), "removed": _l("removed")}
FIELDS = {
    "status": _l("status"), "confirmation_code": _l("confirmation code"), "title": _l("name"),
    "carrier": _l("airline"), "number": _l("flight number"), "from_place": _l("from"), "to_place": _l("to"),
    "address": _l("address"), "vehicle": _l("vehicle"), "phone": _l("phone"), "starts_at": _l("start time"),
    "start_timezone": _l("time zone"), "ends_at": _l("end time"), "end_timezone": _l("time zone"),
    "notes": _l("notes"),
}

#: A tourist's medical status as logistics see it: a status only, never a detail.
MEDICAL = {"cleared": _l("Cleared"), "not_yet": _l("Not yet cleared"), "not_cleared": _l("Not cleared")}


def segment_title(segment) -> str:
    """A segment in a line of plain text: its kind and what it is (a flight's number and airports,
    a hotel's or an event's name, a transfer's pick-up place) and when it starts, at its place."""
    kind = segment.kind
    if kind is SegmentKind.FLIGHT:
        what = f"{segment.carrier} {segment.number} {segment.from_place} → {segment.to_place}"
    elif kind is SegmentKind.TRANSFER:
        what = segment.from_place + (f" → {segment.to_place}" if segment.to_place else "")
    else:
        what = segment.title
    return f"{KINDS[kind]}: {' '.join(what.split())}, {when(segment.starts_at, 'medium', segment.start_timezone)}"
