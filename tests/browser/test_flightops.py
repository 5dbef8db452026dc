"""Flight operations in the browser: the readiness matrix of a flight, an override made with a
reason, and the tourist's checklist counting it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.booking import bookings as booking_service
from app.models import BookingState, DocumentKind, Role
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def crew(make_committed):
    """A flight with a briefing published; Sally has signed the consent and holds a confirmed
    seat; Yuri holds a seat and has done nothing."""
    make = make_committed
    with seeding():
        ops = make.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
        flight = make.flight(name="Kármán Twilight", seat_count=8)
        consent_version = make.consent_document(actor=ops)
        make.document(DocumentKind.BRIEFING, flight=flight, actor=ops,
                      texts={"en": ("Flight profile", "Ascent, coast, descent.")})
        sally = booking_service.hold_seat(flight.id, make.user(name="Sally Ride", email="sally@example.com"))
        make.accept(sally, consent_version)
        booking_service.transition(sally, BookingState.CONFIRMED)
        yuri = booking_service.hold_seat(flight.id, make.user(name="Yuri Tanaka"))
    return ops, flight, sally, yuri


def test_operations_read_the_matrix_and_override_a_briefing(visitor, another_visitor, crew):
    ops, flight, sally, yuri = crew
    page = visitor.page
    visitor.login(ops.email, PASSWORD)
    visitor.goto(f"/ops/flights/{flight.id}")
    page.get_by_role("button", name="Readiness").click()
    expect(page.get_by_role("heading", name="Readiness of Kármán Twilight", level=1)).to_be_visible()
    expect(page.get_by_text("0 of 2 tourists are ready for flight.")).to_be_visible()
    sally_row = page.locator(f"#row-{sally.reference}")
    expect(sally_row).to_contain_text("Signed version 1 on")
    expect(sally_row).to_contain_text("“Flight profile” not acknowledged yet.")
    visitor.check("ops-readiness", mobile=True)

    # Sally was briefed in person: operations override her briefings gate, with the reason.
    sally_row.get_by_role("link", name=re.compile(r"^Override\s*: Briefings acknowledged, Sally Ride$")).click()
    expect(page.get_by_role("heading", name="Briefings acknowledged", level=1)).to_be_visible()
    visitor.check("ops-readiness-gate", mobile=True)
    page.get_by_role("button", name="Override").click()  # no reason yet
    expect(page.get_by_text("Give the reason for the override").first).to_be_visible()
    visitor.check()
    page.get_by_label("Reason").fill("Briefed in person at the training centre on 3 December.")
    page.get_by_role("button", name="Override").click()
    expect(page.get_by_text("The gate is overridden for Sally Ride")).to_be_visible()
    sally_row = page.locator(f"#row-{sally.reference}")
    expect(sally_row).to_contain_text("Overridden by Gene Kranz on")
    expect(sally_row).to_contain_text("Briefed in person at the training centre on 3 December.")
    visitor.check()

    # Only the blocked: both still are (Sally's medical clearance, training, ...).
    page.get_by_role("link", name="Only the blocked (2)").click()
    expect(page.locator(f"#row-{yuri.reference}")).to_be_visible()
    visitor.check()

    # Sally's own checklist counts the step as waived, without operations' reason.
    tourist = another_visitor()
    tourist.login("sally@example.com", PASSWORD)
    tourist.goto("/journey")
    briefing = tourist.page.locator("li.gate").filter(has=tourist.page.get_by_text("Briefings acknowledged", exact=True))
    expect(briefing.locator(".badge")).to_have_text("Waived")
    expect(briefing).to_contain_text("The operator waived this step on")
    expect(briefing).not_to_contain_text("training centre")
    tourist.check()


def test_operations_move_a_launch_after_seeing_its_impact(visitor, another_visitor, crew):
    ops, flight, sally, yuri = crew
    page = visitor.page
    visitor.login(ops.email, PASSWORD)
    visitor.goto(f"/ops/flights/{flight.id}")
    page.get_by_role("button", name="Move the launch").click()
    expect(page.get_by_role("heading", name="Move the launch of Kármán Twilight", level=1)).to_be_visible()
    visitor.check("ops-move", mobile=True)
    new_launch = flight.launch_at + timedelta(days=3)
    page.get_by_label("New launch (window opens)").fill(new_launch.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Cause").select_option("weather")
    page.get_by_label("A note for the tourists (optional)").fill("High winds at altitude all week.")
    page.get_by_role("button", name="See what the move changes").click()
    expect(page.get_by_role("heading", name="What this move changes")).to_be_visible()
    expect(page.get_by_text("2 tourists holding a seat are told at once, on every channel.")).to_be_visible()
    visitor.check("ops-move-preview", mobile=True)
    page.get_by_role("button", name="Confirm the move and tell everyone").click()
    expect(page.get_by_text("2 tourists were told.", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Schedule history")).to_be_visible()
    visitor.check()

    tourist = another_visitor()
    tourist.login("sally@example.com", PASSWORD)
    tourist.goto("/journey")
    expect(tourist.page.locator(".flight-change")).to_contain_text("Launch moved from")
    expect(tourist.page.locator(".flight-change")).to_contain_text("Reason: Weather.")
    tourist.check()


def test_the_journey_follows_launch_day_without_a_reload(visitor, another_visitor, make_committed, app,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "LAUNCH_POLL_SECONDS", 1)
    with seeding():
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com", timezone="UTC")
        booking = make_committed.booking(
            make_committed.user(name="Sally Ride", email="sally@example.com", timezone="UTC"), days=3,
            name="Kármán Dawn")
        flight = booking.flight
    tourist = visitor
    tourist.login("sally@example.com", PASSWORD)
    tourist.goto("/journey")
    panel = tourist.page.locator(".launch-live")
    expect(panel).to_contain_text("Launch day: Kármán Dawn")
    expect(panel).to_contain_text("No update yet.")
    expect(panel.locator("time[data-countdown]")).to_have_text(re.compile(r"^T-\d d \d\d:\d\d:\d\d$"))
    tourist.check("journey-launch-day", mobile=True)

    # Operations move the launch by a day and post an update, in another browser.
    desk = another_visitor()
    desk.login(ops.email, PASSWORD)
    desk.goto(f"/ops/flights/{flight.id}/move")
    new_launch = flight.launch_at + timedelta(days=1)
    desk.page.get_by_label("New launch (window opens)").fill(new_launch.strftime("%Y-%m-%dT%H:%M"))
    desk.check()
    desk.page.get_by_role("button", name="See what the move changes").click()
    expect(desk.page.get_by_role("heading", name="What this move changes")).to_be_visible()
    desk.check()
    desk.page.get_by_role("button", name="Confirm the move and tell everyone").click()
    expect(desk.page.get_by_text("1 tourist was told.", exact=False)).to_be_visible()
    desk.check()
    desk.goto(f"/ops/flights/{flight.id}/launch")
    desk.page.get_by_label("What").select_option("hold")
    desk.page.get_by_label("Message").fill("Holding at T-10 minutes for upper-level winds.")
    desk.page.get_by_role("button", name="Post and tell everyone").click()
    expect(desk.page.get_by_text("Update posted")).to_be_visible()
    desk.check("ops-launch-day", mobile=True)

    # The tourist's page, not reloaded, shows both.
    tourist.set_marker()
    expect(panel).to_contain_text("Holding at T-10 minutes for upper-level winds.", timeout=15000)
    expect(panel).to_contain_text(new_launch.strftime("%B %-d, %Y"))
    assert tourist.marker_kept()
    tourist.check()

    # The family's page: the same, without an account.
    share = tourist.page.locator("a[href*='/launch/']").first.get_attribute("href")
    family = another_visitor()
    family.goto(share[share.index("/launch/"):])
    expect(family.page.locator(".launch-live")).to_contain_text("Holding at T-10 minutes")
    family.check("launch-page", mobile=True)


def test_after_the_flight_certificate_and_survey(visitor, another_visitor, make_committed, app):
    from app.timeutil import now_utc

    with seeding():
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com", timezone="UTC")
        booking = make_committed.booking(
            make_committed.user(name="Sally Ride", email="sally@example.com", timezone="UTC"), days=5,
            name="Kármán Prelude")
        flight = booking.flight
        flight.launch_at = now_utc().replace(second=0, microsecond=0) - timedelta(hours=2)
        flight.window_closes_at = flight.launch_at + timedelta(hours=4)
    desk = visitor
    desk.login(ops.email, PASSWORD)
    desk.goto(f"/ops/flights/{flight.id}")
    desk.page.get_by_role("button", name="Mark flown").click()
    desk.check("ops-flown", mobile=True)
    desk.page.get_by_label("Liftoff").fill((flight.launch_at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    desk.page.get_by_label("Landing").fill((flight.launch_at + timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M"))
    desk.page.get_by_role("button", name="Mark flown and tell everyone").click()
    expect(desk.page.get_by_text("Kármán Prelude is flown; 1 tourist was told")).to_be_visible()
    desk.check()

    tourist = another_visitor()
    tourist.login("sally@example.com", PASSWORD)
    tourist.goto("/journey")
    expect(tourist.page.get_by_role("link", name="Your certificate")).to_be_visible()
    tourist.check()
    tourist.page.get_by_role("link", name="Tell us how it was").click()
    expect(tourist.page.get_by_role("heading", name="Welcome back, Sally Ride")).to_be_visible()
    tourist.check("survey", mobile=True)
    tourist.page.get_by_role("group", name="How was your experience, as a whole?").get_by_label("5").check()
    tourist.page.get_by_role("group", name="How likely are you to recommend us").get_by_label("10", exact=True).check()
    tourist.page.get_by_label("What was the best part? (optional)").fill("The silence at apogee.")
    tourist.page.get_by_role("button", name="Send my answers").click()
    expect(tourist.page.get_by_text("Thank you: operations read every answer.").first).to_be_visible()
    tourist.check()

    desk.goto(f"/ops/flights/{flight.id}/feedback")
    expect(desk.page.locator("article.feedback")).to_contain_text("The silence at apogee.")
    desk.check("ops-feedback", mobile=True)
