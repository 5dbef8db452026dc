"""Travel in the browser: a tourist gives their arrival details, an emergency contact and their
passport; the coordinator confirms the hotel of their itinerary; the journey's travel gate passes.
Every page is checked by axe-core, at desktop and phone width; the tourist's in German too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.extensions import db
from app.models import Role, User
from app.travel import itinerary
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def gate(page, label: str):
    return page.locator("li.gate").filter(has=page.get_by_text(label, exact=True))


@pytest.fixture
def trip(make_committed):
    """A tourist with a confirmed seat six weeks out, a pending hotel in their itinerary, and a
    coordinator."""
    with seeding():
        tourist = make_committed.user(name="Ada Lovelace", email="ada@example.com", timezone="Europe/London")
        booking = make_committed.booking(tourist, days=42, name="Kármán Twilight", vehicle="Suborbital spaceplane SV-2",
                                         spaceport="Spaceport America, New Mexico")
        coordinator = make_committed.user(Role.LOGISTICS, name="Valentina Rossi", email="vr@example.com",
                                          timezone="America/Denver")
        launch = booking.flight.launch_at
        itinerary.add_segment(booking, itinerary.SegmentData(
            kind="hotel", status="pending", title="Hotel Encanto", address="705 S Telshor Blvd, Las Cruces",
            starts_local=(launch - timedelta(days=3)).replace(tzinfo=None), start_timezone="America/Denver",
            ends_local=(launch + timedelta(days=1)).replace(tzinfo=None), end_timezone="America/Denver"), coordinator)
    return tourist, booking, coordinator


def test_the_tourist_gives_their_details_the_coordinator_confirms_and_the_gate_passes(visitor, another_visitor, trip):
    tourist, booking, coordinator = trip
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    travel_gate = gate(page, "Travel confirmed")
    expect(travel_gate).to_contain_text("Still to give")
    travel_gate.get_by_role("link", name=re.compile("Give your travel details")).click()
    expect(page.get_by_role("heading", name="Your travel", level=1)).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Hotel Encanto")
    visitor.check("travel-tourist", mobile=True)

    section = page.locator(f"#booking-{booking.reference}")
    section.get_by_label("The operator arranges my journey to the spaceport").check()
    section.get_by_role("button", name="Save arrival details").click()
    expect(page.get_by_text("Your arrival details are saved.")).to_be_visible()
    visitor.check()

    contacts = page.locator("#contacts")
    contacts.get_by_label("Name").fill("Charles Babbage")
    contacts.get_by_label("Who they are to you").fill("friend")
    contacts.get_by_label("Phone, with the country code").fill("020 7946 0018")  # no country code
    contacts.get_by_role("button", name="Save the contact").click()
    expect(page.locator("#contacts .field-error")).to_contain_text("country code")
    visitor.check("travel-contact-error")
    page.locator("#contacts").get_by_label("Phone, with the country code").fill("+44 20 7946 0018")
    page.locator("#contacts").get_by_role("button", name="Save the contact").click()
    expect(page.get_by_text("Your emergency contact is saved.")).to_be_visible()
    visitor.check()

    document = page.locator("#document")
    document.get_by_label("Full name as printed in the document").fill("ADA LOVELACE")
    document.get_by_label("Document number").fill("533 987 112")
    document.get_by_label("Nationality").select_option("GB")
    document.get_by_label("Issuing country").select_option("GB")
    expires = (booking.flight.launch_at + timedelta(days=2000)).date()
    document.get_by_label("Expires on").fill(expires.isoformat())
    document.get_by_label("Date of birth").fill("1985-12-10")
    document.get_by_label("Sex, as in the document").select_option("F")
    document.get_by_role("button", name="Save the document").click()
    expect(page.get_by_text("Your travel document is saved.")).to_be_visible()
    expect(page.locator("#document")).to_contain_text("ending in 7112")
    visitor.check()

    visitor.goto("/journey")
    expect(gate(page, "Travel confirmed")).to_contain_text("0 of 1 confirmed")

    # The coordinator lands on the day, opens the tourist's file and confirms the hotel.
    desk = another_visitor()
    desk.login(coordinator.email, PASSWORD)
    assert desk.path() == "/logistics"
    expect(desk.page.get_by_role("heading", name="Arrivals and departures", level=1)).to_be_visible()
    desk.check("travel-logistics-day", mobile=True)
    desk.page.get_by_role("link", name="Travel by flight").click()
    expect(desk.page.get_by_role("heading", name="Travel by flight", level=1)).to_be_visible()
    desk.check("travel-logistics-flights")
    desk.page.get_by_role("link", name="Kármán Twilight").click()
    expect(desk.page.get_by_role("heading", name="Kármán Twilight", level=1)).to_be_visible()
    desk.check("travel-logistics-flight", mobile=True)
    desk.page.get_by_role("link", name="Ada Lovelace").click()
    expect(desk.page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    expect(desk.page.locator(".facts")).to_contain_text("533987112")
    desk.check("travel-logistics-file", mobile=True)
    desk.page.locator("#itinerary").get_by_role("link", name=re.compile("Change")).click()
    desk.page.get_by_label("Status").select_option("confirmed")
    desk.page.get_by_label("Supplier's confirmation code").fill("ENC-88412")
    desk.check("travel-logistics-segment")
    desk.page.get_by_role("button", name="Save").click()
    expect(desk.page.get_by_text("Saved; Ada Lovelace is told.")).to_be_visible()
    desk.check()

    # The tourist's journey: travel confirmed. Then the travel page in German.
    visitor.goto("/journey")
    expect(gate(page, "Travel confirmed").locator(".badge")).to_have_text("Done")
    with db.engine.begin() as conn:
        conn.execute(update(User).where(User.id == tourist.id).values(language="de"))
    visitor.goto("/travel", shot="travel-tourist-de", mobile=True)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Your travel")
    expect(page.locator(".timeline")).to_contain_text("ENC-88412")
