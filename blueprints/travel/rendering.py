"""Travel's small pieces of HTML that tables repeat on every row (a time at its place, a segment's
status, what a segment is), written in Python: a Jinja macro call costs several times the HTML it
makes, and the coordinator's day has hundreds of them. Each gives exactly what the macro it
replaced gave; user text is escaped as ``{{ }}`` escapes it, and a translation is used as the
templates' ``_()`` uses it (as markup, its values escaped)."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup, escape

from app.formats import iso, when
from app.i18n import current
from app.models import Segment
from app.travel import labels


def _(string: str, **values) -> Markup:
    """A translation as the templates' ``_()`` gives it: markup, its values escaped."""
    return Markup(current().translations.ugettext(string)) % values


def at_place(value: datetime, zone: str, fmt: str = "medium") -> Markup:
    """A moment in its place's time, and in the reader's when their zone differs."""
    html = Markup('<time datetime="{}">{}</time>').format(iso(value), when(value, fmt, zone))
    if str(current().timezone) != zone:
        html += Markup(' <small class="muted">({})</small>').format(_("your time: %(time)s", time=when(value, "short")))
    return html


def segment_status(segment: Segment) -> Markup:
    return Markup('<span class="badge badge-segment-{}">{}</span>').format(
        segment.status.value, labels.STATUSES[segment.status])


def segment_what(segment: Segment) -> Markup:
    """What a segment is, by its kind: a flight's number and airports, a hotel's name and address..."""
    kind, e = segment.kind.value, escape
    if kind == "flight":
        text = Markup("{} {}: {} → {}").format(segment.carrier, segment.number, segment.from_place, segment.to_place)
    elif kind == "hotel":
        text = Markup("{}, {}").format(segment.title, segment.address)
    elif kind == "transfer":
        text = e(segment.from_place)
        if segment.to_place:
            text += Markup(" → {}").format(segment.to_place)
        if segment.vehicle:
            text += Markup(" · {}").format(segment.vehicle)
        if segment.phone:
            text += Markup(" · ") + _("driver: %(phone)s", phone=segment.phone)
    else:
        text = e(segment.title)
        if segment.from_place:
            text += Markup(", {}").format(segment.from_place)
    return Markup('<span class="segment-what">{}</span>').format(text)


def register(bp) -> None:
    for helper in (at_place, segment_status, segment_what):
        bp.add_app_template_global(helper, helper.__name__)
