"""Travel's share of a tourist's data: their travel document, emergency contacts, needs, arrivals,
companions and itinerary. Reading it for an export is written in the travel access log.

On erasure all of it is deleted; the flight manifests that listed the tourist are kept for
``manifests`` days, read by logistics and operations only. Retention deletes a tourist's travel
details ``travel_details`` days after their last booking ended, manifests ``manifests`` days
after they were made, and the access log ``travel_access_log`` days after each access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, union, update

from app import personal_data
from app.booking.privacy import done_with
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    Arrival,
    Booking,
    Companion,
    EmergencyContact,
    ItineraryChange,
    Manifest,
    Role,
    Segment,
    TravelAccess,
    TravelDocument,
    TravelProfile,
    User,
)
from app.personal_data import Consequence, Kept, Outcome, Part, Retention, Rule
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
    }


def _has_details(user: User) -> bool:
    return any(db.session.scalar(select(func.count()).select_from(model).where(condition))
               for model, condition in ((TravelProfile, TravelProfile.user_id == user.id),
                                        (TravelDocument, TravelDocument.user_id == user.id),
                                        (EmergencyContact, EmergencyContact.user_id == user.id),
                                        (Companion, Companion.booking_id.in_(_booking_ids(user.id))),
                                        (Segment, Segment.booking_id.in_(_booking_ids(user.id)))))


def _manifests_naming(user: User) -> int:
    """Manifests are encrypted snapshots: one names the tourist when it was made for a flight
    they had a booking on."""
    return db.session.scalar(select(func.count()).select_from(Manifest).where(
        Manifest.flight_id.in_(select(Booking.flight_id).where(Booking.user_id == user.id)))) or 0


def _preview(user: User) -> list[Consequence]:
    out = []
    if _has_details(user):
        out.append(Consequence(_("Your travel document, emergency contacts, needs, companions and itinerary are "
                                 "deleted.")))
    if _manifests_naming(user):
        out.append(Consequence(_("Flight manifests that listed you are kept for as long as the rules for manifests "
                                 "require; only logistics and operations can read them."), rule=MANIFESTS))
    return out


def _delete_details(user_ids) -> int:
    bookings = select(Booking.id).where(Booking.user_id.in_(user_ids))
    rows = 0
    segments = select(Segment.id).where(Segment.booking_id.in_(bookings))
    db.session.execute(update(ItineraryChange).where(ItineraryChange.segment_id.in_(segments)).values(segment_id=None))
    for model, condition in (
            (ItineraryChange, ItineraryChange.booking_id.in_(bookings)),
            (Segment, Segment.booking_id.in_(bookings)),
            (Companion, Companion.booking_id.in_(bookings)),
            (Arrival, Arrival.booking_id.in_(bookings)),
            (EmergencyContact, EmergencyContact.user_id.in_(user_ids)),
            (TravelDocument, TravelDocument.user_id.in_(user_ids)),
            (TravelProfile, TravelProfile.user_id.in_(user_ids))):
        rows += db.session.execute(delete(model).where(condition)).rowcount
    return rows


def _erase(user: User, actor: User | None) -> Outcome:
    erased = _delete_details([user.id])
    db.session.expire_all()
    kept = []
    if manifests := _manifests_naming(user):
        kept.append(Kept(MANIFESTS, "flight manifests", manifests))
    logged = db.session.scalar(select(func.count()).select_from(TravelAccess).where(TravelAccess.subject_id == user.id))
    if logged:
        kept.append(Kept(LOG_RULE, "travel access log entries", logged))
    return Outcome(erased=erased, kept=kept)


def _apply_details(cutoff: datetime, limit: int) -> int:
    people = list(db.session.scalars(union(
        select(TravelProfile.user_id).where(done_with(TravelProfile.user_id, cutoff)),
        select(TravelDocument.user_id).where(done_with(TravelDocument.user_id, cutoff)),
        select(EmergencyContact.user_id).where(done_with(EmergencyContact.user_id, cutoff)),
    ).limit(limit)))
    return _delete_details(people) if people else 0


def _apply_manifests(cutoff: datetime, limit: int) -> int:
    ids = select(Manifest.id).where(Manifest.made_at < cutoff).order_by(Manifest.id).limit(limit)
    return db.session.execute(delete(Manifest).where(Manifest.id.in_(ids.scalar_subquery()))).rowcount


def _apply_log(cutoff: datetime, limit: int) -> int:
    ids = select(TravelAccess.id).where(TravelAccess.at < cutoff).order_by(TravelAccess.id).limit(limit)
    return db.session.execute(delete(TravelAccess).where(TravelAccess.id.in_(ids.scalar_subquery()))).rowcount


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
    _l("The rules for passenger manifests."), default_days=365, apply=_apply_manifests, position=65,
))
personal_data.register_retention(Retention(
    LOG_RULE, _l("Travel access log"), _l("the access"),
    _l("Long enough to answer any question about who saw the documents."), default_days=2190, apply=_apply_log,
    position=66,
))
personal_data.register_part(Part("travel", _l("Travel"), position=70,
                                 export=_export, preview=_preview, erase=_erase))
