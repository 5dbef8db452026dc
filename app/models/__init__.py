"""All models, one module per domain; importing this package registers every table."""

from app.models.accounts import Role, User, normalise_email
from app.models.bookings import Booking, BookingEvent, BookingState, WaitlistEntry, WaitlistState
from app.models.consent import (
    ConsentDocument,
    ConsentQuestion,
    ConsentSignature,
    DocumentKind,
    ImmutableRecordError,
)
from app.models.flights import Flight, FlightStatus
from app.models.notifications import Channel, MessageStatus, OutboundMessage
from app.models.payments import (
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    Refund,
    SandboxIntent,
    WebhookEvent,
)

__all__ = [
    "Booking", "BookingEvent", "BookingState", "Channel", "ConsentDocument", "ConsentQuestion",
    "ConsentSignature", "DocumentKind", "Flight", "FlightStatus", "ImmutableRecordError",
    "MessageStatus", "OutboundMessage", "Payment", "PaymentEvent", "PaymentKind", "PaymentStatus",
    "Refund", "Role", "SandboxIntent", "WebhookEvent", "User", "WaitlistEntry", "WaitlistState",
    "normalise_email",
]
