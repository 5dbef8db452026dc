"""Booking: the flight catalog (``flights``), seat holds, the booking state machine and the
waiting list (``bookings``).

Importing the package registers what the domain adds to the engines: its preference categories,
the reminder subjects (a booking, a flight) and rules, and the seat's readiness gate.
"""

from app.booking import (  # noqa: F401  (registration)
    categories,
    gates,
    labels,
    privacy,
    reminder_rules,
)
