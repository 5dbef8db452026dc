"""The travel domain's readiness gate, "Travel confirmed": arrival details and an emergency
contact (or a recorded decline) on file, a travel document valid through the return, and every
segment of the itinerary confirmed by the coordinator. Overridable where the operator's policy
allows (a tourist who arranges everything themselves and whose details are checked on arrival)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import url_for

from app.i18n import gettext
from app.models import Booking
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.travel import labels, status
from app.travel.status import Missing, Summary
from app.urls import url_maker


def _l(string: str) -> str:
    """Marks a message for pybabel; :meth:`_Loaded.text` translates it (once per page)."""
    return string


@dataclass
class _Loaded:
    """The summaries of a page of bookings, and what their cells share, worked out once for the
    page: the translations (the matrix words 80 cells alike), what each combination of missing
    parts reads, the links (one route lookup for the staff's, one URL for the tourist's)."""
    summaries: dict[int, Summary]
    texts: dict[str, str] = field(default_factory=dict)
    missing: dict[tuple[Missing, ...], str] = field(default_factory=dict)
    file_url: Callable[[str], str] | None = None
    travel_url: str | None = None

    def text(self, message: str, **values) -> str:
        """``message`` translated as ``lazy_gettext(message, **values)`` reads, translated once."""
        translated = self.texts.get(message)
        if translated is None:
            translated = self.texts[message] = gettext(message)
        return translated % values if values else translated

    def items(self, mine: Summary) -> str:
        key = tuple(mine.tourist_missing)
        said = self.missing.get(key)
        if said is None:
            said = self.missing[key] = ", ".join(str(labels.MISSING[m]) for m in key)
        return said


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> _Loaded:
    facts = earlier.get("facts", {}).get("travel")  # the summaries' columns, in the engine's statement
    if facts is None:
        return _Loaded(status.summaries(bookings))
    return _Loaded({b.id: status.summary_of(facts[b.id]) for b in bookings})


def _staff_gate(booking: Booking, mine: Summary, label: str, loaded: _Loaded) -> Gate:
    if loaded.file_url is None:
        loaded.file_url = url_maker("travel.logistics.booking", "reference")
    page, action = loaded.file_url(booking.reference), loaded.text(_l("Open the itinerary"))
    if mine.confirmed:
        return Gate("travel", label, GateStatus.DONE, loaded.text(_l("Itinerary confirmed; details on file.")),
                    page, action)
    if mine.tourist_missing:
        return Gate("travel", label, GateStatus.ACTION,
                    loaded.text(_l("The tourist has still to give: %(items)s."), items=loaded.items(mine)),
                    page, action)
    if not mine.live:
        return Gate("travel", label, GateStatus.WAITING, loaded.text(_l("Itinerary to build.")), page, action)
    return Gate("travel", label, GateStatus.WAITING,
                loaded.text(_l("%(done)s of %(count)s segments confirmed."), done=mine.live - mine.unconfirmed,
                            count=mine.live), page, action)


def _gate(booking: Booking, loaded: _Loaded, audience: Audience) -> Gate:
    label = loaded.text(_l("Travel confirmed"))
    mine = loaded.summaries[booking.id]
    if audience is Audience.STAFF:
        return _staff_gate(booking, mine, label, loaded)
    if loaded.travel_url is None:
        loaded.travel_url = url_for("travel.tourist.index")
    page, text = loaded.travel_url, loaded.text
    if mine.confirmed:
        return Gate("travel", label, GateStatus.DONE,
                    text(_l("Your itinerary is confirmed and your details are on file.")), page,
                    text(_l("See your itinerary")))
    if mine.tourist_missing:
        return Gate("travel", label, GateStatus.ACTION,
                    text(_l("Still to give: %(items)s."), items=loaded.items(mine)),
                    page, text(_l("Give your travel details")))
    if not mine.live:
        return Gate("travel", label, GateStatus.WAITING,
                    text(_l("Thank you for your details. Your coordinator is building your itinerary.")), page,
                    text(_l("Open your travel page")))
    return Gate("travel", label, GateStatus.WAITING,
                text(_l("Your coordinator is confirming your itinerary: %(done)s of %(count)s confirmed."),
                     done=mine.live - mine.unconfirmed, count=mine.live), page, text(_l("Open your travel page")))


register(SimpleProvider("travel", _load, _gate, overridable=frozenset({"travel"}), facts=status.summary_facts),
         position=60)
