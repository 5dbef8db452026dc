"""Travel's share of a tourist's data: their travel document, emergency contacts, needs, arrivals,
companions and itinerary. Reading it for an export is written in the travel access log.

On erasure all of it is deleted; the flight manifests that listed the tourist are kept for
``manifests`` days, read by logistics and operations only. Retention deletes a tourist's travel
details ``travel_details`` days after their last booking ended, manifests ``manifests`` days
after they were made, and the access log ``travel_access_log`` days after each access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select, union, update

from app import personal_data
from app.booking.privacy import done_with, ended_before
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    Arrival,
    Booking,
    Companion,
    EmergencyContact,
    Flight,
    ItineraryChange,
    Manifest,
    OutboundMessage,
    Role,
    Segment,
    TravelAccess,
    TravelDocument,
    TravelProfile,
    User,
)
from app.personal_data import USER_ID, Consequence, Kept, Outcome, Part, Retention, Rule
from app.travel import access

MANIFESTS = "manifests"
LOG_RULE = "travel_access_log"
DETAILS = "travel_details"


def _booking_ids(user_id) -> object:
    return select(Booking.id).where(Booking.user_id == user_id)


def _export(user: User) -> dict:
    access.log_access(None, user.id, "export", "the tourist's data export")
    profile = db.session.get(TravelProfile, user.id)
    document = db.session.get(TravelDocument, user.id)
    contacts = db.session.scalars(select(EmergencyContact).where(EmergencyContact.user_id == user.id)
                                  .order_by(EmergencyContact.id))
    arrivals = db.session.execute(select(Arrival, Booking.reference).join(Booking, Booking.id == Arrival.booking_id)
                                  .where(Booking.user_id == user.id).order_by(Booking.id)).all()
    companions = db.session.execute(select(Companion, Booking.reference).join(Booking, Booking.id == Companion.booking_id)
                                    .where(Booking.user_id == user.id).order_by(Companion.id)).all()
    changes = db.session.execute(select(ItineraryChange, Booking.reference).join(
        Booking, Booking.id == ItineraryChange.booking_id).where(Booking.user_id == user.id)
        .order_by(ItineraryChange.id)).all()
    logged = db.session.scalars(select(TravelAccess).where(TravelAccess.subject_id == user.id).order_by(TravelAccess.id))
    segments = db.session.execute(select(Segment, Booking.reference).join(Booking, Booking.id == Segment.booking_id)
                                  .where(Booking.user_id == user.id).order_by(Segment.starts_at, Segment.id)).all()
    return {
        "needs": personal_data.record(profile, "dietary", "accessibility", "contacts_declined_at") if profile else None,
        "travel_document": personal_data.record(document, "name_as_printed", "nationality", "document_type", "number",
                                                "issuing_country", "expires_on", "date_of_birth", "sex")
        if document else None,
        "emergency_contacts": [personal_data.record(c, "name", "relation", "phone", "email") for c in contacts],
        "arrivals": [{"booking": ref, **personal_data.record(a, "mode", "flight_number", "airport", "arrives_at",
                                                             "timezone")} for a, ref in arrivals],
        "companions": [{"booking": ref, **personal_data.record(c, "name", "relation", "age_band", "phone")}
                       for c, ref in companions],
        "itinerary": [{"booking": ref, **personal_data.record(
            s, "kind", "status", "confirmation_code", "title", "carrier", "number", "from_place", "to_place", "address",
            "vehicle", "phone", "starts_at", "start_timezone", "ends_at", "end_timezone", "notes")}
            for s, ref in segments],
        "itinerary_changes": [{"booking": ref, **personal_data.record(c, "kind", "segment_kind", "label", "fields", "at")}
                              for c, ref in changes],
        "who_read_or_changed_it": [personal_data.record(a, "action", "what", "at") for a in logged],
    }


_BOOKINGS = _booking_ids(USER_ID)
#: SQL: the tourist has travel details (a profile, a document, contacts, companions, itinerary).
_DETAILS = (exists().where(TravelProfile.user_id == USER_ID) | exists().where(TravelDocument.user_id == USER_ID)
            | exists().where(EmergencyContact.user_id == USER_ID) | exists().where(Companion.booking_id.in_(_BOOKINGS))
            | exists().where(Segment.booking_id.in_(_BOOKINGS)))
#: SQL: manifests are encrypted snapshots: one names the tourist when it was made for a flight
#: they had a booking on.
_NAMING = Manifest.flight_id.in_(select(Booking.flight_id).where(Booking.user_id == USER_ID))
FACTS = {"details": _DETAILS, "manifests": exists().where(_NAMING)}


def _has_details(user: User) -> bool:
    return bool(db.session.scalar(select(_DETAILS), {USER_ID.key: user.id}))


def _manifests_naming(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Manifest).where(_NAMING), {USER_ID.key: user.id}) or 0


def _preview(user: User, facts: dict) -> list[Consequence]:
    out = []
    if facts["details"]:
        out.append(Consequence(_("Your travel document, emergency contacts, needs, companions and itinerary are "
                                 "deleted.")))
    if facts["manifests"]:
        out.append(Consequence(_("Flight manifests that listed you are kept for as long as the rules for manifests "
                                 "require; only logistics and operations can read them."), rule=MANIFESTS))
    return out


def _delete_for_bookings(bookings) -> int:
    """What a booking's travel holds: its itinerary and changes, companions and arrival."""
    segments = select(Segment.id).where(Segment.booking_id.in_(bookings))
    db.session.execute(update(ItineraryChange).where(ItineraryChange.segment_id.in_(segments)).values(segment_id=None))
    rows = 0
    for model, condition in ((ItineraryChange, ItineraryChange.booking_id.in_(bookings)),
                             (Segment, Segment.booking_id.in_(bookings)),
                             (Companion, Companion.booking_id.in_(bookings)),
                             (Arrival, Arrival.booking_id.in_(bookings))):
        rows += db.session.execute(delete(model).where(condition)).rowcount
    return rows


