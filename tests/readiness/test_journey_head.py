"""Each booking's head on the journey written in Python (``blueprints/journey/rendering.
booking_head``, with its ``flight_change``) is the HTML ``journey/_bookings.html`` wrote with the
shared macros, byte for byte: every kind of flight change with and without a cause, every flight
status, held and confirmed, ready or not, and text that needs escaping."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import render_template_string

from app.models import BookingState, FlightStatus
from app.readiness import Gate, GateStatus, Readiness
from blueprints.journey.rendering import booking_head

AWKWARD = "<b>Tom & \"Jerry\"</b> 'quoted'"


_HEAD = """{% from "macros/ui.html" import booking_state, flight_change %}{% set b = r.booking %}\
<h2 id="b-{{ b.id }}"><a href="{{ url_for('booking.tourist.detail', reference=b.reference) }}">{{ b.flight.name }}</a></h2>
      <p class="muted">{{ b.reference }} · {{ booking_state(b.state) }} · {{ _("Launch %(date)s", date=b.flight.launch_at | dt("medium")) }} · {{ b.flight.spaceport }}</p>
      {{ flight_change(b.flight, change) }}
      {% if r.ready %}
        <p class="verdict verdict-ready">{{ _("Ready for flight.") }}</p>
      {% else %}
        <p class="verdict">{{ _("Steps done: %(done)s of %(total)s.", done=r.done_count, total=r.gates|length) }}</p>
        <progress value="{{ r.done_count }}" max="{{ r.gates|length }}" aria-label="{{ _('Progress') }}"></progress>
      {% endif %}"""


def _changes():
    """Every kind of flight change the macro words, with and without a cause, and none."""
    launch, earlier = datetime(2027, 3, 1, 14, 30, tzinfo=UTC), datetime(2027, 2, 20, 9, 5, tzinfo=UTC)
    made = datetime(2027, 2, 10, 23, 50, tzinfo=UTC)
    yield None
    for kind in ("scrubbed", "moved", "delayed", "cancelled", "status"):
        for cause in ("", "weather", "technical"):
            for previous in (earlier, launch):
                yield SimpleNamespace(kind=kind, cause=cause, launch_at=launch, previous_launch_at=previous,
                                      created_at=made)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_journeys_booking_head_is_the_templates_html(app, language):
    """``booking_head`` (and its ``flight_change``) write what ``journey/_bookings.html`` wrote with
    the shared macros, for every change, status, state and verdict, and text that needs escaping."""
    gates = [Gate("seat", "Seat", GateStatus.DONE, "Yes."), Gate("paid", "Paid", GateStatus.ACTION, "No.")]
    with app.test_request_context("/journey", headers={"Accept-Language": language}):
        for status in FlightStatus:
            for state in (BookingState.HELD, BookingState.CONFIRMED):
                for change in _changes():
                    flight = SimpleNamespace(name=AWKWARD, spaceport=AWKWARD, status=status,
                                             launch_at=datetime(2027, 3, 1, 14, 30, tzinfo=UTC))
                    booking = SimpleNamespace(id=7, reference="CD-A&B 1", state=state, flight=flight,
                                              holds_seat=lambda: True)
                    for shown in (gates, gates[:1]):
                        r = Readiness(booking, shown)
                        assert booking_head(r, change) == render_template_string(_HEAD, r=r, change=change)
