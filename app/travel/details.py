"""What the tourist gives: how they arrive for each booking, their emergency contacts (or a
recorded decline), companions coming to the launch, dietary and accessibility needs, and their
travel document. Each check says every problem at its field; nothing is saved when one fails."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import contains_eager

from app.booking.bookings import ENDED, taking_seat_clause
from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import reminders
from app.models import (
    AgeBand,
    Arrival,
    ArrivalMode,
    Booking,
    BookingState,
    Companion,
    EmergencyContact,
    Flight,
    ItineraryChange,
    Segment,
    Sex,
    TravelDocument,
    TravelDocumentType,
    TravelProfile,
    User,
)
from app.phones import parse_e164
from app.timeutil import UTC, now_utc

NAME_MAX = 120
RELATION_MAX = 60
NEEDS_MAX = 1000
CONTACTS_MAX = 5
COMPANIONS_MAX = 6
#: A flight number: the carrier's two-character code, then up to four digits (e.g. LH 2032, U2 8421).
FLIGHT_NUMBER = re.compile(r"^[A-Z0-9]{2}[A-Z]?\s?\d{1,4}[A-Z]?$")
#: A document number as printed: letters and digits (spaces and dashes are dropped).
DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIVE = (BookingState.HELD, BookingState.CONFIRMED)
#: Territory codes that are not countries issuing documents.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


@functools.cache
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-2 codes with their names in ``language``, sorted by name."""
    names = Locale.parse(language).territories
    return tuple(sorted(((code, name) for code, name in names.items()
                         if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES),
                        key=lambda item: item[1].casefold()))


def country_name(code: str, language: str) -> str:
    return dict(countries(language)).get(code, code)


def _is_country(code: str | None) -> bool:
    return bool(code) and code in dict(countries("en"))


# -- the profile: needs, and a declined contact ------------------------------------------------------

def profile_of(user: User) -> TravelProfile | None:
    return db.session.get(TravelProfile, user.id)


def _profile(user: User) -> TravelProfile:
    profile = profile_of(user)
    if profile is None:
        profile = TravelProfile(user_id=user.id)
        db.session.add(profile)
    return profile


def needs_problems(dietary: str | None, accessibility: str | None) -> list[ServiceError]:
    problems = Problems()
    for field, text in (("dietary", dietary), ("accessibility", accessibility)):
        if len(text or "") > NEEDS_MAX:
            problems.add(_("Write at most %(max)s characters.", max=NEEDS_MAX), field)
    return problems.errors


def save_needs(user: User, dietary: str, accessibility: str) -> TravelProfile:
    Problems(needs_problems(dietary, accessibility)).raise_any()
    profile = _profile(user)
    profile.dietary, profile.accessibility = (dietary or "").strip(), (accessibility or "").strip()
    db.session.flush()
    return profile


# -- emergency contacts ----------------------------------------------------------------------------------

@dataclass
class ContactData:
    name: str
    relation: str
    phone: str
    email: str = ""


def contacts_of(user_id: int) -> list[EmergencyContact]:
    return list(db.session.scalars(select(EmergencyContact).where(EmergencyContact.user_id == user_id)
                                   .order_by(EmergencyContact.id)))


def _person_problems(name: str | None, relation: str | None, no_name: str) -> Problems:
    """The checks a contact and a companion share: a name, and who they are to the tourist."""
    problems = Problems()
    if not (name or "").strip():
        problems.add(no_name, "name")
    elif len(name.strip()) > NAME_MAX:
        problems.add(_("A name has at most %(max)s characters.", max=NAME_MAX), "name")
    if not (relation or "").strip():
        problems.add(_("Say who they are to you (e.g. spouse, brother, friend)."), "relation")
    elif len(relation.strip()) > RELATION_MAX:
        problems.add(_("Write at most %(max)s characters.", max=RELATION_MAX), "relation")
    return problems


def contact_problems(data: ContactData) -> list[ServiceError]:
    problems = _person_problems(data.name, data.relation, _("Give the contact's name."))
    if data.phone is not None and parse_e164(data.phone) is None:
        problems.add(_("Give the phone number with its country code, e.g. +49 30 1234567."), "phone")
    email = (data.email or "").strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        problems.add(_("Enter a valid email address."), "email")
    return problems.errors


