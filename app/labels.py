"""What users read for each state and status, in their language.

One place for every enum's label, used by services (in messages) and templates alike. Flight and
booking words differ in gender in several languages, hence the contexts.
"""

from __future__ import annotations

from flask_babel import lazy_pgettext

from app.models import BookingState, FlightStatus, MessageStatus, PaymentKind, PaymentStatus, Role

ROLES = {
    Role.TOURIST: lazy_pgettext("role", "Tourist"),
    Role.MEDICAL: lazy_pgettext("role", "Medical staff"),
    Role.INSTRUCTOR: lazy_pgettext("role", "Instructor"),
    Role.LOGISTICS: lazy_pgettext("role", "Logistics coordinator"),
    Role.OPERATIONS: lazy_pgettext("role", "Operations"),
}

BOOKING_STATES = {
    BookingState.HELD: lazy_pgettext("booking state", "Held"),
    BookingState.EXPIRED: lazy_pgettext("booking state", "Expired"),
    BookingState.CONFIRMED: lazy_pgettext("booking state", "Confirmed"),
    BookingState.CANCELLED: lazy_pgettext("booking state", "Cancelled"),
}

FLIGHT_STATUSES = {
    FlightStatus.SCHEDULED: lazy_pgettext("flight status", "Scheduled"),
    FlightStatus.DELAYED: lazy_pgettext("flight status", "Delayed"),
    FlightStatus.SCRUBBED: lazy_pgettext("flight status", "Scrubbed"),
    FlightStatus.FLOWN: lazy_pgettext("flight status", "Flown"),
    FlightStatus.CANCELLED: lazy_pgettext("flight status", "Cancelled"),
}

MESSAGE_STATUSES = {
    MessageStatus.QUEUED: lazy_pgettext("message status", "Queued"),
    MessageStatus.SENDING: lazy_pgettext("message status", "Sending"),
    MessageStatus.SENT: lazy_pgettext("message status", "Sent"),
    MessageStatus.FAILED: lazy_pgettext("message status", "Failed"),
}

GATE_STATUSES = {
    "done": lazy_pgettext("gate status", "Done"),
    "action": lazy_pgettext("gate status", "To do"),
    "waiting": lazy_pgettext("gate status", "Waiting"),
    "blocked": lazy_pgettext("gate status", "Blocked"),
}

PAYMENT_KINDS = {
    PaymentKind.DEPOSIT: lazy_pgettext("payment kind", "Deposit"),
    PaymentKind.BALANCE: lazy_pgettext("payment kind", "Balance"),
    PaymentKind.INSTALLMENT: lazy_pgettext("payment kind", "Installment"),
}

PAYMENT_STATUSES = {
    PaymentStatus.SCHEDULED: lazy_pgettext("payment status", "Scheduled"),
    PaymentStatus.PENDING: lazy_pgettext("payment status", "Pending"),
    PaymentStatus.REQUIRES_ACTION: lazy_pgettext("payment status", "Needs your confirmation"),
    PaymentStatus.FAILED: lazy_pgettext("payment status", "Failed"),
    PaymentStatus.SUCCEEDED: lazy_pgettext("payment status", "Paid"),
    PaymentStatus.CANCELLED: lazy_pgettext("payment status", "Cancelled"),
}

PAYMENT_EVENTS = {
    "intent_created": lazy_pgettext("payment event", "Payment started"),
    "scheduled": lazy_pgettext("payment event", "Scheduled"),
    "rescheduled": lazy_pgettext("payment event", "Due date moved"),
    "charge_attempt": lazy_pgettext("payment event", "Automatic charge attempted"),
    "succeeded": lazy_pgettext("payment event", "Paid"),
    "failed": lazy_pgettext("payment event", "Declined"),
    "requires_action": lazy_pgettext("payment event", "Needs the tourist's confirmation"),
    "overdue": lazy_pgettext("payment event", "Overdue"),
    "refunded": lazy_pgettext("payment event", "Refunded"),
    "refunded_outside": lazy_pgettext("payment event", "Refunded at the provider"),
    "disputed": lazy_pgettext("payment event", "Disputed"),
    "cancelled": lazy_pgettext("payment event", "Cancelled"),
    "amount_mismatch": lazy_pgettext("payment event", "Amount did not match: not applied"),
}
