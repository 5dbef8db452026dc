"""Training's share of a tourist's data: their places in sessions (attendance, results, sign-offs)
and their calendar address. On erasure, places still to come are given up (the next in line gets
them) and the calendar address stops working; the training of a tourist who flew is kept as the
14 CFR 460.51 evidence of their flight, and the rest is deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import selectinload

from app import personal_data
from app.booking.privacy import FLEW, ended_before, flew
from app.errors import ServiceError
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    Booking,
    CalendarFeed,
    Flight,
    PlaceState,
    Role,
    SessionPlace,
    TrainingEvent,
    TrainingSession,
    User,
)
from app.personal_data import NOW, USER_ID, Consequence, Kept, Outcome, Part, Retention, Rule
from app.training import places

RULE = "training_records"
#: A place still held (waiting, offered or booked).
LIVE = [state for state in PlaceState if state.live]


def _places(user: User) -> list[SessionPlace]:
    return list(db.session.scalars(select(SessionPlace).where(SessionPlace.user_id == user.id)
                                   .options(selectinload(SessionPlace.session).joinedload(TrainingSession.module))
                                   .order_by(SessionPlace.id)))


def _export(user: User) -> dict:
    feeds = db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id))
    return {
        "places": [{
            "module": p.session.module.text(user.language),
            "session": personal_data.record(p.session, "starts_at", "ends_at", "timezone", "place"),
            **personal_data.record(p, "state", "attendance", "result", "score", "note", "signed_off_at", "created_at"),
        } for p in _places(user)],
        "calendar_addresses": [personal_data.record(f, "created_at", "revoked_at") for f in feeds],
    }


FACTS = {
    # The session's start looked up by its key, not joined: cheaper for PostgreSQL to plan (a
    # preview's facts are planned on every call; see booking's LAUNCH).
    "coming": exists().where(SessionPlace.user_id == USER_ID, SessionPlace.state.in_(LIVE),
                             select(TrainingSession.starts_at).where(TrainingSession.id == SessionPlace.session_id)
                             .scalar_subquery() > NOW),
    "places": exists().where(SessionPlace.user_id == USER_ID),
    "flew": FLEW,
}


def _preview(user: User, facts: dict) -> list[Consequence]:
    found = facts["places"]
    out = []
    if facts["coming"]:
        out.append(Consequence(_("Your places in training sessions still to come are given up."), warning=True))
    if found and facts["flew"]:
        out.append(Consequence(_("Your training record is kept as the evidence of the training your flight "
                                 "required."), rule=RULE))
    elif found:
        out.append(Consequence(_("Your training record is deleted.")))
    return out


def _erase(user: User, actor: User | None) -> Outcome:
    found = _places(user)
    for place in found:
        if place.state.live:
            try:
                places.cancel_place(place, actor or user, why="erasure of the tourist's data", by_staff=True)
            except ServiceError:  # the session has started: the instructor records it
                pass
    erased = db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id)).rowcount
    if found and flew(user):
        return Outcome(erased=erased, kept=[Kept(RULE, _l("training places"), len(found))])
    ids = [p.id for p in found]
    if ids:
        erased += db.session.execute(delete(TrainingEvent).where(TrainingEvent.place_id.in_(ids))).rowcount
        erased += db.session.execute(delete(SessionPlace).where(SessionPlace.id.in_(ids))).rowcount
        db.session.expire_all()
    return Outcome(erased=erased)


def _apply(cutoff: datetime, limit: int) -> int:
    ended = select(Booking.id).join(Flight, Flight.id == Booking.flight_id).where(ended_before(cutoff))
    ids = list(db.session.scalars(select(SessionPlace.id).where(SessionPlace.booking_id.in_(ended))
                                  .order_by(SessionPlace.id).limit(limit)))
    if not ids:
        return 0
    db.session.execute(delete(TrainingEvent).where(TrainingEvent.place_id.in_(ids)))
    return db.session.execute(delete(SessionPlace).where(SessionPlace.id.in_(ids))).rowcount


personal_data.register_rule(Rule(
    RULE, _l("Training records"),
    _l("14 CFR 460.51: the training each participant who flew completed, with the instructors' sign-offs, is "
       "part of the flight's evidence."),
    roles=(Role.OPERATIONS, Role.INSTRUCTOR), retention=RULE,
    position=20,
))
personal_data.register_retention(Retention(
    RULE, _l("Training records"), _l("the booking ended (flown, or cancelled)"),
    _l("Kept as long as the evidence of consent: together they show the participant was prepared."),
    default_days=3650, apply=_apply, position=50,
))
personal_data.register_part(Part("training", _l("Training"), position=60,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
