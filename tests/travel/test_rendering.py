"""The travel rows' small pieces of HTML (blueprints/travel/rendering.py): user text escaped, the
reader's own time added when the place's zone differs, translated like the templates' ``_()``."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from app.models import SegmentKind, SegmentStatus
from blueprints.travel.rendering import at_place, segment_status, segment_what
from tests.conftest import utc


def _segment(kind: SegmentKind, **fields) -> SimpleNamespace:
    base = dict(kind=kind, status=SegmentStatus.PENDING, carrier="", number="", from_place="", to_place="",
                title="", address="", vehicle="", phone="")
    return SimpleNamespace(**{**base, **fields})


def test_user_text_is_escaped_and_each_kind_says_what_it_is(app):
    with app.test_request_context("/"):
        hotel = segment_what(_segment(SegmentKind.HOTEL, title="<b>Andaluz</b>", address="2nd & Central"))
        assert hotel == '<span class="segment-what">&lt;b&gt;Andaluz&lt;/b&gt;, 2nd &amp; Central</span>'
        flight = segment_what(_segment(SegmentKind.FLIGHT, carrier="LH", number="400", from_place="FRA",
                                       to_place="ABQ"))
        assert flight == '<span class="segment-what">LH 400: FRA → ABQ</span>'
        transfer = segment_what(_segment(SegmentKind.TRANSFER, from_place="A&B <Inn>", to_place='Pad "39A"',
                                         vehicle="Van & Co", phone="+15055550100"))
        assert transfer == ('<span class="segment-what">A&amp;B &lt;Inn&gt; → Pad &#34;39A&#34; · Van &amp; Co'
                            ' · driver: +15055550100</span>')
        event = segment_what(_segment(SegmentKind.EVENT, title="Suit & fitting", from_place="Hangar <1>"))
        assert event == '<span class="segment-what">Suit &amp; fitting, Hangar &lt;1&gt;</span>'
        assert segment_status(_segment(SegmentKind.HOTEL)) == '<span class="badge badge-segment-pending">Pending</span>'


def test_a_time_at_its_place_adds_the_readers_own_when_the_zones_differ(app):
    landing = utc(2027, 3, 1, 18, 30)
    with app.test_request_context("/", headers={"Accept-Language": "de"}):  # a visitor reads UTC
        assert at_place(landing, "UTC", "short") == '<time datetime="2027-03-01T18:30:00Z">01.03.27, 18:30</time>'
        assert at_place(landing, "America/Denver", "short") == (
            '<time datetime="2027-03-01T18:30:00Z">01.03.27, 11:30</time>'
            ' <small class="muted">(in Ihrer Zeitzone: 01.03.27, 18:30)</small>')
        # London keeps UTC's time in winter: the reader's own would say the same again.
        assert at_place(landing, "Europe/London", "short") == (
            '<time datetime="2027-03-01T18:30:00Z">01.03.27, 18:30</time>')
        summer = utc(2027, 7, 1, 18, 30)
        assert at_place(summer, "Europe/London", "short").endswith(
            ' <small class="muted">(in Ihrer Zeitzone: 01.07.27, 18:30)</small>')


# The day's tables as the template wrote them before they were written in Python: the rows must
# come out the same, character for character (escaping, translations, the chosen flight, a flag).
_TEMPLATE_ROWS = """
{%- for m in departures %}
      <tr>
        <th scope="row"><a href="{{ booking_url(m.reference) }}">{{ m.tourist }}</a></th>
        <td>{{ at_place(m.at, m.timezone, "short") }}</td>
        <td>{{ m.flight_number }} · {{ m.place }}</td>
        <td>{{ m.flight_name }}</td>
      </tr>
    {% endfor -%}
|{%- for s in missing %}
      <tr class="missing">
        <th scope="row"><a href="{{ booking_url(s.reference) }}">{{ s.tourist }}</a></th>
        <td>{{ s.flight_name }} · {{ s.launch_at | d("medium") }}</td>
        <td>{% for m in s.tourist_missing %}<span class="badge badge-action">{{ travel_labels.MISSING[m] }}</span> {% endfor %}</td>
        <td>{{ medical_badges.get(s.medical, '') }}</td>
      </tr>
    {% endfor -%}
|{%- for seg in segments %}
      <tr class="unconfirmed">
        <th scope="row"><a href="{{ segment_url(seg.id) }}">{{ travel_labels.KINDS[seg.kind] }}: {{ segment_what(seg) }}</a></th>
        <td>{{ seg.starts_at | dt("short", seg.start_timezone) }}</td>
        <td>{{ seg.tourist }}</td>
        <td>{{ segment_status(seg) }}{% if seg.flag %} <span class="segment-flag">{{ travel_labels.FLAGS[seg.flag] }}</span>{% endif %}</td>
      </tr>
    {% endfor -%}