def add_contact(user: User, data: ContactData) -> EmergencyContact:
    Problems(contact_problems(data)).raise_any()
    if len(contacts_of(user.id)) >= CONTACTS_MAX:
        raise ServiceError(_("You can give at most %(max)s emergency contacts.", max=CONTACTS_MAX))
    contact = EmergencyContact(user_id=user.id, name=data.name.strip(), relation=data.relation.strip(),
                               phone=parse_e164(data.phone), email=(data.email or "").strip())
    db.session.add(contact)
    profile = profile_of(user)
    if profile is not None:
        profile.contacts_declined_at = None  # a contact given replaces a decline
    db.session.flush()
    return contact


def remove_contact(user: User, contact_id: int) -> None:
    contact = db.session.get(EmergencyContact, contact_id)
    if contact is None or contact.user_id != user.id:
        raise ServiceError(_("This contact is not on your list."))
    db.session.delete(contact)
    db.session.flush()


def decline_contacts(user: User) -> TravelProfile:
    """The tourist declines to give an emergency contact: recorded with its time, as airlines must.
    Refused while contacts are on file (remove them first)."""
    if contacts_of(user.id):
        raise ServiceError(_("Remove your emergency contacts first if you no longer want to give any."))
    profile = _profile(user)
    profile.contacts_declined_at = now_utc()
    db.session.flush()
    return profile


# -- the travel document ---------------------------------------------------------------------------------

@dataclass
class DocumentData:
    name_as_printed: str
    nationality: str
    document_type: str
    number: str
    issuing_country: str
    expires_on: date | None
    date_of_birth: date | None
    sex: str


def clean_number(number: str | None) -> str:
    return re.sub(r"[\s\-]", "", number or "").upper()


def document_of(user_id: int) -> TravelDocument | None:
    return db.session.get(TravelDocument, user_id)


def own_details(user_id: int) -> tuple[TravelDocument | None, TravelProfile | None, list[EmergencyContact]]:
    """:func:`document_of`, :func:`profile_of` and :func:`contacts_of` in one statement (the
    tourist's page reads all three, and a statement costs more than the few rows it reads): a row
    per contact (at most ``CONTACTS_MAX``), each with the document and the profile (the session
    keeps one of each), or one row without a contact."""
    rows = db.session.execute(
        select(TravelDocument, TravelProfile, EmergencyContact).select_from(User)
        .outerjoin(TravelDocument, TravelDocument.user_id == User.id)
        .outerjoin(TravelProfile, TravelProfile.user_id == User.id)
        .outerjoin(EmergencyContact, EmergencyContact.user_id == User.id)
        .where(User.id == user_id).order_by(EmergencyContact.id)).all()
    document, profile, _contact = rows[0]
    return document, profile, [contact for _d, _p, contact in rows if contact is not None]


def document_problems(data: DocumentData, today: date | None = None) -> list[ServiceError]:
    today = today or now_utc().date()
    problems = Problems()
    name = (data.name_as_printed or "").strip()
    if not name:
        problems.add(_("Give your name exactly as it is printed in the document."), "name_as_printed")
    elif len(name) > NAME_MAX:
        problems.add(_("A name has at most %(max)s characters.", max=NAME_MAX), "name_as_printed")
    if data.nationality is not None and not _is_country(data.nationality):
        problems.add(_("Choose a country from the list."), "nationality")
    if data.issuing_country is not None and not _is_country(data.issuing_country):
        problems.add(_("Choose a country from the list."), "issuing_country")
    if data.document_type not in {t.value for t in TravelDocumentType}:
        problems.add(_("Choose a kind of document from the list."), "document_type")
    if data.number is not None and not DOCUMENT_NUMBER.match(clean_number(data.number)):
        problems.add(_("Give the document number as printed: 5 to 20 letters and digits."), "number")
    if data.sex not in {s.value for s in Sex}:
        problems.add(_("Choose what the document says."), "sex")
    if data.expires_on is not None:
        if data.expires_on <= today:
            problems.add(_("This document has expired: give a valid one."), "expires_on")
        elif data.expires_on.year > today.year + 30:
            problems.add(_("Check the expiry date: it is more than 30 years away."), "expires_on")
    if data.date_of_birth is not None and not date(1900, 1, 1) <= data.date_of_birth < today:
        problems.add(_("Check the date of birth."), "date_of_birth")
    return problems.errors


