"""Privacy in the browser: a tourist downloads their data and asks for erasure (told first what it
would mean for their booking), operations refuse with a reason the tourist then reads; every page
passes axe-core, at desktop and phone widths."""

from __future__ import annotations

import io
import json
import re
import zipfile

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


def test_a_tourist_downloads_their_data_and_asks_for_erasure(visitor, another_visitor, people):
    ops, tourist, booking = people
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto("/account")
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    visitor.check("privacy-tourist", mobile=True)

    page.get_by_role("button", name="Prepare my data export").click()
    expect(page.get_by_text(re.compile(r"Your data export is ready\. The link works once"))).to_be_visible()
    visitor.check()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download my data")).click()
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as zf:
        assert json.loads(zf.read("account.json"))["profile"]["name"] == "Sally Ride"
        assert json.loads(zf.read("bookings.json"))["bookings"][0]["reference"] == booking.reference

    page.get_by_role("button", name="See what erasure would mean").click()
    expect(page.get_by_role("heading", name="Erase your data", level=1)).to_be_visible()
    visitor.check("privacy-erasure", mobile=True)
    expect(page.get_by_text("You have a live booking.")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"Your booking {booking.reference} on Kármán Dawn"))).to_be_visible()
    page.get_by_label("Why (optional)").fill("I am moving to another operator.")
    page.get_by_role("button", name="Ask us to erase my data").click()
    expect(page.get_by_text("Please confirm that you understand what erasure means for your bookings.")).to_be_visible()
    visitor.check()
    page.get_by_label(re.compile("I understand what erasure means")).check()
    page.get_by_role("button", name="Ask us to erase my data").click()
    expect(page.get_by_text("We have your request. Operations will answer it by the date shown.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw my request")).to_be_visible()
    visitor.check("privacy-requested", mobile=True)

    staff = another_visitor()
    staff.login(ops.email, PASSWORD)
    staff.goto("/ops/privacy")
    expect(staff.page.get_by_role("heading", name="Privacy", level=1)).to_be_visible()
    staff.check("privacy-operations", mobile=True)
    staff.page.get_by_role("link", name="Answer (Sally Ride)").click()
    expect(staff.page.get_by_text("I am moving to another operator.")).to_be_visible()
    staff.check("privacy-request", mobile=True)
    staff.page.get_by_role("button", name="Refuse").click()  # no reason given
    expect(staff.page.get_by_text("This field is required.")).to_be_visible()
    staff.check()
    staff.page.get_by_label("Why the request is refused (the tourist reads this)").fill(
        "Your refund is still on its way; we must keep the payment records until it arrives.")
    staff.page.get_by_role("button", name="Refuse").click()
    expect(staff.page.get_by_text("Refused. The tourist is told your reason.")).to_be_visible()
    staff.check()
    staff.page.get_by_role("link", name="The log of every export, erasure and retention run").click()
    expect(staff.page.get_by_role("cell", name="Erasure refused")).to_be_visible()
    staff.check("privacy-log", mobile=True)

    visitor.goto("/account/privacy")
    expect(page.get_by_text("Your refund is still on its way")).to_be_visible()
    visitor.check()
