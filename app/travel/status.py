"""Where each booking stands on travel, loaded for many bookings at once (a constant number of
queries): arrival details, an emergency contact (or a recorded decline), a travel document valid
through the return, and the itinerary's segments, all confirmed. The journey's gate, the
coordinator's day and the flight's list read it."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, not_, or_, select
from sqlalchemy.orm import defer

from app.extensions import db
from app.models import (
    Arrival,
    ArrivalMode,
    Booking,
    EmergencyContact,
    Flight,
    Segment,
    SegmentStatus,
    TravelDocument,
    TravelProfile,
)
from app.models.types import utc_date
from app.travel import itinerary


class Missing(str, enum.Enum):
    """What keeps a booking's travel from being confirmed, in the order it is listed."""
    ARRIVAL = "arrival"               # the tourist has not said how they arrive
    CONTACT = "contact"               # no emergency contact, and no recorded decline
    DOCUMENT = "document"             # no travel document
    DOCUMENT_EXPIRES = "document_expires"  # it expires before the return
    ITINERARY = "itinerary"           # no segment yet
    UNCONFIRMED = "unconfirmed"       # a segment is pending or on hold
    FLAGGED = "flagged"               # a segment no longer fits the launch date


#: What the tourist does; the rest is the coordinator's work.
TOURIST_PARTS = (Missing.ARRIVAL, Missing.CONTACT, Missing.DOCUMENT, Missing.DOCUMENT_EXPIRES)


