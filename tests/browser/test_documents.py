"""Documents in the browser: the demo tourist, reading in German, acknowledges the launch-day
timeline they have not read yet; operations see it done in the flight's documents table and open
the evidence. Every page is checked by axe-core, at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import Acceptance, Booking, Flight, User
from app.seed import DEMO_PASSWORD, seed_demo
from tests.browser.support import scalar, seeding

pytestmark = pytest.mark.browser


def test_a_briefing_read_in_german_and_acknowledged_shows_done_to_operations(visitor, another_visitor):
    with seeding():
        seed_demo()
    page = visitor.page

    visitor.login("tourist@example.com", DEMO_PASSWORD)
    with db.engine.begin() as conn:  # the tourist reads in German from now on
        conn.execute(update(User).where(User.email == "tourist@example.com").values(language="de"))
    visitor.goto("/documents")
    expect(page.get_by_role("heading", name="Ihre Dokumente", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Ablauf am Starttag")
    expect(row).not_to_contain_text("Bestätigt")
    expect(page.get_by_role("row").filter(has_text="Gegenseitiger Haftungsverzicht")).to_contain_text("Unterschrieben")
    visitor.check("documents-de", mobile=True)

    row.get_by_role("button", name=re.compile("Ablauf am Starttag")).click()
    expect(page.get_by_role("heading", name="Ablauf am Starttag", level=1)).to_be_visible()
    expect(page.locator(".document-body")).to_contain_text("Frühstück mit Ihrer Crew")
    visitor.check("briefing-de", mobile=True)
    page.get_by_role("button", name=re.compile("Version 1")).click()
    expect(page.locator(".field-error").first).to_be_visible()  # the confirmation is missing
    visitor.check()
    page.locator("input[name=read]").check()
    page.get_by_role("button", name=re.compile("Version 1")).click()
    expect(page.get_by_role("heading", name="Ihre Dokumente", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Ablauf am Starttag")).to_contain_text("Bestätigt")
    visitor.check("documents-de-done")

    # What was recorded: the German text, its hash, the version.
    acceptance_id = scalar(select(Acceptance.id).order_by(Acceptance.id.desc()).limit(1))
    assert scalar(select(Acceptance.language).where(Acceptance.id == acceptance_id)) == "de"

    ops = another_visitor()
    ops.login("ops@example.com", DEMO_PASSWORD)
    flight_id = scalar(select(Flight.id).where(Flight.name == "Kármán Dawn"))
    reference = scalar(select(Booking.reference).join(Booking.user).where(
        User.email == "tourist@example.com", Booking.flight_id == flight_id))
    ops.goto(f"/ops/flights/{flight_id}/documents")
    ops_page = ops.page
    expect(ops_page.get_by_role("heading", name=re.compile("Documents of Kármán Dawn"), level=1)).to_be_visible()
    tourist_row = ops_page.get_by_role("row").filter(has_text=reference)
    expect(tourist_row.locator("td.state-done")).to_have_count(5)  # consent, waiver, items, two briefings
    ops.check("ops-flight-documents", mobile=True)
    tourist_row.get_by_role("link", name=re.compile("v1 on")).last.click()
    expect(ops_page.get_by_role("heading", level=1)).to_contain_text("Ablauf am Starttag")
    expect(ops_page.get_by_text("matches the text below")).to_be_visible()
    ops.check("ops-evidence")