def save_document(user: User, data: DocumentData) -> TravelDocument:
    problems = Problems(document_problems(data))
    if data.expires_on is None:
        problems.add(_("Give the expiry date."), "expires_on")
    if data.date_of_birth is None:
        problems.add(_("Give the date of birth."), "date_of_birth")
    problems.raise_any()
    document = document_of(user.id) or TravelDocument(user_id=user.id)
    document.name_as_printed = data.name_as_printed.strip()
    document.nationality, document.issuing_country = data.nationality, data.issuing_country
    document.document_type = TravelDocumentType(data.document_type)
    document.number = clean_number(data.number)
    document.expires_on, document.date_of_birth, document.sex = data.expires_on, data.date_of_birth, Sex(data.sex)
    document.updated_at = now_utc()
    db.session.add(document)
    db.session.flush()
    _replan(user)
    return document


def _replan(user: User) -> None:
    """The tourist's bookings' reminders follow what they gave (a document that expires before the
    return is reminded; arrival details given are no longer asked for)."""
    for booking in db.session.scalars(select(Booking).where(Booking.user_id == user.id,
                                                            Booking.state.in_(_LIVE))):
        reminders.sync(booking)


# -- how they arrive, and who comes with them --------------------------------------------------------

@dataclass
class ArrivalData:
    mode: str
    flight_number: str = ""
    airport: str = ""
    #: The local time of the airport, and its zone.
    arrives_local: datetime | None = None
    timezone: str = "UTC"


def arrival_of(booking_id: int) -> Arrival | None:
    return db.session.get(Arrival, booking_id)


def arrival_problems(booking: Booking, data: ArrivalData) -> list[ServiceError]:
    problems = Problems()
    if data.mode not in {m.value for m in ArrivalMode}:
        problems.add(_("Choose how you will arrive."), "mode")
        return problems.errors
    if data.mode == ArrivalMode.OPERATOR.value:
        return problems.errors
    number = (data.flight_number or "").strip().upper()
    if not number:
        problems.add(_("Give the number of the flight you arrive on, e.g. LH 2032."), "flight_number")
    elif not FLIGHT_NUMBER.match(number):
        problems.add(_("A flight number is the airline's code and the number, e.g. LH 2032."), "flight_number")
    if not (data.airport or "").strip():
        problems.add(_("Give the airport you arrive at."), "airport")
    elif len(data.airport.strip()) > 60:
        problems.add(_("Write at most %(max)s characters.", max=60), "airport")
    zone = _zone(data.timezone)
    if zone is None:
        problems.add(_("Choose a time zone from the list."), "timezone")
    if data.arrives_local is None:
        problems.add(_("Give the date and time your flight lands."), "arrives_local")
    elif not plausible(data.arrives_local):
        problems.add(_("Check the date."), "arrives_local")
    elif zone is not None:
        arrives = to_utc(data.arrives_local, data.timezone)
        if arrives is None:
            problems.add(_("This time does not exist there: the clocks skip it. Choose another."), "arrives_local")
        elif arrives >= booking.flight.launch_at:
            problems.add(_("You must arrive before the launch."), "arrives_local")
        elif arrives < now_utc():
            problems.add(_("This time has passed."), "arrives_local")
    return problems.errors


def _zone(name: str | None) -> ZoneInfo | None:
    return ZoneInfo(name) if name and name in _zones() else None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone(name: str | None) -> bool:
    return _zone(name) is not None


#: The years a travel time may be in (anything else is a typing mistake, and would not convert).
YEARS = (2000, 2100)


def plausible(local: datetime | None) -> bool:
    return local is not None and YEARS[0] <= local.year <= YEARS[1]


def to_utc(local: datetime, zone_name: str) -> datetime | None:
    """A wall-clock time in ``zone_name`` as UTC; None when the clocks skip it there (or the
    year is out of :data:`YEARS`)."""
    if not plausible(local):
        return None
    zone = ZoneInfo(zone_name)
    aware = local.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return aware.astimezone(UTC)


def _holds_seat(booking: Booking) -> None:
    if not booking.holds_seat():
        raise ServiceError(_("This booking no longer holds a seat: nothing to arrange for it."))


def save_arrival(booking: Booking, data: ArrivalData) -> Arrival:
    _holds_seat(booking)
    Problems(arrival_problems(booking, data)).raise_any()
    arrival = arrival_of(booking.id) or Arrival(booking_id=booking.id)
    arrival.mode = ArrivalMode(data.mode)
    if arrival.mode is ArrivalMode.OWN:
        arrival.flight_number = " ".join((data.flight_number or "").strip().upper().split())
        arrival.airport = data.airport.strip()
        arrival.timezone = data.timezone
        arrival.arrives_at = to_utc(data.arrives_local, data.timezone)
    else:
        arrival.flight_number, arrival.airport, arrival.arrives_at = "", "", None
    arrival.updated_at = now_utc()
    db.session.add(arrival)
    db.session.flush()
    reminders.sync(booking)
    return arrival


