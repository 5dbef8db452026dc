"""What a clearance must cover: the launch of every flight the tourist holds a seat on. The
pieces the questionnaire and the review share, so that neither needs the other."""

from __future__ import annotations

from datetime import date, datetime

from app.booking import bookings as booking_service
from app.messaging import reminders
from app.models import Booking, CaseState, Flight, MedicalCase
from app.timeutil import UTC

S = CaseState
CLEARED_STATES = (S.CLEARED, S.RESTRICTED)
#: Flights that will not fly any more: their bookings need no clearance.
ENDED = booking_service.ENDED


def launch_date(flight: Flight) -> date:
    """The day a clearance must still be valid on."""
    return launch_day(flight.launch_at)


def launch_day(launch_at: datetime) -> date:
    return launch_at.astimezone(UTC).date()


def live_bookings(user_id: int, now: datetime | None = None) -> list[Booking]:
    """The tourist's bookings that hold a seat on a flight still to fly, soonest launch first."""
    return booking_service.holding_seats(user_id, now)


def covers(case: MedicalCase | None, day: date) -> bool:
    """A clearance that holds on ``day``."""
    return (case is not None and case.state in CLEARED_STATES and case.valid_until is not None
            and case.valid_until >= day)


def sync_reminders(case: MedicalCase, now: datetime | None = None) -> None:
    """The case changed: re-plan its reminders and those of its tourist's bookings (a missing
    questionnaire, a clearance ending before launch, the self-certification)."""
    reminders.sync(case, now)
    for booking in live_bookings(case.user_id, now):
        reminders.sync(booking, now)
