"""A tourist holds a seat, asks about the risks, signs the informed consent, sees the journey."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.seed import seed_demo
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def gate(page, label: str):
    return page.locator("li.gate").filter(has=page.get_by_text(label, exact=True))


def test_hold_a_seat_ask_a_question_and_sign(visitor, make_committed):
    with seeding():
        seed_demo()
        tourist = make_committed.user(Role.TOURIST, name="Grace Hopper", email="grace@example.com")
    page = visitor.page

    # From the catalog to the flight; logging in from there comes back to it.
    visitor.goto("/flights")
    page.get_by_role("button", name="Details of Polar Light").click()  # a link styled as button
    expect(page.get_by_role("heading", name="Polar Light", level=1)).to_be_visible()
    visitor.check()
    page.get_by_role("button", name="Log in to book").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    visitor.login(tourist.email, PASSWORD)
    expect(page.get_by_role("heading", name="Polar Light", level=1)).to_be_visible()
    expect(page.get_by_text("8 seats left")).to_be_visible()
    visitor.check("flight-detail")

    page.get_by_role("button", name="Hold a seat").click()
    document_title = "Informed consent: spaceflight participant risk disclosure"
    expect(page.get_by_role("heading", name=document_title, level=1)).to_be_visible()
    held = page.get_by_text(re.compile(r"A seat is yours until .+\. Sign the informed consent"))
    expect(held).to_be_visible()
    reference, document = re.search(r"/bookings/([^/]+)/documents/(\d+)", page.url).groups()
    visitor.check("consent", mobile=True)

    # A question goes through htmx: the list below updates, the page stays.
    visitor.set_marker()
    questions = page.locator("#questions")
    questions.get_by_label("Your question").fill("Why?")
    questions.get_by_role("button", name="Send question").click()
    too_short = questions.get_by_text("Field must be between 5 and 4000 characters long.")
    expect(too_short).to_be_visible()
    expect(questions.get_by_label("Your question")).to_have_attribute("aria-invalid", "true")
    expect(questions.get_by_label("Your question")).to_be_focused()
    visitor.check()
    questions.get_by_label("Your question").fill("What happens if the balloon bursts at altitude?")
    questions.get_by_role("button", name="Send question").click()
    sent = questions.get_by_text("Your question was sent. The answer will appear here and in your conversations")
    expect(sent).to_be_visible()
    asked = questions.locator(".qa-list li")
    expect(asked).to_have_count(1)
    expect(asked).to_contain_text("What happens if the balloon bursts at altitude?")
    expect(asked).to_contain_text("Waiting for an answer.")
    expect(questions.get_by_label("Your question")).to_have_value("")
    assert visitor.marker_kept(), "asking a question reloaded the page"
    assert f"/bookings/{reference}/documents/{document}" in page.url
    visitor.check("consent-question")

    # Signing without the confirmations explains what is missing.
    page.get_by_role("button", name="Sign version 1").click()
    expect(page.get_by_text("Please correct the fields marked below.")).to_be_visible()
    expect(page.get_by_text("Please confirm that you have read it.")).to_be_visible()
    visitor.check("consent-errors")

    page.get_by_label("I have read and understood this document.").check()
    page.get_by_label(re.compile(r"I understand that the United States Government has not")).check()
    page.get_by_label(re.compile(r"I had the opportunity to ask questions, and I consent")).check()
    page.get_by_label("Type your full name to sign").fill("Grace Hopper")
    page.get_by_role("button", name="Sign version 1").click()

    expect(page.get_by_text("Thank you. Your signature is recorded.")).to_be_visible()
    assert visitor.path() == "/documents"
    expect(page.get_by_role("row", name=re.compile(document_title))).to_contain_text("Signed")
    visitor.check("documents", mobile=True)
    visitor.goto("/journey")
    journey = page.locator("article.journey-booking").filter(has_text="Polar Light")
    expect(journey).to_contain_text(reference)
    expect(gate(page, "Informed consent signed").locator(".badge")).to_have_text("Done")
    expect(gate(page, "Informed consent signed")).to_contain_text("Signed version 1 on")
    expect(gate(page, "Seat confirmed").locator(".badge")).to_have_text("To do")
    expect(journey.get_by_text("Steps done: 1 of 10.")).to_be_visible()
    visitor.check("journey", mobile=True)

    # The booking page shows the same checklist and the booking's history.
    journey.get_by_role("link", name="Polar Light").click()
    expect(page.get_by_role("heading", name="Polar Light", level=1)).to_be_visible()
    expect(page.get_by_text(f"Booking {reference}")).to_be_visible()
    expect(gate(page, "Informed consent signed").locator(".badge")).to_have_text("Done")
    visitor.check("booking", mobile=True)

    # The consent page now says it is signed.
    visitor.goto(f"/bookings/{reference}/consent")
    signed = page.get_by_text(re.compile(r"You signed version 1 on .+ as Grace Hopper\."))
    expect(signed).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Sign version"))).to_have_count(0)
    visitor.check("consent-signed")
