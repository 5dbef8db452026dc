"""The booking domain's share of a tourist's data: their bookings with their history, and their
places on waiting lists. On erasure a held seat is released and the waiting lists left; the
bookings themselves stay, without a name (they are the seats each flight sold), under the rule
"booking records". Other domains count their retention periods from a booking's end (below)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from app import personal_data
from app.booking import bookings
from app.errors import ServiceError
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import Booking, BookingState, Flight, GateOverride, Role, User, WaitlistEntry, WaitlistState
from app.personal_data import NOW, USER_ID, Consequence, Kept, Outcome, Part, Rule
from app.timeutil import now_utc

S = BookingState
ENDED = (S.FLOWN, S.CANCELLED, S.EXPIRED)
RULE = "booking_records"
#: What a free text about an erased tourist reads afterwards.
ERASED = "—"


def ended_before(cutoff: datetime):
    """A condition on ``Booking`` (joined with its ``Flight``): the booking ended (flown,
    cancelled or lapsed) and both its last change and its flight's launch are before ``cutoff``."""
    return and_(Booking.state.in_(ENDED), Booking.updated_at < cutoff, Flight.launch_at < cutoff)


def done_with(user_id_column, cutoff: datetime):
    """A condition on a column of user ids: the tourist has no booking that is live, or that ended
    on or after ``cutoff``. Data kept "until the last booking ended" may go."""
    return ~exists(select(Booking.id).join(Flight, Flight.id == Booking.flight_id).where(
        Booking.user_id == user_id_column,
        or_(Booking.state.not_in(ENDED), Booking.updated_at >= cutoff, Flight.launch_at >= cutoff)))


def flew(user: User, now: datetime | None = None) -> bool:
    """The tourist flew with us: a booking flown, or confirmed on a flight that has launched (not
    yet marked flown). What the law keeps of a participant is kept for them."""
    return bool(db.session.scalar(select(FLEW), {USER_ID.key: user.id, NOW.key: now or now_utc()}))


#: A booking's flight's launch, looked up by its key for each of the tourist's bookings: PostgreSQL
#: plans such a lookup a few times faster than a join of bookings and flights (a preview's facts
#: are planned on every call; the tourist has a few bookings to look up).
LAUNCH = select(Flight.launch_at).where(Flight.id == Booking.flight_id).scalar_subquery()

#: :func:`flew` as SQL, a fact previews ask (:attr:`app.personal_data.Part.facts`).
FLEW = exists().where(
    Booking.user_id == USER_ID,
    (Booking.state == S.FLOWN) | ((Booking.state == S.CONFIRMED) & (LAUNCH <= NOW)))


def _bookings(user: User) -> list[Booking]:
    return list(db.session.scalars(select(Booking).where(Booking.user_id == user.id)
                                   .options(selectinload(Booking.events)).order_by(Booking.id)))


def _export(user: User) -> dict:
    waiting = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.user_id == user.id)
                                 .order_by(WaitlistEntry.id))
    overrides: dict[int, list[GateOverride]] = {}
    for override in db.session.scalars(select(GateOverride).join(Booking, Booking.id == GateOverride.booking_id)
                                       .where(Booking.user_id == user.id).order_by(GateOverride.id)):
        overrides.setdefault(override.booking_id, []).append(override)
    return {
        "bookings": [{
            **personal_data.record(b, "reference", "state", "created_at", "updated_at", "hold_expires_at",
                                   "card_last4", "card_saved_at"),
            "flight": {"name": b.flight.name, "launch_at": personal_data.plain(b.flight.launch_at)},
            "events": [personal_data.record(e, "from_state", "to_state", "reason", "created_at") for e in b.events],
            "requirements_waived": [personal_data.record(o, "gate", "reason", "created_at", "withdrawn_at")
                                    for o in overrides.get(b.id, [])],
        } for b in _bookings(user)],
        "waiting_lists": [{**personal_data.record(w, "state", "created_at", "offered_at"),
                           "flight": w.flight.name} for w in waiting],
    }


FACTS = {
    "held": exists().where(Booking.user_id == USER_ID, Booking.state == S.HELD, Booking.hold_expires_at > NOW),
    "kept": exists().where(Booking.user_id == USER_ID, Booking.state != S.HELD),
}


def _preview(user: User, facts: dict) -> list[Consequence]:
    out = []
    if facts["held"]:  # the seats held now, by their flight's name and launch
        held = db.session.execute(
            select(Flight.name, Flight.launch_at).join(Booking, Booking.flight_id == Flight.id)
            .where(Booking.user_id == user.id, Booking.state == S.HELD, Booking.hold_expires_at > now_utc())
            .order_by(Booking.id))
        for flight, launch_at in held:
            out.append(Consequence(_("The seat held for you on %(flight)s (%(date)s) is released.",
                                     flight=flight, date=format_datetime(launch_at, "medium")), warning=True))
    if facts["kept"]:
        out.append(Consequence(_("Your bookings stay in our records without your name: they are the seats each "
                                 "flight sold."), rule=RULE))
    return out


def _erase(user: User, actor: User | None) -> Outcome:
    erased = 0
    for booking in _bookings(user):
        if booking.state is S.HELD:
            try:
                bookings.release_hold(booking, actor or user)
            except ServiceError:  # the hold ran out meanwhile
                pass
        if booking.card_token or booking.card_last4:
            booking.card_token = booking.card_last4 = booking.card_saved_at = None
            erased += 1
        for event in booking.events:
            if event.actor_id == user.id and event.reason:
                event.reason = ""
                erased += 1
    # An offered place is a held booking, released above.
    for entry in db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.user_id == user.id, WaitlistEntry.state == WaitlistState.WAITING)):
        bookings.leave_waitlist(entry)
        erased += 1
    # Which requirement operations waived, by whom and when, stays with the booking; their words
    # about the tourist go.
    erased += db.session.execute(update(GateOverride).where(
        GateOverride.booking_id.in_(select(Booking.id).where(Booking.user_id == user.id)),
        GateOverride.reason != ERASED).values(reason=ERASED)).rowcount
    kept = db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == user.id))
    waived = db.session.scalar(select(func.count()).select_from(GateOverride).join(
        Booking, Booking.id == GateOverride.booking_id).where(Booking.user_id == user.id))
    return Outcome(erased=erased, kept=[Kept(RULE, _l("bookings"), kept)] * bool(kept)
                   + [Kept(RULE, _l("requirements waived by operations"), waived)] * bool(waived))


personal_data.register_rule(Rule(
    RULE, _l("Booking records"),
    _l("The seats each flight sold, and when: kept without a name, so that the operator's figures and "
       "accounts stay right."),
    roles=(Role.OPERATIONS,),
    duration=_l("Without your name, for as long as the flight's records are kept"), position=40,
))
personal_data.register_part(Part("bookings", _l("Bookings"), position=20, erase_order=30,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
