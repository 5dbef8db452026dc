"""The desk in the browser: a tourist asks from their journey page ("Ask us"), operations answer
from the inbox, the tourist reads the answer and rates it; every page passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def people(make_committed):
    make = make_committed
    with seeding():
        ops = make.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
        tourist = make.user(name="Sally Ride", email="sally@example.com")
        booking = make.booking(tourist, name="Kármán Dawn")
    return ops, tourist, booking


def test_a_tourist_asks_from_the_journey_staff_answer_and_the_tourist_rates(visitor, another_visitor, people):
    ops, tourist, booking = people
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto("/journey")
    page.get_by_role("link", name="Ask us").first.click()
    expect(page.get_by_role("heading", name="Ask us", level=1)).to_be_visible()
    visitor.check("desk-ask", mobile=True)
    page.get_by_role("button", name="Send my question").click()  # nothing filled in
    expect(page.get_by_text("Please correct the fields marked below.")).to_be_visible()
    visitor.check()
    page.get_by_label("What is it about?").select_option("booking")
    page.get_by_label("Which booking?").select_option(booking.reference)
    page.get_by_label("Subject").fill("Paying by bank transfer")
    page.get_by_label("Your question").fill("Can I pay the balance by bank transfer instead of by card?")
    page.get_by_role("button", name="Send my question").click()
    expect(page.get_by_text(re.compile(r"Your question was sent\. We will answer by"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"We have your message\. Expect an answer by"))).to_be_visible()
    visitor.check("desk-thread", mobile=True)

    staff = another_visitor()
    staff.login(ops.email, PASSWORD)
    staff.goto("/desk")
    expect(staff.page.get_by_role("heading", name="Desk", level=1)).to_be_visible()
    staff.check("desk-inbox", mobile=True)
    staff.page.get_by_role("link", name="Paying by bank transfer").click()
    expect(staff.page.get_by_text("Sally Ride").first).to_be_visible()
    staff.check("desk-conversation", mobile=True)
    staff.page.get_by_label("Internal note").fill("Wire transfers need the finance team's approval.")
    staff.page.get_by_role("button", name="Add the note").click()
    expect(staff.page.get_by_text("Your note was added. The tourist does not see it.")).to_be_visible()
    staff.check()
    staff.page.get_by_label("Reply to the tourist").fill("Yes: the bank details are on your booking's payment page.")
    staff.page.get_by_label("Resolve the conversation with this answer").check()
    staff.page.get_by_role("button", name="Send the answer").click()
    expect(staff.page.get_by_text("Your answer was sent and the conversation is resolved.")).to_be_visible()
    staff.check()
    staff.goto("/desk/report")
    expect(staff.page.get_by_role("heading", name="The desk's weekly figures", level=1)).to_be_visible()
    staff.check("desk-report", mobile=True)

    visitor.goto("/conversations")
    expect(page.get_by_text("Closed")).to_be_visible()
    page.get_by_role("link", name="Paying by bank transfer").click()
    expect(page.get_by_text("Yes: the bank details are on your booking's payment page.")).to_be_visible()
    expect(page.get_by_text("finance team")).to_have_count(0)
    expect(page.get_by_role("heading", name="This conversation is closed. How did we do?")).to_be_visible()
    visitor.check()
    page.get_by_role("button", name="5 · Excellent").click()
    expect(page.get_by_text("Thank you for your rating.")).to_be_visible()
    expect(page.get_by_role("heading", name="You rated our answer: Excellent")).to_be_visible()
    visitor.check()
