"""The reminder of consent: a new version of the risk disclosure that must be signed again."""

from __future__ import annotations

from app.booking.reminder_rules import LIVE, booking_context
from app.consent import consent
from app.messaging.reminders import Rule, register
from app.models import Booking
from app.urls import external_url


def _needs_resign(booking: Booking, _stored: dict) -> bool:
    return booking.state in LIVE and consent.statuses([booking])[booking.id].needs_resign


register(Rule(
    "consent_resign", "booking", "consent", "reminder_consent_resign",
    recipient=lambda b: b.user, active=_needs_resign,
    context=lambda b, stored: {**booking_context(b, stored), "version": stored.get("version")},
    link=lambda b: external_url("consent.tourist.sign", reference=b.reference),
))