@dataclass
class CompanionData:
    name: str
    relation: str
    age_band: str
    #: Optional: their mobile number, for launch-day news by SMS ("" for none).
    phone: str | None = ""


def companions_of(booking_ids: list[int]) -> dict[int, list[Companion]]:
    result: dict[int, list[Companion]] = {b: [] for b in booking_ids}
    if booking_ids:
        for companion in db.session.scalars(select(Companion).where(Companion.booking_id.in_(booking_ids))
                                            .order_by(Companion.id)):
            result[companion.booking_id].append(companion)
    return result


@dataclass
class Trips:
    """The tourist's bookings that hold a seat (as ``bookings.holding_seats`` gives them, with their
    flight), with how they arrive for each, its itinerary and who comes with them."""
    bookings: list[Booking]
    arrivals: dict[int, Arrival]
    #: Each booking's segments in time order, cancelled ones included (``itinerary.segments_of``).
    segments: dict[int, list[Segment]]
    companions: dict[int, list[Companion]]
    #: The bookings whose itinerary the coordinator has changed (their changes are listed).
    changed: list[int]


@functools.cache
def _trips_statement():
    """``bookings.holding_seats``' statement with each booking's arrival and segments joined (a row
    per segment, one when there is none), and whether it has companions and itinerary changes
    (most have none): built once."""
    companions = exists().where(Companion.booking_id == Booking.id)
    changed = exists().where(ItineraryChange.booking_id == Booking.id)
    return (select(Booking, Arrival, Segment, companions, changed)
            .join(Booking.flight).options(contains_eager(Booking.flight))
            .outerjoin(Arrival, Arrival.booking_id == Booking.id)
            .outerjoin(Segment, Segment.booking_id == Booking.id)
            .where(Booking.user_id == bindparam("user_id"), taking_seat_clause(bindparam("now")),
                   Flight.status.notin_(ENDED))
            .order_by(Flight.launch_at, Booking.id, Segment.starts_at, Segment.id))


def trips(user_id: int, now: datetime | None = None) -> Trips:
    """The tourist's page's bookings with their arrivals (:func:`arrival_of`) and segments in one
    statement, and their companions (:func:`companions_of`) in a second only when a booking has
    any: the page read them in four, and a statement costs more than the few rows it reads. Which
    have changes says whether the page need read any."""
    result = Trips([], {}, {}, {}, [])
    accompanied = []
    for booking, arrival, segment, companions, changed in db.session.execute(
            _trips_statement(), {"user_id": user_id, "now": now or now_utc()}):
        if booking.id not in result.segments:
            result.bookings.append(booking)
            result.segments[booking.id] = []
            if arrival is not None:
                result.arrivals[booking.id] = arrival
            if companions:
                accompanied.append(booking.id)
            if changed:
                result.changed.append(booking.id)
        if segment is not None:
            result.segments[booking.id].append(segment)
    listed = companions_of(accompanied) if accompanied else {}
    result.companions = {b.id: listed.get(b.id, []) for b in result.bookings}
    return result


def companion_problems(data: CompanionData) -> list[ServiceError]:
    problems = _person_problems(data.name, data.relation, _("Give their name."))
    if data.age_band not in {a.value for a in AgeBand}:
        problems.add(_("Choose an age from the list."), "age_band")
    if data.phone and parse_e164(data.phone) is None:
        problems.add(_("Give the phone number with its country code, e.g. +49 30 1234567."), "phone")
    return problems.errors


def add_companion(booking: Booking, data: CompanionData) -> Companion:
    _holds_seat(booking)
    Problems(companion_problems(data)).raise_any()
    if len(companions_of([booking.id])[booking.id]) >= COMPANIONS_MAX:
        raise ServiceError(_("At most %(max)s companions can come to the launch with you.", max=COMPANIONS_MAX))
    companion = Companion(booking_id=booking.id, name=data.name.strip(), relation=data.relation.strip(),
                          age_band=AgeBand(data.age_band), phone=parse_e164(data.phone) if data.phone else None)
    db.session.add(companion)
    db.session.flush()
    return companion


def remove_companion(booking: Booking, companion_id: int) -> None:
    companion = db.session.get(Companion, companion_id)
    if companion is None or companion.booking_id != booking.id:
        raise ServiceError(_("This companion is not on your list."))
    db.session.delete(companion)
    db.session.flush()
