"""The reminders of the medical assessment, in the preferences category "medical".

None of them says anything medical: each asks the tourist to open their medical page.

- ``medical_questionnaire_missing`` (a confirmed booking): 120 days before launch, or 7 days after
  booking when that is later (someone who books late gets a week first), never later than the day
  before launch; while the tourist has no submitted questionnaire (no case, or one still being
  answered).
- ``medical_info_requested`` (a case): at once, when medical staff ask for more information;
  dropped if the tourist answers before it goes out.
- ``medical_clearance_expiring`` (a confirmed booking): 30 days before launch, or at the decision
  when that is later; while the clearance ends before the launch date.
- ``medical_self_certification`` (a confirmed booking): ``SELF_CERTIFICATION_DAYS`` before launch;
  while the clearance covers the launch and the tourist has not self-certified for this booking.

The dated rules follow their booking (``reminders.sync(booking)``: the launch moved, the booking
was cancelled) and the case: :func:`app.medical.clearances.sync_reminders` re-plans them whenever a
case changes state.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.medical import cases as medical
from app.medical import clearances
from app.messaging.reminders import Rule, Subject, register, register_subject
from app.models import Booking, BookingState, CaseState, MedicalCase
from app.urls import external_url

QUESTIONNAIRE_BEFORE_LAUNCH = timedelta(days=120)
QUESTIONNAIRE_AFTER_BOOKING = timedelta(days=7)
EXPIRING_BEFORE_LAUNCH = timedelta(days=30)

register_subject(Subject("medical_case", MedicalCase))


def _flying(booking: Booking) -> bool:
    return booking.state is BookingState.CONFIRMED and booking.flight.status not in clearances.ENDED


def _booking_context(booking: Booking, _stored: dict) -> dict:
    return {"booking": booking, "flight": booking.flight}


def _medical_page(_obj) -> str:
    return medical.tourist_page_url(external=True)


# -- the questionnaire -----------------------------------------------------------------------------

def _questionnaire_at(booking: Booking) -> datetime:
    launch = booking.flight.launch_at
    at = max(launch - QUESTIONNAIRE_BEFORE_LAUNCH, booking.created_at + QUESTIONNAIRE_AFTER_BOOKING)
    return min(at, launch - timedelta(days=1))


def _questionnaire_missing(booking: Booking, _stored: dict) -> bool:
    if not _flying(booking):
        return False
    case = medical.latest_case(booking.user)
    return case is None or case.state is CaseState.ANSWERING


register(Rule(
    "medical_questionnaire_missing", "booking", "medical", "reminder_medical_questionnaire",
    recipient=lambda b: b.user, when=_questionnaire_at, active=_questionnaire_missing,
    deadline=lambda b: b.flight.launch_at, context=_booking_context, link=_medical_page,
))


# -- more information requested --------------------------------------------------------------------

register(Rule(
    "medical_info_requested", "medical_case", "medical", "reminder_medical_info_requested",
    recipient=lambda c: c.user, active=lambda c, stored: c.state is CaseState.INFO_REQUESTED,
    link=_medical_page,
))


# -- a clearance that ends before launch -----------------------------------------------------------

def _ends_before_launch(booking: Booking) -> MedicalCase | None:
    """The tourist's clearance, when it ends before this booking's launch date."""
    if not _flying(booking):
        return None
    case = medical.latest_case(booking.user)
    if case is None or case.state not in clearances.CLEARED_STATES:
        return None
    return None if clearances.covers(case, clearances.launch_date(booking.flight)) else case


def _expiring_at(booking: Booking) -> datetime | None:
    case = _ends_before_launch(booking)
    if case is None:
        return None
    at = booking.flight.launch_at - EXPIRING_BEFORE_LAUNCH
    return max(at, case.decided_at) if case.decided_at else at


register(Rule(
    "medical_clearance_expiring", "booking", "medical", "reminder_medical_clearance_expiring",
    recipient=lambda b: b.user, when=_expiring_at,
    active=lambda b, stored: _ends_before_launch(b) is not None,
    deadline=lambda b: b.flight.launch_at, context=_booking_context, link=_medical_page,
))


# -- the self-certification close to launch --------------------------------------------------------

register(Rule(
    "medical_self_certification", "booking", "medical", "reminder_medical_self_certification",
    recipient=lambda b: b.user, when=lambda b: medical.self_certification_opens(b),
    active=lambda b, stored: medical.self_certification_pending(b),
    deadline=lambda b: b.flight.launch_at, context=_booking_context,
    link=lambda b: external_url("medical.tourist.self_certification", reference=b.reference),
))
