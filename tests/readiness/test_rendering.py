"""The journey's checklist written in Python (``blueprints/journey/rendering.py``) is the shared
``checklist`` macro's HTML, byte for byte, for every status, a link to the page itself, a passed
gate with a link, and text that needs escaping."""

from types import SimpleNamespace

import pytest
from flask import render_template_string

from app.readiness import Gate, GateStatus, Readiness
from blueprints.flightops.rendering import status_names
from blueprints.journey.rendering import checklist

AWKWARD = "<b>Tom & \"Jerry\"</b> 'quoted'"


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_journeys_checklist_is_the_macros_html(app, language):
    gates = [
        Gate("seat", "Seat confirmed", GateStatus.DONE, "Your seat is confirmed."),
        Gate("paid", AWKWARD, GateStatus.ACTION, AWKWARD, "/bookings/CD-1?a=1&b=<2>", AWKWARD),
        Gate("travel", "Travel confirmed", GateStatus.WAITING, "Building.", "/journey", "Open"),  # this page
        Gate("consent", "Consent", GateStatus.DONE, "Signed.", "/bookings/CD-1", "See"),  # passed: no link
        Gate("medical", "Medical", GateStatus.BLOCKED, "Not cleared.", "/medical", "Open your medical page"),
        Gate("briefings", "Briefings", GateStatus.OVERRIDDEN, "Waived.", None, None),
    ]
    verdict = Readiness(SimpleNamespace(holds_seat=lambda: True), gates)
    with app.test_request_context("/journey", headers={"Accept-Language": language}):
        macro = render_template_string('{% from "macros/ui.html" import checklist %}{{ checklist(r) }}', r=verdict)
        assert checklist(verdict, status_names(), "/journey") == macro
        empty = Readiness(SimpleNamespace(holds_seat=lambda: True), [])
        assert checklist(empty, status_names(), "/journey") == render_template_string(
            '{% from "macros/ui.html" import checklist %}{{ checklist(r) }}', r=empty)
