"""How pages look beyond the default desktop browser: a dark colour-scheme preference."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import seeding

pytestmark = pytest.mark.browser


def test_a_dark_mode_preference_keeps_the_readable_light_theme(another_visitor, make_committed):
    """The app's colours are made for a light page; Pico must not switch to dark under them."""
    with seeding():
        make_committed.flight(name="Night Owl")
    visitor = another_visitor(color_scheme="dark")
    visitor.goto("/flights", shot="catalog-dark-preference")
    expect(visitor.page.locator(".flight-card").filter(has_text="Night Owl")).to_be_visible()
    background = visitor.page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(255, 255, 255)", f"the page turned dark ({background})"
