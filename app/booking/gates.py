"""The booking domain's readiness gate: the seat is confirmed. Never overridable: the seat is the
booking itself, confirmed by the deposit."""

from __future__ import annotations

from typing import Any

from app.formats import when
from app.i18n import gettext as _
from app.models import Booking, BookingState
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.urls import link


def _seat_gate(booking: Booking, _loaded: Any, audience: Audience) -> Gate:
    label = _("Seat confirmed")
    if audience is Audience.STAFF:
        return _staff_gate(booking, label)
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, _("Your seat is confirmed."))
    if booking.hold_is_live():
        return Gate(
            "seat", label, GateStatus.ACTION,
            _("Your seat is held until %(time)s. It is confirmed when the deposit is paid, "
              "after you sign the informed consent.",
              time=when(booking.hold_expires_at)),
            link("booking.tourist.detail", "reference", booking.reference), _("View booking"),
        )
    return Gate(
        "seat", label, GateStatus.BLOCKED,
        _("This booking was cancelled; it holds no seat.")
        if booking.state is BookingState.CANCELLED
        else _("The hold lapsed and the seat was released. Hold a seat again if one is free."),
        link("booking.catalog.detail", "flight_id", booking.flight_id), _("See the flight"),
    )


def _staff_gate(booking: Booking, label: str) -> Gate:
    page, action = link("payments.operations.booking", "reference", booking.reference), _("Open the booking")
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, _("Confirmed."), page, action)
    return Gate("seat", label, GateStatus.ACTION,
                _("Held until %(time)s; the deposit confirms it.", time=when(booking.hold_expires_at)),
                page, action)


register(SimpleProvider("seat", lambda bookings, earlier: None, _seat_gate), position=10)
