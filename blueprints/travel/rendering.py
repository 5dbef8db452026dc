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
from wtforms import widgets

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


# -- the tourist's page ---------------------------------------------------------------------------------

#: The plain inputs of the tourist's forms, by widget, and the type each writes.
_INPUTS = {widgets.TextInput: "text", widgets.TelInput: "tel", widgets.EmailInput: "email",
           widgets.DateInput: "date", widgets.DateTimeLocalInput: "datetime-local"}


def _attributes(attributes: dict) -> str:
    """``blueprints.forms.html_params`` for attributes whose names are clean already (as WTForms'
    ``clean_key`` leaves them): sorted by name, ``True`` a bare attribute, ``False`` left out."""
    out = []
    for key in sorted(attributes):
        value = attributes[key]
        if value is not False:
            out.append(key if value is True else f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(out)


def tourist_field(f, hint=None, **kwargs) -> Markup:
    """:func:`blueprints.forms.field` for the tourist page's about 25 fields, the same HTML: a plain
    input or text area is written here, without WTForms' way through the form's meta, the widget and
    the field's flags (most of a field's cost); any other control (a select) is its widget's, called
    as the field would call it."""
    fid = kwargs.get("id") or f.id
    efid = escape(fid)
    errors = f.errors
    described = f"{fid}-hint" if hint else ""
    if errors:
        described = f"{described} {fid}-error" if described else f"{fid}-error"
        kwargs["aria-invalid"] = "true"
    if described:
        kwargs["aria-describedby"] = described
    # As the form's meta passes them to the widget (``clean_key``, then the field's ``render_kw``).
    if f.render_kw:
        kwargs = dict({widgets.core.clean_key(k): v for k, v in f.render_kw.items()}, **kwargs)
    kwargs = {str(escape(widgets.core.clean_key(key))): value for key, value in kwargs.items()}
    widget = type(f.widget)
    kind = _INPUTS.get(widget)
    if (kind is None and widget is not widgets.TextArea) or any(flag != "optional" for flag in vars(f.flags)):
        control = f.widget(f, **kwargs)
    elif kind is None:
        attributes = {"id": f.id, "name": f.name, **kwargs}
        control = f"<textarea {_attributes(attributes)}>\r\n{escape(f._value())}</textarea>"
    else:
        attributes = {"id": f.id, "type": kind, "name": f.name, **kwargs}
        if "value" not in kwargs:
            attributes["value"] = f._value()
        control = f"<input {_attributes(attributes)}>"
    html = f'\n    <label for="{efid}">{escape(f.label.text)}</label>\n    {control}\n  \n  '
    if hint:
        html += f'<small id="{efid}-hint" class="hint">{escape(hint)}</small>'
    html += "\n  "
    if errors:
        html += f'<small id="{efid}-error" class="field-error">{" ".join(map(escape, errors))}</small>'
    return Markup(html + "\n")


def tourist_radios(f) -> Markup:
    """A radio field's buttons, each in its label, as the tourist page wrote them from the field's
    options (``checked`` first, then the attributes WTForms' radio input writes)."""
    data, out = f.data, []
    for i, (value, label) in enumerate(f.choices):
        checked = "checked " if value == data else ""
        out.append(f'<label><input {checked}id="{escape(f.id)}-{i}" name="{escape(f.name)}" type="radio" '
                   f'value="{escape(value)}"> {escape(label if label else value)}</label>')
    return Markup("".join(out))


def _segment_when(segment: Segment) -> str:
    """The ``segment_when`` macro of ``travel/_macros.html``: when a segment starts (and ends), at
    its place."""
    kind, starts = segment.kind.value, at_place(segment.starts_at, segment.start_timezone)
    if kind == "flight":
        text = f'{_("Departs")} {starts} · {_("lands")} {at_place(segment.ends_at, segment.end_timezone)}'
    elif kind == "hotel":
        text = f'{_("Check-in")} {starts} · {_("check-out")} {at_place(segment.ends_at, segment.end_timezone)}'
    elif kind == "transfer":
        text = f'{_("Pick-up")} {starts}'
    else:
        text = str(starts)
        if segment.ends_at:
            text += f" – {escape(when(segment.ends_at, 'short', segment.end_timezone))}"
    return f'<span class="segment-when">{text}</span>'


def tourist_timeline(segments) -> Markup:
    """The tourist's itinerary: ``timeline_item`` of ``travel/_macros.html`` for each segment (as
    the tourist reads it: a flag says the coordinator is re-arranging it), the same HTML; a macro
    call per segment, and two more inside, cost more than the HTML they make."""
    kinds = _names(labels.KINDS)
    moved = _("The launch moved: your coordinator is re-arranging this and will tell you.")
    items = []
    for segment in segments:
        code = segment.confirmation_code
        code = f' <small>{_("Confirmation %(code)s", code=code)}</small>' if code else ""
        notes = f'<small class="muted">{escape(segment.notes)}</small>' if segment.notes else ""
        flag = f'<span class="segment-flag">{moved}</span>' if segment.flag else ""
        items.append(
            f'<li class="segment-{segment.status.value}">\n'
            f'  <div class="segment-head"><strong>{kinds[segment.kind]}</strong> {segment_status(segment)}{code}</div>\n'
            f'  {segment_what(segment)}\n'
            f'  {_segment_when(segment)}\n'
            f'  {notes}\n'
            f'  {flag}\n'
            f'  \n'
            f'</li>')
    return Markup("".join(items))


def register(bp) -> None:
    for helper in (at_place, segment_status, segment_what, arrival_rows, departure_rows, missing_rows, segment_rows,
                   arrival_day_items, flight_options, tourist_field, tourist_radios, tourist_timeline):
        bp.add_app_template_global(helper, helper.__name__)
