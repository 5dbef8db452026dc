"""The travel rows' small pieces of HTML (blueprints/travel/rendering.py): user text escaped, the
reader's own time added when the place's zone differs, translated like the templates' ``_()``."""

from __future__ import annotations

from types import SimpleNamespace

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
