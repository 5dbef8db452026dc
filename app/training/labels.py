"""What the training domain's messages and states are called, in the reader's language (see
:mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_message_kinds
from app.models import Attendance, PlaceState, Result, SessionStatus
from app.training.progress import ModuleState

register_message_kinds({
    "training_booked": lazy_pgettext("message kind", "Training session booked"),
    "training_session_tomorrow": lazy_pgettext("message kind", "Training session tomorrow"),
    "training_session_moved": lazy_pgettext("message kind", "Training session moved"),
    "training_session_cancelled": lazy_pgettext("message kind", "Training session cancelled"),
    "training_place_offered": lazy_pgettext("message kind", "Training place offered"),
    "training_deadline": lazy_pgettext("message kind", "Training still to book"),
    "training_pass_expires": lazy_pgettext("message kind", "Training pass ends before launch"),
    "training_teaching_changed": lazy_pgettext("message kind", "A session you teach moved or was cancelled"),
    "training_teaching_assigned": lazy_pgettext("message kind", "Sessions you teach, given or taken off"),
})

MODULE_STATES = {
    ModuleState.NOT_BOOKED: lazy_pgettext("training state", "Not booked"),
    ModuleState.WAITING: lazy_pgettext("training state", "Waiting for a place"),
    ModuleState.BOOKED: lazy_pgettext("training state", "Booked"),
    ModuleState.PASSED: lazy_pgettext("training state", "Passed"),
    ModuleState.FAILED: lazy_pgettext("training state", "Failed: book again"),
    ModuleState.EXPIRES: lazy_pgettext("training state", "Expires before launch"),
}

PLACE_STATES = {
    PlaceState.WAITING: lazy_pgettext("place state", "On the waiting list"),
    PlaceState.OFFERED: lazy_pgettext("place state", "Offered"),
    PlaceState.BOOKED: lazy_pgettext("place state", "Booked"),
    PlaceState.CANCELLED: lazy_pgettext("place state", "Cancelled"),
    PlaceState.LAPSED: lazy_pgettext("place state", "Offer lapsed"),
}

ATTENDANCE = {
    Attendance.PRESENT: lazy_pgettext("attendance", "Present"),
    Attendance.ABSENT: lazy_pgettext("attendance", "Absent"),
    Attendance.EXCUSED: lazy_pgettext("attendance", "Excused"),
}

RESULTS = {
    Result.PASSED: lazy_pgettext("training result", "Passed"),
    Result.FAILED: lazy_pgettext("training result", "Failed"),
}

SESSION_STATUSES = {
    SessionStatus.SCHEDULED: lazy_pgettext("session status", "Scheduled"),
    SessionStatus.CANCELLED: lazy_pgettext("session status", "Cancelled"),
}
