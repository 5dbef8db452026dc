"""A table's link per row, the route looked up once (app.urls.url_maker): the same address
url_for gives, for text and for numbers, quoted as Werkzeug quotes a path segment."""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import BuildError

from app.urls import link, same_link, url_maker


def test_url_maker_gives_what_url_for_gives(app):
    with app.test_request_context("/"):
        booking = url_maker("travel.logistics.booking", "reference")
        for reference in ("CD-7K2M9Q", "a b/ü?&#", "12"):
            assert booking(reference) == url_for("travel.logistics.booking", reference=reference)
        segment = url_maker("travel.logistics.segment", "segment_id")
        assert segment(7) == url_for("travel.logistics.segment", segment_id=7) == "/logistics/segments/7"
        evidence = url_maker("documents.operations.evidence", "acceptance_id")
        assert evidence(2147483646) == url_for("documents.operations.evidence", acceptance_id=2147483646)
        with pytest.raises(BuildError):
            url_maker("travel.logistics.booking", "no_such_argument")
        with pytest.raises(BuildError):  # a query argument is not a path segment
            url_maker("travel.logistics.booking", "page", reference="CD-1")


def test_link_gives_what_url_for_gives_under_any_site_root(app):
    """``link`` keeps a route's maker per process: the address must still follow the site root
    the app is served under, and the other values of the route."""
    for root in ("", "/countdown"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for reference in ("CD-7K2M9Q", "a b/ü?&#"):
                assert link("payments.operations.booking", "reference", reference) == url_for(
                    "payments.operations.booking", reference=reference)
            for flight_id in (1, 2):  # a value besides the row's: a maker each
                assert link("flightops.readiness.gate", "reference", "CD-1", flight_id=flight_id, key="paid") == url_for(
                    "flightops.readiness.gate", flight_id=flight_id, reference="CD-1", key="paid")


def test_same_link_is_built_once_per_request(app, monkeypatch):
    with app.test_request_context("/"):
        first = same_link("training.operations.index", flight=4)
        monkeypatch.setattr("app.urls.url_for", lambda *a, **k: pytest.fail("built again"))
        assert same_link("training.operations.index", flight=4) == first == "/ops/training?flight=4"


def test_url_maker_quotes_as_quote_does_for_awkward_values(app):
    """Numbers and plain references skip quote(): for every kind of value the link is what
    quote() of its text gives."""
    import enum
    from urllib.parse import quote

    from markupsafe import Markup

    class Kind(enum.IntEnum):
        ONE = 1

    with app.test_request_context("/"):
        booking = url_maker("travel.logistics.booking", "reference")
        head = url_for("travel.logistics.booking", reference="MARK").rpartition("MARK")[0]
        for value in ("CD-7K2M9Q", "", "-", "a_b", "a.b", "~x", "a b", "ü", "١٢٣", "Ⅻ", "a/b", "x?y#z", "%41",
                      Markup("<b>&"), 0, -5, 2**70, True, Kind.ONE, 1.5):
            assert booking(value) == head + quote(str(value), safe="!$&'()*+,/:;=@"), value
        assert booking("CD-7K2M9Q") == url_for("travel.logistics.booking", reference="CD-7K2M9Q")
