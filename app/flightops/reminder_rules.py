"""Flight operations' message: a launch-day update, to every tourist with a seat, at once, by SMS
and in the app (quiet hours ignored: it is happening now)."""

from __future__ import annotations

from app.booking.reminder_rules import LIVE, booking_context
from app.extensions import db
from app.flightops import labels
from app.messaging.reminders import Rule, register
from app.models import Booking, Channel, LaunchUpdate, UpdateKind
from app.timeutil import now_utc
from app.urls import external_url


def _context(booking: Booking, stored: dict) -> dict:
    update = db.session.get(LaunchUpdate, stored.get("update_id") or 0)
    if update is None:  # a message rendered without its update (a preview of every template)
        update = LaunchUpdate(kind=UpdateKind.OTHER, message="", created_at=now_utc())
    return {**booking_context(booking, stored), "update": update, "update_kind": str(labels.UPDATE_KINDS[update.kind])}


register(Rule(
    "launch_update", "booking", "flight_updates", "launch_update", urgent=True, resolvable=False,
    channels=frozenset({Channel.SMS, Channel.IN_APP}),
    recipient=lambda b: b.user, active=lambda b, stored: b.state in LIVE, context=_context,
    link=lambda b: external_url("journey.index"),
))


register(Rule(
    "flight_flown", "booking", "flight_updates", "flight_flown", urgent=False, resolvable=False,
    recipient=lambda b: b.user, active=lambda b, stored: b.state.value == "flown",
    context=lambda b, stored: {**booking_context(b, stored),
                               "certificate_url": external_url("flightops.after.certificate", reference=b.reference),
                               "survey_url": external_url("flightops.after.survey", reference=b.reference)},
    link=lambda b: external_url("flightops.after.survey", reference=b.reference),
))
