"""Travel's small pieces of HTML that tables repeat on every row (a time at its place, a segment's
status, what a segment is), written in Python: a Jinja macro call costs several times the HTML it
makes, and the coordinator's day has hundreds of them. Each gives exactly what the macro it
replaced gave; user text is escaped as ``{{ }}`` escapes it, and a translation is used as the
templates' ``_()`` uses it (as markup, its values escaped)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from app.formats import iso, on_day, when
from app.i18n import current
from app.i18n import markup as _
from app.i18n import nmarkup
from app.models import Segment
from app.travel import labels
from blueprints.forms import flight_options


def at_place(value: datetime, zone: str, fmt: str = "medium") -> Markup:
    """A moment in its place's time, and in the reader's when their clocks differ then (London's
    and the reader's UTC agree in winter: the same time twice would only be noise)."""
    html = f'<time datetime="{iso(value)}">{escape(when(value, fmt, zone))}</time>'
    readers = current().timezone
    if str(readers) != zone and value.astimezone(ZoneInfo(zone)).utcoffset() != value.astimezone(readers).utcoffset():
        yours = _("your time: %(time)s", time=when(value, "short"))  # outside the f-string, for pybabel
        html += f' <small class="muted">({yours})</small>'
    return Markup(html)


def segment_status(segment: Segment) -> Markup:
    return Markup(f'<span class="badge badge-segment-{segment.status.value}">{escape(labels.STATUSES[segment.status])}</span>')


def _once(make: Callable) -> Callable:
    """``make`` with the result of each distinct call kept, for one table: its rows share launch
    days, landing times and the times of flight-wide segments, and Babel's formatting is slow."""
    made: dict = {}

    def cached(*args):
        result = made.get(args)
        if result is None:
            result = made[args] = make(*args)
        return result
    return cached


def _names(lazy: Mapping) -> dict:
    """A table of lazy labels, each translated and escaped once (a table's rows repeat a few)."""
    return {key: escape(label) for key, label in lazy.items()}


def segment_what(segment: Segment) -> Markup:
    """What a segment is, by its kind: a flight's number and airports, a hotel's name and address..."""
    return _what(*(getattr(segment, name) for name in _WHAT))


#: The fields :func:`segment_what` shows: a table keeps what it wrote per distinct value of them
#: (every tourist of a flight has the same transfer and hotel, from the flight's templates).
_WHAT = ("kind", "carrier", "number", "from_place", "to_place", "title", "address", "vehicle", "phone")


def _what(kind, carrier, number, from_place, to_place, title, address, vehicle, phone) -> Markup:
    kind, e = kind.value, escape
    if kind == "flight":
        text = f"{e(carrier)} {e(number)}: {e(from_place)} → {e(to_place)}"
    elif kind == "hotel":
        text = f"{e(title)}, {e(address)}"
    elif kind == "transfer":
        text = str(e(from_place))  # a str: Markup + str would escape what is escaped already
        if to_place:
            text += f" → {e(to_place)}"
        if vehicle:
            text += f" · {e(vehicle)}"
        if phone:
            driver = _("driver: %(phone)s", phone=phone)  # outside the f-string, for pybabel
            text += f" · {driver}"
    else:
        text = str(e(title))
        if from_place:
            text += f", {e(from_place)}"
    return Markup(f'<span class="segment-what">{text}</span>')


_what_fields = operator.attrgetter(*_WHAT)


def _whats() -> Callable[[Segment], Markup]:
    """:func:`segment_what` for one table: each distinct segment written once (its fields read
    together, by one ``attrgetter``, as the key)."""
    made: dict[tuple, Markup] = {}

    def what(segment) -> Markup:
        key = _what_fields(segment)
        html = made.get(key)
        if html is None:
            html = made[key] = _what(*key)
        return html
    return what


# The day's rows are written as plain text, escaped as ``escape`` escapes, and made markup once per
# table: ``escape`` makes a ``Markup`` of each value and an f-string formats each ``Markup`` again
# (together about 2 µs a cell; a day has about a thousand of them).

def _text(value) -> str:
    """``escape(value)`` as a str, for a plain value (a text from the database, a URL; never markup)."""
    return (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
            .replace('"', "&#34;"))


def _texts(lazy: Mapping) -> dict:
    """:func:`_names` as plain text."""
    return {key: str(escape(label)) for key, label in lazy.items()}


def _what_texts() -> Callable:
    """:func:`_whats` as plain text."""
    made: dict[tuple, str] = {}

    def what(segment) -> str:
        key = _what_fields(segment)
        html = made.get(key)
        if html is None:
            html = made[key] = str(_what(*key))
        return html
    return what


def _places() -> Callable[[datetime, str], str]:
    """``at_place(value, zone, "short")`` for one table, as plain text: each distinct moment and
    place written once, the reader's time zone looked up once."""
    readers = current().timezone
    made: dict[tuple, str] = {}

    def place(value: datetime, zone: str) -> str:
        html = made.get((value, zone))
        if html is None:
            html = f'<time datetime="{iso(value)}">{_text(when(value, "short", zone))}</time>'
            if (str(readers) != zone
                    and value.astimezone(ZoneInfo(zone)).utcoffset() != value.astimezone(readers).utcoffset()):
                yours = _("your time: %(time)s", time=when(value, "short"))  # outside the f-string, for pybabel
                html += f' <small class="muted">({yours})</small>'
            made[(value, zone)] = html
        return html
    return place


def arrival_rows(arrivals, medical_badges: dict[str, Markup], booking_url: Callable[[str], str]) -> Markup:
    """The rows of the day's arrivals table: who, when they land (at the airport and for the reader),
    on which flight, the transfer that picks them up (or none), their launch and medical status."""
    own = f' <small class="muted">({_("on their own")})</small>'
    no_transfer = f'<span class="badge badge-action">{_("No transfer")}</span>'
    statuses, place, clock, what = _texts(labels.STATUSES), _places(), _once(when), _what_texts()
    badges = {key: str(badge) for key, badge in medical_badges.items()}
    rows = []
    for m in arrivals:
        pickup = m.pickup
        if pickup is not None:
            pickup = (f"{what(pickup)} · {_text(clock(pickup.starts_at, 'short', pickup.start_timezone))} "
                      f'<span class="badge badge-segment-{pickup.status.value}">{statuses[pickup.status]}</span>')
        else:
            pickup = no_transfer
        rows.append(
            f'<tr class="arrival">\n'
            f'        <th scope="row"><a href="{_text(booking_url(m.reference))}">{_text(m.tourist)}</a></th>\n'
            f'        <td>{place(m.at, m.timezone)}</td>\n'
            f'        <td>{_text(m.flight_number)} · {_text(m.place)}{own if m.own else ""}</td>\n'
            f'        <td>{pickup}</td>\n'
            f'        <td>{_text(m.flight_name)}</td>\n'
            f'        <td>{badges.get(m.medical, "")}</td>\n'
            f'      </tr>')
    return Markup("\n      ".join(rows))


def departure_rows(departures, booking_url: Callable[[str], str]) -> Markup:
    """The rows of the day's departures table: who, when they leave (at the airport and for the
    reader), on which flight, from which launch."""
    place = _places()
    return Markup("".join(
        f'\n      <tr>\n'
        f'        <th scope="row"><a href="{_text(booking_url(m.reference))}">{_text(m.tourist)}</a></th>\n'
        f'        <td>{place(m.at, m.timezone)}</td>\n'
        f'        <td>{_text(m.flight_number)} · {_text(m.place)}</td>\n'
        f'        <td>{_text(m.flight_name)}</td>\n'
        f'      </tr>\n    ' for m in departures))


def missing_rows(missing, medical_badges: dict[str, Markup], booking_url: Callable[[str], str]) -> Markup:
    """The rows of what tourists still owe: who, their flight and launch day, what they owe, their
    medical status."""
    owes = {key: f'<span class="badge badge-action">{name}</span> ' for key, name in _texts(labels.MISSING).items()}
    day = _once(on_day)
    badges = {key: str(badge) for key, badge in medical_badges.items()}
    rows = []
    for owed in missing:
        rows.append(
            f'\n      <tr class="missing">\n'
            f'        <th scope="row"><a href="{_text(booking_url(owed.reference))}">{_text(owed.tourist)}</a></th>\n'
            f'        <td>{_text(owed.flight_name)} · {_text(day(owed.launch_at, "medium"))}</td>\n'
            f'        <td>{"".join([owes[m] for m in owed.tourist_missing])}</td>\n'
            f'        <td>{badges.get(owed.medical, "")}</td>\n'
            f'      </tr>\n    ')
    return Markup("".join(rows))


def segment_rows(segments, segment_url: Callable[[int], str]) -> Markup:
    """The rows of the segments to confirm or re-arrange: the segment (kind and what), when it
    starts at its place, whose, its status and why it no longer fits (if it does not)."""
    kinds, flags = _texts(labels.KINDS), _texts(labels.FLAGS)
    statuses = {key: f'<span class="badge badge-segment-{key.value}">{name}</span>'
                for key, name in _texts(labels.STATUSES).items()}
    clock, what = _once(when), _what_texts()
    rows = []
    for seg in segments:
        flag = f' <span class="segment-flag">{flags.get(seg.flag, "")}</span>' if seg.flag else ""
        rows.append(
            f'\n      <tr class="unconfirmed">\n'
            f'        <th scope="row"><a href="{_text(segment_url(seg.id))}">{kinds[seg.kind]}: {what(seg)}</a></th>\n'
            f'        <td>{_text(clock(seg.starts_at, "short", seg.start_timezone))}</td>\n'
            f'        <td>{_text(seg.tourist)}</td>\n'
            f'        <td>{statuses[seg.status]}{flag}</td>\n'
            f'      </tr>\n    ')
    return Markup("".join(rows))


def arrival_day_items(arrival_days, chosen, day_url: str) -> Markup:
    """The next days with arrivals, as the day's page lists them: a link to each (``day_url``, the
    day's page, with the day as its ``day`` argument), the chosen one marked, and how many arrive."""
    day, url, marked = _once(on_day), _text(day_url), 'aria-current="date"'
    return Markup("".join(
        f'<li><a href="{url}?day={d.isoformat()}" {marked if d == chosen else ""}>'
        f'{_text(day(d, "medium"))}: {nmarkup("%(num)d arrival", "%(num)d arrivals", count)}</a></li>'
        for d, count in arrival_days))


def register(bp) -> None:
    for helper in (at_place, segment_status, segment_what, arrival_rows, departure_rows, missing_rows, segment_rows,
                   arrival_day_items, flight_options):
        bp.add_app_template_global(helper, helper.__name__)
