"""The booking domain's readiness gate: the seat is confirmed. Never overridable: the seat is the
booking itself, confirmed by the deposit."""

from __future__ import annotations

from app.formats import when
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, Words, register
from app.readiness import mark as _l
from app.urls import link


def _seat_gate(booking: Booking, words: Words, audience: Audience) -> Gate:
    label = words(_l("Seat confirmed"))
    if audience is Audience.STAFF:
        return _staff_gate(booking, label, words)
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, words(_l("Your seat is confirmed.")))
    if booking.hold_is_live():
        return Gate(
            "seat", label, GateStatus.ACTION,
            words(_l("Your seat is held until %(time)s. It is confirmed when the deposit is paid, "
                     "after you sign the informed consent."),
                  time=when(booking.hold_expires_at)),
            link("booking.tourist.detail", "reference", booking.reference), words(_l("View booking")),
        )
    return Gate(
        "seat", label, GateStatus.BLOCKED,
        words(_l("This booking was cancelled; it holds no seat."))
        if booking.state is BookingState.CANCELLED
        else words(_l("The hold lapsed and the seat was released. Hold a seat again if one is free.")),
        link("booking.catalog.detail", "flight_id", booking.flight_id), words(_l("See the flight")),
    )


def _staff_gate(booking: Booking, label: str, words: Words) -> Gate:
    page, action = link("payments.operations.booking", "reference", booking.reference), words(_l("Open the booking"))
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, words(_l("Confirmed.")), page, action)
    return Gate("seat", label, GateStatus.ACTION,
                words(_l("Held until %(time)s; the deposit confirms it."), time=when(booking.hold_expires_at)),
                page, action)


# Nothing to load: the page's words, translated once.
register(SimpleProvider("seat", lambda bookings, earlier: Words(), _seat_gate), position=10)