def _delete_for_people(user_ids) -> int:
    """What a tourist gave once for every trip: contacts, travel document, needs."""
    rows = 0
    for model, condition in ((EmergencyContact, EmergencyContact.user_id.in_(user_ids)),
                             (TravelDocument, TravelDocument.user_id.in_(user_ids)),
                             (TravelProfile, TravelProfile.user_id.in_(user_ids))):
        rows += db.session.execute(delete(model).where(condition)).rowcount
    return rows


def _forget_companion_messages(bookings) -> None:
    """SMS to a tourist's companions name the tourist: they go with the companions."""
    for companion_id in db.session.scalars(select(Companion.id).where(Companion.booking_id.in_(bookings))):
        db.session.execute(delete(OutboundMessage).where(OutboundMessage.user_id.is_(None),
                                                         OutboundMessage.key.like(f"companion_%:{companion_id}:%")))


def _erase(user: User, actor: User | None) -> Outcome:
    bookings = _booking_ids(user.id)
    if _has_details(user):
        access.log_access(None, user.id, "erase", "the tourist's travel data, erased on their request")
    _forget_companion_messages(bookings)
    erased = _delete_for_bookings(bookings) + _delete_for_people([user.id])
    db.session.expire_all()
    kept = []
    if manifests := _manifests_naming(user):
        kept.append(Kept(MANIFESTS, _l("flight manifests"), manifests))
    logged = db.session.scalar(select(func.count()).select_from(TravelAccess).where(TravelAccess.subject_id == user.id))
    if logged:
        kept.append(Kept(LOG_RULE, _l("travel access log entries"), logged))
    return Outcome(erased=erased, kept=kept)


def _apply_details(cutoff: datetime, limit: int) -> int:
    """A booking's travel goes once the booking ended before ``cutoff``; what the tourist gave for
    every trip once it was last changed before ``cutoff`` and their last booking ended before it
    (a tourist who gave their passport before booking keeps it)."""
    ended = list(db.session.scalars(
        select(Booking.id).join(Flight, Flight.id == Booking.flight_id).where(ended_before(cutoff)).where(
            exists().where(Segment.booking_id == Booking.id) | exists().where(Companion.booking_id == Booking.id)
            | exists().where(Arrival.booking_id == Booking.id)).order_by(Booking.id).limit(limit)))
    if ended:
        _forget_companion_messages(ended)
        return _delete_for_bookings(ended)
    people = list(db.session.scalars(union(
        select(TravelProfile.user_id).where(TravelProfile.updated_at < cutoff, done_with(TravelProfile.user_id, cutoff)),
        select(TravelDocument.user_id).where(TravelDocument.updated_at < cutoff,
                                             done_with(TravelDocument.user_id, cutoff)),
        select(EmergencyContact.user_id).where(EmergencyContact.created_at < cutoff,
                                               done_with(EmergencyContact.user_id, cutoff)),
    ).limit(limit)))
    for user_id in people:
        access.log_access(None, user_id, "erase", "travel data past its retention period")
    return _delete_for_people(people) if people else 0


personal_data.register_rule(Rule(
    MANIFESTS, _l("Flight manifests"),
    _l("The list of who was on board (49 USC 44909), as it was sent: kept for the period the rules for manifests "
       "set."),
    roles=(Role.LOGISTICS, Role.OPERATIONS), retention=MANIFESTS,
    position=60,
))
personal_data.register_rule(Rule(
    LOG_RULE, _l("Travel access log"),
    _l("Who looked at or changed travel documents and contacts, and when (no content): kept to prove they were "
       "protected."),
    roles=(Role.LOGISTICS, Role.OPERATIONS), retention=LOG_RULE,
    position=65,
))
personal_data.register_retention(Retention(
    DETAILS, _l("Travel documents, contacts, needs and itineraries"), _l("the tourist's last booking ended"),
    _l("Needed only to bring the tourist to the launch and home again."), default_days=180, apply=_apply_details,
    position=60,
))
personal_data.register_retention(Retention(
    MANIFESTS, _l("Flight manifests"), _l("the manifest was made"),
    _l("The rules for passenger manifests."), default_days=365,
    apply=personal_data.older_than(Manifest, Manifest.made_at), position=65,
))
personal_data.register_retention(Retention(
    LOG_RULE, _l("Travel access log"), _l("the access"),
    _l("Long enough to answer any question about who saw the documents."), default_days=2190,
    apply=personal_data.older_than(TravelAccess, TravelAccess.at),
    position=66,
))
personal_data.register_part(Part("travel", _l("Travel"), position=70,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
