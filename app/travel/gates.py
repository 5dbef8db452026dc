"""The travel domain's readiness gate, "Travel confirmed": arrival details and an emergency
contact (or a recorded decline) on file, a travel document valid through the return, and every
segment of the itinerary confirmed by the coordinator. Overridable where the operator's policy
allows (a tourist who arranges everything themselves and whose details are checked on arrival)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.i18n import lazy_gettext as _l
from app.models import Booking
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.travel import labels, status
from app.travel.status import Summary


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> dict[int, Summary]:
    return status.summaries(bookings)


def _missing(mine: Summary) -> str:
    return ", ".join(str(labels.MISSING[m]) for m in mine.tourist_missing)


def _staff_gate(booking: Booking, mine: Summary, label: str) -> Gate:
    page, action = url_for("travel.logistics.booking", reference=booking.reference), str(_l("Open the itinerary"))
    if mine.confirmed:
        return Gate("travel", label, GateStatus.DONE, str(_l("Itinerary confirmed; details on file.")), page, action)
    if mine.tourist_missing:
        return Gate("travel", label, GateStatus.ACTION,
                    str(_l("The tourist has still to give: %(items)s.", items=_missing(mine))), page, action)
    if not mine.live:
        return Gate("travel", label, GateStatus.WAITING, str(_l("Itinerary to build.")), page, action)
    return Gate("travel", label, GateStatus.WAITING,
                str(_l("%(done)s of %(count)s segments confirmed.", done=mine.live - mine.unconfirmed,
                       count=mine.live)), page, action)


def _gate(booking: Booking, loaded: dict[int, Summary], audience: Audience) -> Gate:
    label = str(_l("Travel confirmed"))
    mine = loaded[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label)
    page = url_for("travel.tourist.index")
    if mine.confirmed:
        return Gate("travel", label, GateStatus.DONE,
                    str(_l("Your itinerary is confirmed and your details are on file.")), page,
                    str(_l("See your itinerary")))
    if mine.tourist_missing:
        return Gate("travel", label, GateStatus.ACTION,
                    str(_l("Still to give: %(items)s.", items=_missing(mine))),
                    page, str(_l("Give your travel details")))
    if not mine.live:
        return Gate("travel", label, GateStatus.WAITING,
                    str(_l("Thank you for your details. Your coordinator is building your itinerary.")), page,
                    str(_l("Open your travel page")))
    return Gate("travel", label, GateStatus.WAITING,
                str(_l("Your coordinator is confirming your itinerary: %(done)s of %(count)s confirmed.",
                       done=mine.live - mine.unconfirmed, count=mine.live)), page, str(_l("Open your travel page")))


register(SimpleProvider("travel", _load, _gate, overridable=frozenset({"travel"})), position=60)
