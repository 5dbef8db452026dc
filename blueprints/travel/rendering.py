"""Travel's small pieces of HTML that tables repeat on every row (a time at its place, a segment's
status, what a segment is), written in Python: a Jinja macro call costs several times the HTML it
makes, and the coordinator's day has hundreds of them. Each gives exactly what the macro it
replaced gave; user text is escaped as ``{{ }}`` escapes it, and a translation is used as the
templates' ``_()`` uses it (as markup, its values escaped)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from app.formats import iso, on_day, when
from app.i18n import current
from app.i18n import markup as _
from app.models import Segment
from app.travel import labels


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


def _names(lazy: Mapping) -> dict:
    """A table of lazy labels, each translated and escaped once (a table's rows repeat a few)."""
    return {key: escape(label) for key, label in lazy.items()}


def segment_what(segment: Segment) -> Markup:
    """What a segment is, by its kind: a flight's number and airports, a hotel's name and address..."""
    kind, e = segment.kind.value, escape
    if kind == "flight":
        text = f"{e(segment.carrier)} {e(segment.number)}: {e(segment.from_place)} → {e(segment.to_place)}"
    elif kind == "hotel":
        text = f"{e(segment.title)}, {e(segment.address)}"
    elif kind == "transfer":
        text = str(e(segment.from_place))  # a str: Markup + str would escape what is escaped already
        if segment.to_place:
            text += f" → {e(segment.to_place)}"
        if segment.vehicle:
            text += f" · {e(segment.vehicle)}"
        if segment.phone:
            driver = _("driver: %(phone)s", phone=segment.phone)  # outside the f-string, for pybabel
            text += f" · {driver}"
    else:
        text = str(e(segment.title))
        if segment.from_place:
            text += f", {e(segment.from_place)}"
    return Markup(f'<span class="segment-what">{text}</span>')


def arrival_rows(arrivals, cleared: dict[int, str], medical_badges: dict[str, Markup],
                 booking_url: Callable[[str], str]) -> Markup:
    """The rows of the day's arrivals table: who, when they land (at the airport and for the reader),
    on which flight, the transfer that picks them up (or none), their launch and medical status."""
    on_their_own = _("on their own")
    no_transfer = _("No transfer")
    rows = []
    for m in arrivals:
        booking = m.booking
        own = f' <small class="muted">({on_their_own})</small>' if m.own else ""
        if m.pickup is not None:
            pickup = (f"{segment_what(m.pickup)} · {escape(when(m.pickup.starts_at, 'short', m.pickup.start_timezone))} "
                      f"{segment_status(m.pickup)}")
        else:
            pickup = f'<span class="badge badge-action">{no_transfer}</span>'
        rows.append(
            f'<tr class="arrival">\n'
            f'        <th scope="row"><a href="{escape(booking_url(booking.reference))}">{escape(m.tourist)}</a></th>\n'
            f'        <td>{at_place(m.at, m.timezone, "short")}</td>\n'
            f'        <td>{escape(m.flight_number)} · {escape(m.place)}{own}</td>\n'
            f'        <td>{pickup}</td>\n'
            f'        <td>{escape(booking.flight.name)}</td>\n'
            f'        <td>{medical_badges.get(cleared.get(booking.id), "")}</td>\n'
            f'      </tr>')
    return Markup("\n      ".join(rows))


def departure_rows(departures, booking_url: Callable[[str], str]) -> Markup:
    """The rows of the day's departures table: who, when they leave (at the airport and for the
    reader), on which flight, from which launch."""
    return Markup("".join(
        f'\n      <tr>\n'
        f'        <th scope="row"><a href="{escape(booking_url(m.booking.reference))}">{escape(m.tourist)}</a></th>\n'
        f'        <td>{at_place(m.at, m.timezone, "short")}</td>\n'
        f'        <td>{escape(m.flight_number)} · {escape(m.place)}</td>\n'
        f'        <td>{escape(m.booking.flight.name)}</td>\n'
        f'      </tr>\n    ' for m in departures))


def missing_rows(missing, cleared: dict[int, str], medical_badges: dict[str, Markup],
                 booking_url: Callable[[str], str]) -> Markup:
    """The rows of what tourists still owe: who, their flight and launch day, what they owe, their
    medical status."""
    names = _names(labels.MISSING)
    days: dict[datetime, str] = {}  # most rows share a launch: its day formatted once
    rows = []
    for owed in missing:
        booking, flight = owed.booking, owed.booking.flight
        day = days.get(flight.launch_at)
        if day is None:
            day = days[flight.launch_at] = escape(on_day(flight.launch_at, "medium"))
        owes = "".join(f'<span class="badge badge-action">{names[m]}</span> ' for m in owed.tourist_missing)
        rows.append(
            f'\n      <tr class="missing">\n'
            f'        <th scope="row"><a href="{escape(booking_url(booking.reference))}">{escape(owed.tourist)}</a></th>\n'
            f'        <td>{escape(flight.name)} · {day}</td>\n'
            f'        <td>{owes}</td>\n'
            f'        <td>{medical_badges.get(cleared.get(booking.id), "")}</td>\n'
            f'      </tr>\n    ')
    return Markup("".join(rows))


def segment_rows(segments, segment_url: Callable[[int], str]) -> Markup:
    """The rows of the segments to confirm or re-arrange: the segment (kind and what), when it
    starts at its place, whose, its status and why it no longer fits (if it does not)."""
    kinds, statuses, flags = _names(labels.KINDS), _names(labels.STATUSES), _names(labels.FLAGS)
    times: dict[tuple, str] = {}  # a flight-wide segment starts at the same time for everyone on it
    rows = []
    for seg in segments:
        key = (seg.starts_at, seg.start_timezone)
        starts = times.get(key)
        if starts is None:
            starts = times[key] = escape(when(seg.starts_at, "short", seg.start_timezone))
        flag = f' <span class="segment-flag">{flags.get(seg.flag, "")}</span>' if seg.flag else ""
        rows.append(
            f'\n      <tr class="unconfirmed">\n'
            f'        <th scope="row"><a href="{escape(segment_url(seg.id))}">{kinds[seg.kind]}: {segment_what(seg)}</a></th>\n'
            f'        <td>{starts}</td>\n'
            f'        <td>{escape(seg.tourist)}</td>\n'
            f'        <td><span class="badge badge-segment-{seg.status.value}">{statuses[seg.status]}</span>{flag}</td>\n'
            f'      </tr>\n    ')
    return Markup("".join(rows))


def flight_options(flights, chosen: int | None) -> Markup:
    """The day's flight filter: every flight still to launch, with its launch day."""
    days: dict[datetime, str] = {}
    options = []
    for f in flights:
        day = days.get(f.launch_at)
        if day is None:
            day = days[f.launch_at] = escape(on_day(f.launch_at, "medium"))
        selected = "selected" if f.id == chosen else ""
        options.append(f'<option value="{f.id}" {selected}>{escape(f.name)} · {day}</option>')
    return Markup("".join(options))


def register(bp) -> None:
    for helper in (at_place, segment_status, segment_what, arrival_rows, departure_rows, missing_rows, segment_rows,
                   flight_options):
        bp.add_app_template_global(helper, helper.__name__)