|{% for f in flights %}<option value="{{ f.id }}" {% if f.id == flight_id %}selected{% endif %}>{{ f.name }} · {{ f.launch_at | d("medium") }}</option>{% endfor %}"""

_PYTHON_ROWS = """{{ departure_rows(departures, booking_url) }}|{{ missing_rows(missing, medical_badges, booking_url) }}\
|{{ segment_rows(segments, segment_url) }}|{{ flight_options(flights, flight_id) }}"""


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_days_rows_written_in_python_are_what_the_template_wrote(app, language):
    from app.travel.day import Movement, Owed
    from app.travel.status import Missing

    choice = namedtuple("choice", "id name launch_at")  # the filter's rows are hashable, as a Row is
    flight = choice(7, "Dawn <7> & co", utc(2027, 3, 5, 14, 0))
    other = choice(8, "Dusk", utc(2027, 3, 6, 23, 30))
    departures = [Movement(1, "CD-A&B", flight.name, "Ann <b>", utc(2027, 3, 8, 9, 0), "America/Denver", "UA <1>",
                           "ABQ & co", False),
                  Movement(2, "CD-2", other.name, "Bo", utc(2027, 3, 8, 9, 0), "UTC", "LH 2", "FRA", False)]
    missing = [Owed(1, "CD-A&B", flight.name, flight.launch_at, "Ann <b>", [Missing.ARRIVAL, Missing.DOCUMENT_EXPIRES],
                    "cleared"),
               Owed(2, "CD-2", other.name, other.launch_at, "Bo", [Missing.CONTACT], "not_yet")]
    segments = [
        SimpleNamespace(**{**vars(_segment(SegmentKind.TRANSFER, from_place="Hall <A>", vehicle="Van", phone="+1 5")),
                           "id": 3, "flag": "", "starts_at": utc(2027, 3, 4, 8, 0), "start_timezone": "Asia/Tokyo",
                           "tourist": "Ann <b>"}),
        SimpleNamespace(**{**vars(_segment(SegmentKind.HOTEL, title="Inn", address="1 Rd")), "id": 4,
                           "status": SegmentStatus.CONFIRMED, "flag": "ends_after_launch",
                           "starts_at": utc(2027, 3, 4, 8, 0), "start_timezone": "UTC", "tourist": "Bo"}),
        SimpleNamespace(**{**vars(_segment(SegmentKind.EVENT, title="Suit", from_place="Hangar")), "id": 5,
                           "flag": "an unknown flag", "starts_at": utc(2027, 3, 4, 8, 0), "start_timezone": "UTC",
                           "tourist": "Cy"}),
    ]
    context = dict(departures=departures, missing=missing, segments=segments, flights=[flight, other],
                   medical_badges={"cleared": Markup("<span>ok</span>")},
                   booking_url=lambda reference: f"/b/{reference}", segment_url=lambda id_: f"/s/{id_}")
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for flight_id in (None, 8, 99):
            expected = app.jinja_env.from_string(_TEMPLATE_ROWS).render(flight_id=flight_id, **context)
            assert app.jinja_env.from_string(_PYTHON_ROWS).render(flight_id=flight_id, **context) == expected
        assert "&lt;b&gt;" in expected and "A&amp;B" in expected and "selected" not in expected


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_small_selects_read_as_wtforms_select_wrote_them(app, language):
    """Age, kind of document and sex use the select that writes its options once per list (and
    language): each must come out as WTForms' own select writes it, with or without a choice, with
    the attributes the field macro adds on an error."""
    from wtforms.widgets import Select

    from blueprints.travel.forms import CompanionForm, DocumentForm

    with app.test_request_context("/", headers={"Accept-Language": language}):
        for form in (CompanionForm(formdata=None, prefix="c7"), DocumentForm(formdata=None)):
            for field in (f for f in form if f.name.endswith(("age_band", "document_type", "sex"))):
                for data in (None, *(value for value, _label in field.choices)):
                    field.data = data
                    for extra in ({}, {"aria-invalid": "true", "aria-describedby": f"{field.id}-error"}):
                        assert field(**extra) == Select()(field, **extra), (field.name, data, extra)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_python_field_writes_what_the_field_macro_writes(app, language):
    """The tourist's page writes its fields with the shared ``field`` (blueprints/forms.py), the
    ``field`` macro written in Python: for every field of travel's forms, with and without a hint,
    errors, another id or attributes, it must agree with the macro it replaced character for
    character (a checkbox too)."""
    from flask_wtf import FlaskForm
    from wtforms import BooleanField

    from blueprints.travel.forms import ArrivalForm, CompanionForm, ContactForm, DocumentForm, NeedsForm, SegmentForm

    class Agree(FlaskForm):
        agree = BooleanField("I <agree> & more")

    from tests.core.test_forms_html import FIELD_MACRO

    macro = app.jinja_env.from_string(FIELD_MACRO + "{{ field(f, hint=hint, **kw) }}")
    python = app.jinja_env.from_string('{% from "macros/forms.html" import field %}{{ field(f, hint=hint, **kw) }}')
    with app.test_request_context("/", headers={"Accept-Language": language}):
        forms = [ArrivalForm(formdata=None, prefix="a7"), CompanionForm(formdata=None, prefix="c7"),
                 ContactForm(formdata=None, prefix="contact"), DocumentForm(formdata=None), NeedsForm(formdata=None),
                 SegmentForm(formdata=None), Agree(formdata=None)]
        checked = 0
        for form in forms:
            for f in form:
                if f.type in ("CSRFTokenField", "RadioField"):
                    continue
                for hint in (None, "", "e.g. <b> & \"c\"", f.description or None):
                    for errors in ([], ["Too <long>", "Bad & worse"]):
                        for kw in ({}, {"autocomplete": "off", "rows": "2"}, {"id": "other-<id>", "type": "tel"}):
                            f.errors = list(errors)
                            expected = macro.render(f=f, hint=hint, kw=dict(kw))
                            assert python.render(f=f, hint=hint, kw=dict(kw)) == expected, (f.name, hint, errors, kw)
                            checked += 1
        assert checked > 500


# -- the tourist's page: the Python pieces give what the macros and WTForms gave --------------------------

_TIMELINE = ('{% from "travel/_macros.html" import timeline_item with context %}'
             '{% for segment in segments %}{{ timeline_item(segment) }}{% endfor %}')
_RADIOS = ('{% for choice in f %}<label><input {% if choice.checked %}checked {% endif %}id="{{ choice.id }}" '
           'name="{{ choice.name }}" type="radio" value="{{ choice._value() }}"> {{ choice.label.text }}</label>'
           '{% endfor %}')


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_tourists_timeline_fields_and_buttons_are_what_the_macros_and_wtforms_wrote(app, language):
    from datetime import date, datetime

    from flask import render_template_string
    from flask_babel import refresh

    from blueprints.forms import field
    from blueprints.travel.forms import ArrivalForm, CompanionForm, ContactForm, DocumentForm, NeedsForm
    from blueprints.travel.rendering import tourist_field, tourist_radios, tourist_timeline

    start, end = utc(2027, 3, 1, 18, 30), utc(2027, 3, 2, 9, 0)
    times = dict(starts_at=start, start_timezone="America/Denver", ends_at=end, end_timezone="Europe/Berlin")
    segments = [
        _segment(SegmentKind.FLIGHT, carrier="LH", number="400", from_place="FRA <1>", to_place="ABQ", notes="",
                 confirmation_code='X"<1>', flag="", **times),
        _segment(SegmentKind.HOTEL, status=SegmentStatus.CONFIRMED, title="Inn & Co", address="2nd", notes="a <b>",
                 confirmation_code="", flag="moved", **times),
        _segment(SegmentKind.TRANSFER, status=SegmentStatus.CANCELLED, from_place="A", vehicle="Van", phone="+1",
                 notes="", confirmation_code="", flag="", **{**times, "ends_at": None}),
        _segment(SegmentKind.EVENT, title="Fitting", notes="", confirmation_code="C1", flag="x", **times),
        _segment(SegmentKind.EVENT, title="Briefing", from_place="Hangar", notes="", confirmation_code="", flag="",
                 **{**times, "ends_at": None, "end_timezone": ""}),
    ]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        refresh()
        assert str(tourist_timeline(segments)) == render_template_string(_TIMELINE, segments=segments)
        arrival = ArrivalForm(formdata=None, prefix="a7")
        arrival.mode.data = "own"
        arrival.arrives_local.data = datetime(2027, 2, 27, 14, 5)
        arrival.flight_number.errors = ["Bad <number>", "and more"]
        document = DocumentForm(formdata=None)
        document.name_as_printed.data, document.expires_on.data = 'Ann "O\'Neil" <b>', date(2030, 1, 2)
        document.nationality.data, document.expires_on.errors = "DE", ["Expired"]
        needs = NeedsForm(formdata=None)
        needs.dietary.data = "vegan <no nuts>\nand more"
        needs.accessibility.errors = ["Too long"]
        forms = [arrival, document, needs, CompanionForm(formdata=None, prefix="c7"), ContactForm(formdata=None)]
        for form in forms:
            for f in form:
                if f.type in ("CSRFTokenField", "RadioField"):
                    continue
                for hint, kwargs in ((None, {}), ("e.g. <this>", {"autocomplete": "off"}),
                                     (None, {"type": "tel", "rows": "2"}), (None, {"id": "other"})):
                    assert tourist_field(f, hint, **dict(kwargs)) == field(f, hint, **dict(kwargs)), (f.name, hint)
        assert tourist_radios(arrival.mode) == render_template_string(_RADIOS, f=arrival.mode)
        arrival.mode.data = None
        assert tourist_radios(arrival.mode) == render_template_string(_RADIOS, f=arrival.mode)
