"""What users read for each state and status, in their language.

One place for every enum's label, used by services (in messages) and templates alike. Flight and
booking words differ in gender in several languages, hence the contexts.
"""

from __future__ import annotations

import re
from typing import Mapping

from flask_babel import pgettext

from app.i18n import lazy_pgettext
from app.models import (
    BookingState,
    Channel,
    FlightStatus,
    MessageStatus,
    ModuleKind,
    PaymentKind,
    PaymentStatus,
    RefundKind,
    Role,
    SafetyTopic,
    SlipCause,
)

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
    BookingState.FLOWN: lazy_pgettext("booking state", "Flown"),
}

FLIGHT_STATUSES = {
    FlightStatus.SCHEDULED: lazy_pgettext("flight status", "Scheduled"),
    FlightStatus.DELAYED: lazy_pgettext("flight status", "Delayed"),
    FlightStatus.SCRUBBED: lazy_pgettext("flight status", "Scrubbed"),
    FlightStatus.FLOWN: lazy_pgettext("flight status", "Flown"),
    FlightStatus.CANCELLED: lazy_pgettext("flight status", "Cancelled"),
}

#: The kinds of training module, as operations and tourists read them.
MODULE_KINDS = {
    ModuleKind.CLASSROOM: lazy_pgettext("training module kind", "Classroom"),
    ModuleKind.CENTRIFUGE: lazy_pgettext("training module kind", "Centrifuge run"),
    ModuleKind.EGRESS_DRILL: lazy_pgettext("training module kind", "Egress drill"),
    ModuleKind.SCENARIO_REHEARSAL: lazy_pgettext("training module kind", "Scenario rehearsal"),
    ModuleKind.SUIT_FITTING: lazy_pgettext("training module kind", "Suit fitting"),
    ModuleKind.EXAM: lazy_pgettext("training module kind", "Exam"),
}

#: What 14 CFR 460.51 requires training on, in the order the rule names it.
SAFETY_TOPICS = {
    SafetyTopic.SMOKE: lazy_pgettext("training topic", "Smoke"),
    SafetyTopic.FIRE: lazy_pgettext("training topic", "Fire"),
    SafetyTopic.CABIN_PRESSURE: lazy_pgettext("training topic", "Loss of cabin pressure"),
    SafetyTopic.EMERGENCY_EXIT: lazy_pgettext("training topic", "Emergency exit"),
}

MESSAGE_STATUSES = {
    MessageStatus.QUEUED: lazy_pgettext("message status", "Queued"),
    MessageStatus.CLAIMED: lazy_pgettext("message status", "Claimed"),
    MessageStatus.SENDING: lazy_pgettext("message status", "Sending"),
    MessageStatus.SENT: lazy_pgettext("message status", "Sent"),
    MessageStatus.FAILED: lazy_pgettext("message status", "Failed"),
    MessageStatus.DROPPED: lazy_pgettext("message status", "Not sent"),
}

CHANNELS = {
    Channel.EMAIL: lazy_pgettext("channel", "Email"),
    Channel.SMS: lazy_pgettext("channel", "SMS"),
    Channel.IN_APP: lazy_pgettext("channel", "In the app"),
}

#: What a message is about, by its kind (the template it was written from) and, for reminders
#: whose rule says more than the template (payment due in 7 days or tomorrow), by the rule's name.
#: Each domain registers the kinds of the messages it writes (its ``labels`` module).
MESSAGE_KINDS: dict[str, object] = {}


def register_message_kinds(kinds: Mapping[str, object]) -> None:
    MESSAGE_KINDS.update(kinds)


#: What someone did with a medical record, as the access log shows it.
ACCESS_ACTIONS = {
    "view": lazy_pgettext("access action", "Viewed"),
    "change": lazy_pgettext("access action", "Changed"),
    "submit": lazy_pgettext("access action", "Submitted"),
    "upload": lazy_pgettext("access action", "Uploaded"),
    "download": lazy_pgettext("access action", "Downloaded"),
    "export": lazy_pgettext("access action", "Exported"),
    "decide": lazy_pgettext("access action", "Decided"),
    "rotate": lazy_pgettext("access action", "Re-encrypted"),
    "erase": lazy_pgettext("access action", "Erased"),
}

