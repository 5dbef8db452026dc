"""The reminders of seat holds, the waiting list and flights, and the subjects they are about.

Dated rules (a hold about to expire) are planned by ``reminders.sync`` whenever their subject
changes. Rules without a date are sent at once through ``reminders.notify`` by the service where
the thing happens. Other domains add rules about the subjects registered here (a booking, a
flight), so this domain is loaded first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import labels
from app.extensions import db
from app.messaging.reminders import Rule, Subject, register, register_children, register_subject
from app.models import Booking, BookingState, Flight, FlightStatus, SlipCause, User
from app.timeutil import parse_iso
from app.urls import external_url

B = BookingState
LIVE = (B.HELD, B.CONFIRMED)


def _live_bookings_of_flight(flight: Flight) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.flight_id == flight.id, Booking.state.in_(LIVE))
    ))


def _live_bookings_of_user(user: User) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.user_id == user.id, Booking.state.in_(LIVE))
    ))


def _bookings_with_users(ids: list[int]) -> list[Booking]:
    """A batch of due reminders' bookings, with their tourists (and flights, always joined)."""
    return list(db.session.scalars(select(Booking).where(Booking.id.in_(ids)).options(joinedload(Booking.user))))


register_subject(Subject("booking", Booking, of_user=_live_bookings_of_user, load=_bookings_with_users))
register_subject(Subject("flight", Flight))
register_children("flight", _live_bookings_of_flight)


def booking_url(booking: Booking) -> str:
    return external_url("booking.tourist.detail", reference=booking.reference)


def booking_context(booking: Booking, _stored: dict) -> dict:
    return {"booking": booking, "flight": booking.flight}


# -- seat holds ------------------------------------------------------------------------------------

def _hold_reminder_at(booking: Booking) -> datetime | None:
    """5 minutes before a checkout hold runs out; 2 hours before a waiting-list offer (a hold of
    hours) does."""
    if booking.state is not B.HELD or booking.hold_expires_at is None:
        return None
    long_hold = booking.hold_expires_at - booking.created_at > timedelta(hours=3)
    return booking.hold_expires_at - (timedelta(hours=2) if long_hold else timedelta(minutes=5))


def _hold_live(booking: Booking, _stored: dict) -> bool:
    return booking.hold_is_live()


register(Rule(
    "hold_expiring", "booking", "bookings", "reminder_hold_expiring",
    recipient=lambda b: b.user, when=_hold_reminder_at, active=_hold_live,
    deadline=lambda b: b.hold_expires_at, context=booking_context, link=booking_url,
))

register(Rule(
    "waitlist_offer", "booking", "bookings", "waitlist_offer",
    recipient=lambda b: b.user, active=_hold_live, deadline=lambda b: b.hold_expires_at,
    context=booking_context, link=booking_url,
))


# -- flight updates: urgent, every channel, any hour ------------------------------------------------

def _flight_going(booking: Booking, _stored: dict) -> bool:
    return booking.state in LIVE and booking.flight.status is not FlightStatus.CANCELLED


def _flight_change_context(booking: Booking, stored: dict) -> dict:
    cause = stored.get("cause")
    return {
        **booking_context(booking, stored),
        "previous_launch_at": parse_iso(stored.get("previous_launch_at")),
        "launch_moved": bool(stored.get("previous_launch_at")),
        "cause": str(labels.SLIP_CAUSES[SlipCause(cause)]) if cause in SlipCause._value2member_map_ else "",
        "note": stored.get("note", ""),
    }


register(Rule(
    "flight_delayed", "booking", "flight_updates", "reminder_flight_delayed", urgent=True, resolvable=False,
    recipient=lambda b: b.user, active=_flight_going, context=_flight_change_context,
    link=booking_url,
))
register(Rule(
    "flight_scrubbed", "booking", "flight_updates", "reminder_flight_scrubbed", urgent=True, resolvable=False,
    recipient=lambda b: b.user, active=_flight_going, context=_flight_change_context,
    link=booking_url,
))
register(Rule(
    "flight_cancelled", "booking", "flight_updates", "reminder_flight_cancelled", urgent=True, resolvable=False,
    recipient=lambda b: b.user,
    active=lambda b, stored: b.state is B.CANCELLED and b.flight.status is FlightStatus.CANCELLED,
    context=lambda b, stored: {
        **booking_context(b, stored), "refund_minor": stored.get("refund_minor", 0),
        "currency": b.flight.currency,
    },
    link=booking_url,
))


