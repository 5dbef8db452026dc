"""The reminders of training: a place booked (with the session in a calendar file), a session
tomorrow, a session moved or cancelled (at once, to every participant, with the new time), a place
offered from the waiting list, training still to book a week before its deadline, and passes that
run out before a launch that moved."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.booking.reminder_rules import LIVE, booking_context
from app.extensions import db
from app.messaging.reminders import Rule, Subject, memo, register, register_subject
from app.models import Booking, PlaceState, SessionPlace, SessionStatus, TrainingModule, User
from app.timeutil import now_utc, parse_iso
from app.training import calendar, places, progress
from app.urls import external_url

P = PlaceState


def _live_places_of_user(user: User) -> list[SessionPlace]:
    return list(db.session.scalars(
        select(SessionPlace).where(SessionPlace.user_id == user.id, SessionPlace.state.in_([P.BOOKED, P.OFFERED]))
    ))


register_subject(Subject("training_place", SessionPlace, of_user=_live_places_of_user))


def training_url(_obj=None) -> str:
    return external_url("training.tourist.index")


def _place_context(place: SessionPlace, stored: dict) -> dict:
    session = place.session
    return {
        "place": place, "session": session, "module_name": session.module.text(place.user.language),
        "previous_starts_at": parse_iso(stored.get("previous_starts_at")),
        "previous_place": stored.get("previous_place") or "", "reason": stored.get("reason") or "",
        "cutoff": places.cutoff(session),
    }


def _booked(place: SessionPlace, _stored: dict) -> bool:
    return place.state is P.BOOKED and place.session.status is SessionStatus.SCHEDULED


def _tomorrow_at(place: SessionPlace) -> datetime | None:
    """09:00 in the tourist's time zone, the day before the session's date there."""
    if place.state is not P.BOOKED or place.session.status is not SessionStatus.SCHEDULED:
        return None
    zone = ZoneInfo(place.user.timezone or "UTC")
    day = place.session.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _session_file(place: SessionPlace, _stored: dict) -> list[dict[str, str]]:
    """The session as a calendar file, so that one click puts it in the tourist's calendar (or, for
    a session moved or cancelled, updates the event the first file put there)."""
    session = place.session
    return [{
        "filename": "training-session.ics", "content_type": "text/calendar; method=PUBLISH",
        "content": calendar.session_ics(session, place.user.language, cancelled=session.cancelled).decode(),
    }]


register(Rule(
    "training_booked", "training_place", "training", "training_booked", resolvable=False,
    recipient=lambda p: p.user, active=_booked, context=_place_context, link=training_url,
    attachments=_session_file,
))
register(Rule(
    "training_session_tomorrow", "training_place", "training", "training_session_tomorrow",
    recipient=lambda p: p.user, when=_tomorrow_at, active=_booked, occurrence=lambda p: f"s{p.session.sequence}",
    deadline=lambda p: p.session.starts_at, context=_place_context, link=training_url,
))
register(Rule(
    "training_session_moved", "training_place", "training", "training_session_moved", resolvable=False,
    recipient=lambda p: p.user,
    active=lambda p, stored: p.state in (P.BOOKED, P.OFFERED) and p.session.status is SessionStatus.SCHEDULED,
    deadline=lambda p: p.session.starts_at, context=_place_context, link=training_url, attachments=_session_file,
))
register(Rule(
    "training_session_cancelled", "training_place", "training", "training_session_cancelled", resolvable=False,
    recipient=lambda p: p.user, active=lambda p, stored: p.session.status is SessionStatus.CANCELLED,
    context=_place_context, link=training_url, attachments=_session_file,
))
register(Rule(
    "training_place_offered", "training_place", "training", "training_place_offered",
    recipient=lambda p: p.user,
    active=lambda p, stored: p.state is P.OFFERED and p.offer_expires_at is not None
    and p.offer_expires_at > now_utc(),
    deadline=lambda p: p.offer_expires_at, context=_place_context, link=training_url,
))


# -- about a booking: training still to book, passes that run out before launch ------------------------

def _to_book(booking: Booking) -> list[progress.ModuleStatus]:
    """The modules the booking's tourist still has to book: worked out once per sync or prepare,
    though the deadline rule asks for them three times."""
    if booking.state not in LIVE:
        return []
    return memo(("training_to_book", booking.id),
                lambda: progress.progress_for([booking])[booking.id].to_book)


def _next_deadline(booking: Booking) -> datetime | None:
    due = [m.deadline for m in _to_book(booking) if m.deadline > now_utc()]
    return min(due) if due else None


def _deadline_reminder_at(booking: Booking) -> datetime | None:
    """A week before the earliest deadline of a module still to book."""
    due = _next_deadline(booking)
    return due - timedelta(days=7) if due else None


def _deadline_context(booking: Booking, stored: dict) -> dict:
    missing = [m for m in _to_book(booking) if m.deadline > now_utc()]
    language = booking.user.language
    return {**booking_context(booking, stored), "modules": [m.module.text(language) for m in missing],
            "deadline": min((m.deadline for m in missing), default=None)}


register(Rule(
    "training_deadline", "booking", "training", "training_deadline",
    recipient=lambda b: b.user, when=_deadline_reminder_at,
    # Each deadline is reminded once: the next one (or the same moved with the launch) again.
    occurrence=lambda b: (d := _next_deadline(b)) and d.strftime("%Y%m%d%H%M") or "",
    active=lambda b, stored: bool(_to_book(b)), context=_deadline_context, link=training_url,
))


def _expiring_context(booking: Booking, stored: dict) -> dict:
    modules = db.session.scalars(
        select(TrainingModule).where(TrainingModule.id.in_(stored.get("module_ids") or []))
    ).all()
    return {**booking_context(booking, stored), "modules": [m.text(booking.user.language) for m in modules]}


register(Rule(
    "training_pass_expires", "booking", "training", "training_pass_expires",
    recipient=lambda b: b.user, active=lambda b, stored: b.state in LIVE,
    context=_expiring_context, link=training_url,
))
