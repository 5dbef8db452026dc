"""The flight catalog: htmx filters that swap results in place, push the URL, restore history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.seed import seed_demo
from tests.browser.support import seeding

pytestmark = pytest.mark.browser


def cards(page):
    return page.locator("#results .flight-card h2")


def test_filters_update_the_results_in_place_and_history_restores_full_pages(visitor):
    with seeding():
        seed_demo()
    page = visitor.page
    visitor.goto("/flights", shot="catalog", mobile=True)
    expect(page.get_by_role("heading", name="Upcoming flights", level=1)).to_be_visible()
    expect(page.locator("#results .result-count")).to_have_text("5 flights")
    sold_out = page.locator(".flight-card").filter(has_text="Kármán Twilight")
    expect(sold_out.get_by_text("Sold out")).to_be_visible()

    visitor.set_marker()
    filters = page.get_by_role("search", name="Filter flights")

    filters.get_by_label("Spaceport").select_option("Esrange Space Center, Sweden")
    expect(page.locator("#results .result-count")).to_have_text("1 flight")
    expect(cards(page)).to_have_text(["Polar Light"])
    expect(page).to_have_url(re.compile(r"spaceport=Esrange"))
    assert visitor.marker_kept(), "filtering reloaded the whole page"
    visitor.check("catalog-filtered")

    filters.get_by_label("Spaceport").select_option("")
    expect(page.locator("#results .result-count")).to_have_text("5 flights")
    visitor.check()
    filters.get_by_label("Vehicle").select_option("Suborbital spaceplane SV-2")
    expect(cards(page)).to_have_text(["Kármán Twilight", "Kármán Dawn"])
    expect(page).to_have_url(re.compile(r"vehicle=Suborbital"))
    visitor.check()

    filters.get_by_label("Only flights with seats left").check()
    expect(cards(page)).to_have_text(["Kármán Dawn"])
    expect(page).to_have_url(re.compile(r"vehicle=Suborbital.*&available=1"))
    assert visitor.marker_kept(), "filtering reloaded the whole page"
    visitor.check()
    # One page, not a page inside a page.
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("#results")).to_have_count(1)

    # Back: htmx asks the server for the earlier URL; it must get the whole page, not the fragment.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"available=1"))
    expect(cards(page)).to_have_text(["Kármán Twilight", "Kármán Dawn"])
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.get_by_role("heading", name="Upcoming flights", level=1)).to_be_visible()
    expect(page.locator("footer.site-footer")).to_have_count(1)
    expect(filters.get_by_label("Vehicle")).to_have_value("Suborbital spaceplane SV-2")
    expect(filters.get_by_label("Only flights with seats left")).not_to_be_checked()
    visitor.check()

    page.go_forward()
    expect(page).to_have_url(re.compile(r"available=1"))
    expect(cards(page)).to_have_text(["Kármán Dawn"])
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(filters.get_by_label("Only flights with seats left")).to_be_checked()
    visitor.check()

    # The filtered URL works on its own, as a bookmark or a shared link.
    visitor.goto(visitor.path())
    expect(cards(page)).to_have_text(["Kármán Dawn"])
    expect(filters.get_by_label("Vehicle")).to_have_value("Suborbital spaceplane SV-2")

    # Nothing matches: say so.
    filters.get_by_label("Spaceport").select_option("Esrange Space Center, Sweden")
    expect(page.get_by_text("No flights match these filters.")).to_be_visible()
    visitor.check("catalog-empty")


def test_an_anonymous_visitor_sees_a_flight_and_is_asked_to_log_in(visitor):
    with seeding():
        seed_demo()
    page = visitor.page
    visitor.goto("/flights")
    # "Details" is a link styled as a button, named after its flight for screen readers.
    page.get_by_role("button", name="Details of Aurora Orbit 3").click()
    expect(page.get_by_role("heading", name="Aurora Orbit 3", level=1)).to_be_visible()
    expect(page.get_by_text("Three days in low Earth orbit with a cupola")).to_be_visible()
    expect(page.get_by_text("Log in or create an account to hold a seat.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in to book")).to_be_visible()
    visitor.check("flight-detail-anonymous", mobile=True)

    visitor.goto("/flights/999999")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    visitor.check("not-found")