@dataclass
class TravelStatus:
    booking: Booking
    arrival: Arrival | None
    contacts: int
    declined: bool
    document: TravelDocument | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def live_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.status is not SegmentStatus.CANCELLED]

    @property
    def return_at(self) -> datetime:
        return itinerary.return_at(self.booking.flight, self.segments)

    @property
    def document_valid(self) -> bool:
        return self.document is not None and self.document.expires_on >= self.return_at.date()

    @property
    def arrival_given(self) -> bool:
        """Given, and (travelling on their own) landing before the launch, which may have moved."""
        return self.arrival is not None and (self.arrival.mode is ArrivalMode.OPERATOR or (
            self.arrival.arrives_at is not None and self.arrival.arrives_at < self.booking.flight.launch_at))

    @property
    def arrival_too_late(self) -> bool:
        return (self.arrival is not None and self.arrival.arrives_at is not None
                and self.arrival.arrives_at >= self.booking.flight.launch_at)

    @property
    def contact_given(self) -> bool:
        return self.contacts > 0 or self.declined

    @property
    def unconfirmed(self) -> list[Segment]:
        return [s for s in self.live_segments if s.status is not SegmentStatus.CONFIRMED]

    @property
    def flagged(self) -> list[Segment]:
        return [s for s in self.live_segments if s.flag]

    @property
    def missing(self) -> list[Missing]:
        out = []
        if not self.arrival_given:
            out.append(Missing.ARRIVAL)
        if not self.contact_given:
            out.append(Missing.CONTACT)
        if self.document is None:
            out.append(Missing.DOCUMENT)
        elif not self.document_valid:
            out.append(Missing.DOCUMENT_EXPIRES)
        if not self.live_segments:
            out.append(Missing.ITINERARY)
        elif self.unconfirmed:
            out.append(Missing.UNCONFIRMED)
        if self.flagged:
            out.append(Missing.FLAGGED)
        return out

    @property
    def tourist_missing(self) -> list[Missing]:
        return [m for m in self.missing if m in TOURIST_PARTS]

    @property
    def confirmed(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Known:
    """What a page has read already of the one tourist whose bookings it asks about."""
    user_id: int
    document: TravelDocument | None
    profile: TravelProfile | None
    contacts: int
    #: The bookings' arrivals and segments (``itinerary.segments_of``), when the page has read
    #: them (``None``: not read).
    arrivals: dict[int, Arrival] | None = None
    segments: dict[int, list[Segment]] | None = None


def statuses(bookings: list[Booking], known: Known | None = None) -> dict[int, TravelStatus]:
    """Each booking's travel status: five queries whatever the number of bookings (two when the
    page has read the tourist's document, profile and contacts already: ``known``; none when it has
    read the arrivals and segments too)."""
    if not bookings:
        return {}
    booking_ids = [b.id for b in bookings]
    user_ids = list({b.user_id for b in bookings})
    if known is not None and known.arrivals is not None:
        arrivals = known.arrivals
    else:
        arrivals = {a.booking_id: a for a in db.session.scalars(
            select(Arrival).where(Arrival.booking_id.in_(booking_ids)))}
    if known is not None and user_ids == [known.user_id]:
        contacts = {known.user_id: known.contacts}
        declined = {known.user_id} if known.profile is not None and known.profile.contacts_declined_at else set()
        documents = {known.user_id: known.document} if known.document is not None else {}
    else:
        contacts = dict(db.session.execute(
            select(EmergencyContact.user_id, func.count(EmergencyContact.id))
            .where(EmergencyContact.user_id.in_(user_ids)).group_by(EmergencyContact.user_id)).all())
        declined = set(db.session.scalars(select(TravelProfile.user_id).where(
            TravelProfile.user_id.in_(user_ids), TravelProfile.contacts_declined_at.is_not(None))))
        # The status needs the expiry only: the encrypted name and number are read when shown.
        documents = {d.user_id: d for d in db.session.scalars(
            select(TravelDocument).where(TravelDocument.user_id.in_(user_ids))
            .options(defer(TravelDocument.name_as_printed), defer(TravelDocument.number)))}
    if known is not None and known.segments is not None:
        segments = known.segments
    else:
        segments = itinerary.segments_of(booking_ids)
    return {b.id: TravelStatus(b, arrivals.get(b.id), contacts.get(b.user_id, 0), b.user_id in declined,
                               documents.get(b.user_id), segments[b.id]) for b in bookings}


def status_of(booking: Booking) -> TravelStatus:
    return statuses([booking])[booking.id]



# -- the same, in SQL ----------------------------------------------------------------------------------
# For lists over many bookings (the coordinator's day, the flights' counts), which filter and count in
# the database instead of loading every booking's status. Each clause is about ``Booking`` joined to
# its ``Flight``, and says exactly what the properties above say (tests/travel compare the two).

def tourist_parts() -> dict[Missing, object]:
    """SQL, per booking: whether each part the tourist gives is done (true) or still owed, keyed by
    what :attr:`TravelStatus.tourist_missing` lists when it is not (a document that exists but
    expires before the return is ``DOCUMENT_EXPIRES``)."""
    arrival = exists().where(Arrival.booking_id == Booking.id, or_(
        Arrival.mode == ArrivalMode.OPERATOR,
        and_(Arrival.arrives_at.is_not(None), Arrival.arrives_at < Flight.launch_at)))
    contact = or_(exists().where(EmergencyContact.user_id == Booking.user_id),
                  exists().where(TravelProfile.user_id == Booking.user_id,
                                 TravelProfile.contacts_declined_at.is_not(None)))
    document = exists().where(TravelDocument.user_id == Booking.user_id)
    # :attr:`TravelStatus.document_valid`: the document lasts through the return's day, the later of
    # the window's close and the last live segment's end. Said as "through the close, and no live
    # segment ends after it" (a day is a moment's UTC date, which keeps their order): one lookup of
    # the booking's segments, where the latest end, compared, was looked up twice.
    outlived = (exists().where(Segment.booking_id == Booking.id, Segment.status != SegmentStatus.CANCELLED,
                               utc_date(func.coalesce(Segment.ends_at, Segment.starts_at)) > TravelDocument.expires_on)
                .correlate(Booking, TravelDocument))
    valid = exists().where(TravelDocument.user_id == Booking.user_id,
                           TravelDocument.expires_on >= utc_date(Flight.window_closes_at), ~outlived
                           ).correlate(Booking, Flight)
    return {Missing.ARRIVAL: arrival, Missing.CONTACT: contact, Missing.DOCUMENT: document,
            Missing.DOCUMENT_EXPIRES: valid}


def tourist_missing(done: dict[Missing, bool]) -> list[Missing]:
    """:attr:`TravelStatus.tourist_missing` from the values of :func:`tourist_parts`."""
    if not done[Missing.DOCUMENT]:
        done = {**done, Missing.DOCUMENT_EXPIRES: True}  # no document: "document" says it, not "expires"
    return [part for part in TOURIST_PARTS if not done[part]]


def tourist_done_clause():
    """SQL: the booking's tourist owes nothing (:attr:`TravelStatus.tourist_missing` is empty)."""
    parts = tourist_parts()
    return and_(parts[Missing.ARRIVAL], parts[Missing.CONTACT], parts[Missing.DOCUMENT_EXPIRES])


def tourist_owes_clause():
    """SQL: the booking's tourist still owes arrival details, a contact or a valid document."""
    return not_(tourist_done_clause())


def confirmed_clause():
    """SQL: :attr:`TravelStatus.confirmed`: nothing missing, the itinerary all confirmed and fitting."""
    live = and_(Segment.booking_id == Booking.id, Segment.status != SegmentStatus.CANCELLED)
    return and_(tourist_done_clause(), exists().where(live), ~exists().where(
        live, or_(Segment.status != SegmentStatus.CONFIRMED, Segment.flag != "")))


@dataclass
class Summary:
    """What the journey's gate says of a booking's travel, without its rows: what the tourist still
    owes, and how many live segments there are, not confirmed yet, and flagged."""
    tourist_missing: list[Missing]
    live: int
    unconfirmed: int
    flagged: int

    @property
    def confirmed(self) -> bool:
        """:attr:`TravelStatus.confirmed`."""
        return not self.tourist_missing and self.live > 0 and not self.unconfirmed and not self.flagged


@functools.cache
def _summaries_statement():
    """Built once: building it takes longer than running it."""
    parts = tourist_parts()
    live = and_(Segment.booking_id == Booking.id, Segment.status != SegmentStatus.CANCELLED)

    def count(*where):
        return select(func.count(Segment.id)).where(live, *where).correlate(Booking).scalar_subquery()

    return (select(Booking.id, count(), count(Segment.status != SegmentStatus.CONFIRMED), count(Segment.flag != ""),
                   *parts.values())
            .select_from(Booking).join(Flight, Flight.id == Booking.flight_id)
            .where(Booking.id.in_(bindparam("ids", expanding=True)))), list(parts)


def summary_facts() -> dict[object, object]:
    """:func:`summaries`' columns (the same SQL), named, per booking over ``bookings`` joined to
    ``flights``: for the readiness engine's one statement of facts; read back with :func:`summary_of`."""
    statement, parts = _summaries_statement()
    return dict(zip(("live", "unconfirmed", "flagged", *parts), list(statement.selected_columns)[1:]))


def summary_of(facts: dict) -> Summary:
    """A booking's :class:`Summary` from the values of :func:`summary_facts`."""
    _statement, parts = _summaries_statement()
    return Summary(tourist_missing({part: facts[part] for part in parts}), facts["live"], facts["unconfirmed"],
                   facts["flagged"])


def summaries(bookings: list[Booking]) -> dict[int, Summary]:
    """Each booking's :class:`Summary`: one query whatever the number of bookings."""
    if not bookings:
        return {}
    statement, parts = _summaries_statement()
    rows = db.session.execute(statement, {"ids": [b.id for b in bookings]})
    return {row[0]: Summary(tourist_missing(dict(zip(parts, row[4:]))), row[1], row[2], row[3]) for row in rows}
