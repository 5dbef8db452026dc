"""What the desk's topics, states and messages are called, in the reader's language."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_message_kinds
from app.models import ConversationState, Topic

TOPICS = {
    Topic.BOOKING: lazy_pgettext("desk topic", "Booking and payments"),
    Topic.MEDICAL: lazy_pgettext("desk topic", "Medical"),
    Topic.TRAINING: lazy_pgettext("desk topic", "Training"),
    Topic.DOCUMENTS: lazy_pgettext("desk topic", "Documents"),
    Topic.TRAVEL: lazy_pgettext("desk topic", "Travel"),
    Topic.LAUNCH_DAY: lazy_pgettext("desk topic", "Launch day"),
    Topic.OTHER: lazy_pgettext("desk topic", "Something else"),
}

#: As staff see a conversation's state.
STATES = {
    ConversationState.NEW: lazy_pgettext("desk state", "New"),
    ConversationState.WAITING_ON_US: lazy_pgettext("desk state", "Tourist wrote again"),
    ConversationState.WAITING_ON_TOURIST: lazy_pgettext("desk state", "Waiting on the tourist"),
    ConversationState.RESOLVED: lazy_pgettext("desk state", "Resolved"),
}

#: As the tourist sees it.
TOURIST_STATES = {
    ConversationState.NEW: lazy_pgettext("desk state", "Sent: we will answer"),
    ConversationState.WAITING_ON_US: lazy_pgettext("desk state", "Sent: we will answer"),
    ConversationState.WAITING_ON_TOURIST: lazy_pgettext("desk state", "Answered"),
    ConversationState.RESOLVED: lazy_pgettext("desk state", "Closed"),
}

RATINGS = {
    1: lazy_pgettext("desk rating", "Poor"),
    2: lazy_pgettext("desk rating", "Fair"),
    3: lazy_pgettext("desk rating", "Good"),
    4: lazy_pgettext("desk rating", "Very good"),
    5: lazy_pgettext("desk rating", "Excellent"),
}

register_message_kinds({
    "desk_reply": lazy_pgettext("message kind", "An answer to your question"),
    "desk_waiting": lazy_pgettext("message kind", "We are waiting for your reply"),
    "desk_resolved": lazy_pgettext("message kind", "Your question is closed: how did we do?"),
    "desk_escalated": lazy_pgettext("message kind", "A question waited past its response target"),
    "desk_sms_reply": lazy_pgettext("message kind", "An answer by SMS to an unknown number"),
})
