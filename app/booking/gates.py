"""The booking domain's readiness gate: the seat is confirmed. Never overridable: the seat is the
booking itself, confirmed by the deposit."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.formats import when
from app.i18n import lazy_gettext as _l
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register


def _seat_gate(booking: Booking, _loaded: Any, audience: Audience) -> Gate:
    label = str(_l("Seat confirmed"))
    if audience is Audience.STAFF:
        return _staff_gate(booking, label)
    detail = url_for("booking.tourist.detail", reference=booking.reference)
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, str(_l("Your seat is confirmed.")))
    if booking.hold_is_live():
        return Gate(
            "seat", label, GateStatus.ACTION,
            str(_l("Your seat is held until %(time)s. It is confirmed when the deposit is paid, "
                   "after you sign the informed consent.",
                   time=when(booking.hold_expires_at))),
            detail, str(_l("View booking")),
        )
    return Gate(
        "seat", label, GateStatus.BLOCKED,
        str(_l("This booking was cancelled; it holds no seat.")
            if booking.state is BookingState.CANCELLED
            else _l("The hold lapsed and the seat was released. Hold a seat again if one is free.")),
        url_for("booking.catalog.detail", flight_id=booking.flight_id), str(_l("See the flight")),
    )


def _staff_gate(booking: Booking, label: str) -> Gate:
    page, action = url_for("payments.operations.booking", reference=booking.reference), str(_l("Open the booking"))
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, str(_l("Confirmed.")), page, action)
    return Gate("seat", label, GateStatus.ACTION,
                str(_l("Held until %(time)s; the deposit confirms it.", time=when(booking.hold_expires_at))),
                page, action)


register(SimpleProvider("seat", lambda bookings, earlier: None, _seat_gate), position=10)
