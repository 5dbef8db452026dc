"""How pages look beyond the default desktop browser: a dark colour-scheme preference, and a phone
(one row of header, payments without sideways scrolling, long German headings, staff tables)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, MOBILE, assert_accessible, screenshot, seeding
from tests.conftest import PASSWORD

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


# -- on a phone ---------------------------------------------------------------------------------

def _rows(page, selector: str) -> int:
    """How many lines the visible children of ``selector`` take."""
    return page.evaluate(
        """(selector) => new Set([...document.querySelector(selector).children]
            .filter(el => el.getClientRects().length)
            .map(el => Math.round(el.getBoundingClientRect().top / 8))).size""",
        selector,
    )


@pytest.fixture
def phone_world(make_committed):
    """A tourist (German) with a paid deposit, and a submitted health questionnaire in the queue."""
    from datetime import timedelta

    from app.models import Role
    from app.services import bookings as booking_service
    from app.services import consent, payments
    from app.services import questionnaires as qs
    from app.timeutil import now_utc

    with seeding():
        ops = make_committed.user(Role.OPERATIONS)
        medic = make_committed.user(Role.MEDICAL, email="medic-phone@example.com")
        tourist = make_committed.user(Role.TOURIST, email="phone@example.com", name="Sally Ride")
        document = make_committed.consent_document(actor=ops)
        flight = make_committed.flight(name="Stratos Sunrise", launch_at=now_utc() + timedelta(days=200))
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, document_id=document.id, signed_name="Sally Ride",
                     ip_address="127.0.0.1", user_agent="test")
        payments.pay_in_sandbox(payments.start_deposit(booking, tourist), "4242424242424242")
        make_committed.medical_case(tourist, make_committed.questionnaire())
    return tourist, medic, booking


def test_on_a_phone_the_menu_is_one_row_and_the_receipt_is_in_view(visitor, phone_world):
    tourist, _medic, booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto(f"/bookings/{booking.reference}", shot="booking-payments", mobile=True)
    page.set_viewport_size(MOBILE)
    try:
        assert _rows(page, ".site-header nav") == 1, "the header wraps on a phone"
        receipt = page.get_by_role("main").get_by_role("link", name=re.compile("^Receipt"))
        expect(receipt).to_be_visible()
        box = receipt.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
        # The other links are one tap away, behind "Menu", and reachable by keyboard.
        header = page.locator(".site-header")
        expect(header.get_by_role("link", name="My journey")).to_be_hidden()
        expect(header.get_by_role("link", name="Notifications")).to_be_visible()
        header.get_by_text("Menu", exact=True).click()
        expect(header.get_by_role("link", name="My journey")).to_be_visible()
        expect(header.get_by_role("button", name="Log out")).to_be_visible()
        assert_accessible(page)
        screenshot(page, "phone-menu-open", width=MOBILE["width"])
    finally:
        page.set_viewport_size(DESKTOP)


def test_a_long_german_heading_fits_a_phone(visitor, phone_world):
    tourist, _medic, _booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    page.get_by_role("contentinfo").get_by_label("Language").select_option("de")
    page.get_by_role("contentinfo").get_by_role("button").click()
    visitor.check()
    visitor.goto("/account/notifications", shot="de-notification-settings", mobile=True)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.set_viewport_size(MOBILE)
    try:
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Benachrichtigungseinstellungen")
        style = heading.evaluate("h => [getComputedStyle(h).hyphens, h.scrollWidth, h.clientWidth]")
        assert style[0] == "auto" and style[1] <= style[2], style
        assert _rows(page, ".site-header nav") == 1
    finally:
        page.set_viewport_size(DESKTOP)


def test_the_review_queue_scrolls_in_a_labelled_box_on_a_phone(visitor, phone_world):
    _tourist, medic, _booking = phone_world
    page = visitor.page
    visitor.login(medic.email, PASSWORD)
    # check(mobile=True) runs axe-core at 390 px too: scrollable-region-focusable included.
    visitor.goto("/medical/queue", shot="medical-queue", mobile=True)
    box = page.get_by_role("region", name="Medical review queue")
    expect(box).to_have_attribute("tabindex", "0")
    page.set_viewport_size(MOBILE)
    try:
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the queue fits; no box needed"
        expect(page.get_by_text("Scroll sideways to see every column.")).to_be_visible()
    finally:
        page.set_viewport_size(DESKTOP)
