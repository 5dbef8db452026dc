"""The travel domain's readiness gate, "Travel confirmed": arrival details and an emergency
contact (or a recorded decline) on file, a travel document valid through the return, and every
segment of the itinerary confirmed by the coordinator."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.i18n import lazy_gettext as _l
from app.models import Booking
from app.readiness import Gate, GateStatus, SimpleProvider, register
from app.travel import labels, status
from app.travel.status import Summary


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> dict[int, Summary]:
    return status.summaries(bookings)


def _gate(booking: Booking, loaded: dict[int, Summary]) -> Gate:
    label = str(_l("Travel confirmed"))
    mine = loaded[booking.id]
    page = url_for("travel.tourist.index")
    if mine.confirmed:
        return Gate("travel", label, GateStatus.DONE,
                    str(_l("Your itinerary is confirmed and your details are on file.")), page,
                    str(_l("See your itinerary")))
    if mine.tourist_missing:
        return Gate("travel", label, GateStatus.ACTION,
                    str(_l("Still to give: %(items)s.", items=", ".join(str(labels.MISSING[m]) for m in mine.tourist_missing))),
                    page, str(_l("Give your travel details")))
    if not mine.live:
        return Gate("travel", label, GateStatus.WAITING,
                    str(_l("Thank you for your details. Your coordinator is building your itinerary.")), page,
                    str(_l("Open your travel page")))
    return Gate("travel", label, GateStatus.WAITING,
                str(_l("Your coordinator is confirming your itinerary: %(done)s of %(count)s confirmed.",
                       done=mine.live - mine.unconfirmed, count=mine.live)), page, str(_l("Open your travel page")))


register(SimpleProvider("travel", _load, _gate), position=60)