#: What the provider reported after taking the message (Twilio's status callbacks).
DELIVERY_STATUSES = {
    "accepted": lazy_pgettext("delivery status", "Accepted"),
    "scheduled": lazy_pgettext("delivery status", "Scheduled"),
    "queued": lazy_pgettext("delivery status", "Queued"),
    "sending": lazy_pgettext("delivery status", "Sending"),
    "sent": lazy_pgettext("delivery status", "Sent"),
    "delivered": lazy_pgettext("delivery status", "Delivered"),
    "read": lazy_pgettext("delivery status", "Read"),
    "undelivered": lazy_pgettext("delivery status", "Undelivered"),
    "failed": lazy_pgettext("delivery status", "Failed"),
    "canceled": lazy_pgettext("delivery status", "Cancelled"),
}


def message_kind(kind: str, rule: str | None = None):
    """A readable name for what a message is about; the raw kind when there is none."""
    return MESSAGE_KINDS.get(rule or "") or MESSAGE_KINDS.get(kind) or kind


def delivery_status(status: str):
    return DELIVERY_STATUSES.get(status) or status


#: Why operations moved a launch, as the tourists and the schedule history read it.
SLIP_CAUSES = {
    SlipCause.WEATHER: lazy_pgettext("slip cause", "Weather"),
    SlipCause.TECHNICAL: lazy_pgettext("slip cause", "A technical matter"),
    SlipCause.RANGE: lazy_pgettext("slip cause", "The launch range is not available"),
    SlipCause.OTHER: lazy_pgettext("slip cause", "Other reasons"),
}

GATE_STATUSES = {
    "done": lazy_pgettext("gate status", "Done"),
    "action": lazy_pgettext("gate status", "To do"),
    "waiting": lazy_pgettext("gate status", "Waiting"),
    "blocked": lazy_pgettext("gate status", "Blocked"),
    "overridden": lazy_pgettext("gate status", "Waived"),
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

#: What a payment is, as the tourist reads it: a paid payment given back says so.
PAYMENT_DISPLAY_STATUSES = {
    **{status.value: label for status, label in PAYMENT_STATUSES.items()},
    "refunded": lazy_pgettext("payment status", "Refunded"),
    "partly_refunded": lazy_pgettext("payment status", "Partly refunded"),
}

#: Why money went back, for the refunds the system makes (an operator's own reason is shown as typed).
REFUND_KINDS = {
    RefundKind.TOURIST_CANCELLED: lazy_pgettext("refund kind", "Refunded under the cancellation policy"),
    RefundKind.FLIGHT_CANCELLED: lazy_pgettext("refund kind", "The operator cancelled the flight"),
    RefundKind.SEAT_GONE: lazy_pgettext("refund kind", "The seat was no longer available when the deposit arrived"),
    RefundKind.PROVIDER: lazy_pgettext("refund kind", "Refunded by the payment service"),
}


def refund_reason(refund) -> str:
    """Why a refund was made, as the tourist reads it: the operator's words, or the system's label."""
    if refund.kind is RefundKind.OPERATOR or refund.kind not in REFUND_KINDS:
        return history_reason(refund.reason)
    return str(REFUND_KINDS[refund.kind])


#: The reasons and details the services write themselves, in English, on booking events
#: (``BookingEvent.reason``), payment events (``PaymentEvent.detail``) and refunds: each is shown
#: through its label, in the reader's language. Any other text is a person's own words, shown as
#: typed. A domain that writes a fixed reason registers its label (its ``labels`` module; a test
#: checks).
HISTORY_REASONS: dict[str, object] = {}


def register_history_reasons(reasons: Mapping[str, object]) -> None:
    HISTORY_REASONS.update(reasons)


_ATTEMPT = re.compile(r"attempt (\d+)")


def is_system_reason(text: str | None) -> bool:
    """Whether ``text`` was written by the system (or is empty), not typed by a person."""
    text = (text or "").strip()
    return not text or text in HISTORY_REASONS or bool(_ATTEMPT.fullmatch(text))


def history_reason(text: str | None) -> str:
    """A reason or detail as the reader reads it: the system's in their language, a person's as typed."""
    text = (text or "").strip()
    if text in HISTORY_REASONS:
        return str(HISTORY_REASONS[text])
    attempt = _ATTEMPT.fullmatch(text)
    if attempt:
        return pgettext("history reason", "attempt %(num)s", num=attempt.group(1))
    return text


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
    "paid_after_cancel": lazy_pgettext("payment event", "Paid after it was cancelled: refunded"),
    "refund_failed": lazy_pgettext("payment event", "Refund refused by the provider"),
}
