"""Operations at work: a new flight, a new consent version that must be signed again, an answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.booking import bookings as booking_service
from app.desk import conversations as desk
from app.documents import consent
from app.models import Role, Topic
from app.timeutil import now_utc
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

QUESTION = "Is there a doctor on board during the ascent?"
ANSWER = "No, but the crew are trained in first aid and a flight surgeon follows the flight live."
CHANGE = "Added the parachute drop test results."


def gate(page, label: str):
    return page.locator("li.gate").filter(has=page.get_by_text(label, exact=True))


@pytest.fixture
def signed_tourist(make_committed):
    """An operations account; a tourist who holds a seat, signed version 1 and asked a question."""
    with seeding():
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com",
                                  timezone="Europe/Berlin")
        tourist = make_committed.user(Role.TOURIST, name="Sally Ride", email="sally@example.com")
        document = make_committed.consent_document(actor=ops)
        flight = make_committed.flight(name="Stratos Sunrise", seat_count=8)
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, version_id=document.id, signed_name="Sally Ride",
                     ip_address="127.0.0.1", user_agent="test")
        desk.start(tourist, topic=Topic.DOCUMENTS, subject="Risk disclosure (v1)", body=QUESTION, booking=booking,
                   document_id=document.document_id, document_version_id=document.id)
    return ops, tourist, booking


def test_operations_runs_flights_consent_and_questions(visitor, another_visitor, signed_tourist):
    ops, tourist, booking = signed_tourist
    page = visitor.page

    # Before: the tourist's consent is done.
    tourist_view = another_visitor()
    tourist_view.login(tourist.email, PASSWORD)
    consent_gate = gate(tourist_view.page, "Informed consent signed")
    expect(consent_gate.locator(".badge")).to_have_text("Done")

    # Operations logs in and lands on the flights.
    visitor.login(ops.email, PASSWORD)
    assert visitor.path() == "/ops/flights"
    expect(page.get_by_role("heading", name="Flights", level=1)).to_be_visible()
    visitor.check("ops-flights", mobile=True)

    # A new flight, with its launch given in the operator's own time zone (Europe/Berlin).
    page.get_by_role("button", name="New flight").click()
    expect(page.get_by_role("heading", name="New flight", level=1)).to_be_visible()
    visitor.check("ops-flight-new", mobile=True)
    launch = (now_utc() + timedelta(days=200)).date()
    form = page.get_by_role("main")
    form.get_by_label("Mission name").fill("Lunar Loop 1")
    form.get_by_label("Vehicle").fill("Crew capsule Selene")
    form.get_by_label("Spaceport").fill("Spaceport Cornwall")
    form.get_by_label("Description (in English)").fill("A week around the Moon and back.")
    closes = launch + timedelta(days=2)
    form.get_by_label("Planned launch (window opens)").fill(f"{launch.isoformat()}T14:30")
    form.get_by_label("Launch window closes").fill(f"{closes.isoformat()}T14:30")
    form.get_by_label("Seats for tourists").fill("4")
    form.get_by_label("Currency").select_option("EUR")
    form.get_by_label("Ticket price").fill("250000")
    form.get_by_label("Deposit", exact=True).fill("50000")
    form.get_by_label("Non-refundable part of the deposit").fill("10000")
    form.get_by_label("Balance due (days before launch)").fill("60")
    page.get_by_role("button", name="Create flight").click()

    expect(page.get_by_text("Flight Lunar Loop 1 created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lunar Loop 1", level=1)).to_be_visible()
    heading_line = page.locator("hgroup p")
    expect(heading_line).to_contain_text("Crew capsule Selene · Spaceport Cornwall")
    expect(heading_line).to_contain_text("2:30")  # shown back in Europe/Berlin, as typed
    expect(heading_line).to_contain_text("Central European")
    expect(page.get_by_text("No bookings yet.")).to_be_visible()
    visitor.check("ops-flight")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Flights").click()
    row = page.get_by_role("row").filter(has_text="Lunar Loop 1")
    expect(row).to_contain_text("4 / 4")
    expect(page.get_by_role("row").filter(has_text="Stratos Sunrise")).to_contain_text("7 / 8")
    visitor.check()
    visitor.set_marker()
    page.get_by_role("link", name="All, including flown and cancelled").click()
    expect(page).to_have_url(re.compile(r"show=all"))
    all_tab = page.get_by_role("link", name="All, including flown and cancelled")
    expect(all_tab).to_have_attribute("aria-current", "page")
    expect(all_tab).to_be_focused()
    expect(page.get_by_role("link", name="Upcoming")).not_to_have_attribute("aria-current", "page")
    expect(page.get_by_role("row").filter(has_text="Lunar Loop 1")).to_have_count(1)
    assert visitor.marker_kept()
    visitor.check()

    # A new consent version that everyone must sign again.
    page.get_by_role("link", name="Documents", exact=True).click()
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()
    visitor.check("ops-documents", mobile=True)
    page.get_by_role("link", name=re.compile("Risk disclosure")).click()
    body = page.locator("textarea[name=body_en]")
    body.fill(body.input_value() + "\n\n6. Parachute tests. The drop test results are attached.")
    page.locator("textarea[name=summary_en]").fill(CHANGE)  # each language has its own
    page.get_by_label(re.compile("A material change")).check()
    visitor.check("ops-document")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("1 tourist who accepted an earlier version will have to accept this one again.")).to_be_visible()
    expect(page.get_by_text("6. Parachute tests.", exact=False)).to_be_visible()
    visitor.check("ops-document-preview", mobile=True)
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("Version 2 is published.")).to_be_visible()
    version_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Version 2"))
    expect(version_row).to_contain_text("Material: accepted again by all")
    visitor.check()
    page.get_by_role("link", name="Version 2").click()
    expect(page.get_by_text("Material: accepted again by all")).to_be_visible()
    expect(page.get_by_text(CHANGE)).to_be_visible()
    visitor.check("ops-document-version")

    # The question, answered at the desk.
    page.get_by_role("link", name="Desk").click()
    expect(page.get_by_role("heading", name="Desk", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Risk disclosure (v1)")
    expect(row).to_contain_text("Sally Ride")
    expect(row).to_contain_text("Documents")
    visitor.check("ops-questions")
    row.get_by_role("link", name="Risk disclosure (v1)").click()
    expect(page.get_by_text(QUESTION)).to_be_visible()
    visitor.check()
    page.get_by_label("Reply to the tourist").fill(ANSWER)
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer was sent.")).to_be_visible()
    expect(page.locator(".desk-message-staff")).to_contain_text(ANSWER)
    visitor.check("ops-questions-answered")

    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff accounts", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Gene Kranz")).to_contain_text("Operations")
    visitor.check("ops-staff")

    # The tourist's journey now asks for a new signature, and the answer is on the consent page.
    tp = tourist_view.page
    tourist_view.goto("/journey")
    consent_gate = gate(tp, "Informed consent signed")
    expect(consent_gate.locator(".badge")).to_have_text("To do")
    expect(consent_gate).to_contain_text("Version 2 of the risk disclosure must be signed again.")
    expect(gate(tp, "Seat confirmed").locator(".badge")).to_have_text("To do")
    tourist_view.check("journey-resign")
    consent_gate.get_by_role("link", name=re.compile("Read and sign")).click()
    expect(tp.get_by_role("heading", name=re.compile("Risk disclosure"), level=1)).to_be_visible()
    expect(tp.get_by_text(CHANGE)).to_be_visible()
    expect(tp.locator(".diff ins").filter(has_text="6. Parachute tests.")).to_have_count(1)
    expect(tp.get_by_role("button", name="Sign version 2")).to_be_visible()
    answered = tp.locator("#questions .qa-list li").filter(has_text=QUESTION)
    expect(answered).to_contain_text("Open the conversation")
    expect(answered.locator(".answer")).to_contain_text(ANSWER)
    tourist_view.check("consent-resign")

    # The new flight is in the catalog.
    tourist_view.goto("/flights")
    new_card = tp.locator("#results .flight-card").filter(has_text="Lunar Loop 1")
    expect(new_card).to_contain_text("€250,000.00")
    tourist_view.check()
