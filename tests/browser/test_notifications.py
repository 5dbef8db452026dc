"""A tourist reads their notifications, marks one read in place, and changes their settings."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.messaging import preferences
from app.models import Channel, MessageStatus, OutboundMessage, Role, SmsOptOut, User
from app.timeutil import now_utc
from tests.browser.support import scalar, seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def notify(user, title: str, body: str, minutes_ago: int, *, read: bool = False) -> OutboundMessage:
    sent = now_utc() - timedelta(minutes=minutes_ago)
    message = OutboundMessage(
        channel=Channel.IN_APP, user_id=user.id, recipient=user.email, kind="test", category="payments",
        subject=title, body=body, link_url="http://127.0.0.1/journey", status=MessageStatus.SENT,
        send_at=sent, sent_at=sent, read_at=sent if read else None,
    )
    db.session.add(message)
    return message


def unread_in_db(user_id: int) -> int:
    return scalar(select(func.count(OutboundMessage.id)).where(
        OutboundMessage.user_id == user_id, OutboundMessage.channel == Channel.IN_APP,
        OutboundMessage.read_at.is_(None),
    ))


def test_a_tourist_reads_notifications_and_changes_settings(visitor, make_committed):
    with seeding():
        tourist = make_committed.user(Role.TOURIST, name="Valentina Ride", email="valentina@example.com",
                                      phone="+447946095800", timezone="Europe/London")
        notify(tourist, "Your deposit is received", "Seat 3 on Kármán Dawn is yours.", 600, read=True)
        notify(tourist, "Balance due in 30 days", "USD 300,000.00 for booking KD-3 is due on 1 June.", 90)
        notify(tourist, "Sign the new risk disclosure", "Version 2 of the disclosure needs your signature.", 30)
        notify(tourist, "Your seat hold runs out soon", "Pay the deposit within 10 minutes to keep the seat.", 5)
        user_id = tourist.id
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)

    # The badge in the header loads after the page, with the count to see and a sentence to hear.
    nav_link = page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Notifications")
    expect(nav_link).to_have_accessible_name("Notifications 3 unread notifications")
    expect(nav_link.locator(".nav-badge")).to_have_text("3")
    nav_link.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("You have 3 unread notifications.")).to_be_visible()
    items = page.locator(".notification-list > li")
    expect(items).to_have_count(4)
    expect(items.first).to_contain_text("Your seat hold runs out soon")  # newest first
    expect(page.locator(".notification-unread")).to_have_count(3)
    visitor.check("notifications", mobile=True)

    # Mark one read through htmx: the item changes in place, the badge goes down, no reload.
    visitor.set_marker()
    item = page.locator("li.notification").filter(has_text="Sign the new risk disclosure")
    item.get_by_role("button", name="Mark as read").click()
    expect(item.get_by_text("Marked as read")).to_be_visible()
    expect(item.get_by_text("Marked as read")).to_be_focused()
    expect(item.locator(".badge-unread")).to_have_count(0)
    expect(nav_link).to_have_accessible_name("Notifications 2 unread notifications")
    expect(nav_link.locator(".nav-badge")).to_have_text("2")
    expect(page.get_by_text("You have 2 unread notifications.")).to_be_visible()
    assert visitor.marker_kept(), "marking a notification read reloaded the page"
    assert unread_in_db(user_id) == 2
    visitor.check("notifications-marked")

    # Mark all: the summary says so and takes the focus; the badge empties.
    page.get_by_role("button", name="Mark all as read").click()
    done = page.get_by_text("You have read all your notifications.")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    expect(nav_link.locator(".nav-badge")).to_have_count(0)
    expect(nav_link).to_have_accessible_name("Notifications")
    assert visitor.marker_kept() and unread_in_db(user_id) == 0
    visitor.check()

    # Settings: from the centre, change a channel and the quiet hours.
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", name="Notification settings", level=1)).to_be_visible()
    expect(page.get_by_text("In your time zone, Europe/London.")).to_be_visible()
    locked = page.get_by_role("checkbox", name="Email Flight updates")
    expect(locked).to_be_checked()
    expect(locked).to_be_disabled()
    visitor.check("notification-settings", mobile=True)

    sms_payments = page.get_by_role("checkbox", name="SMS Payments")
    expect(sms_payments).not_to_be_checked()
    sms_payments.check()
    page.get_by_role("checkbox", name="Email Documents to sign and read").uncheck()
    quiet = page.get_by_role("checkbox", name="Hold messages during quiet hours")
    expect(quiet).not_to_be_checked()  # the test factory turns quiet hours off
    quiet.check()
    page.get_by_label("Quiet from").fill("21:00")
    page.get_by_label("Quiet until").fill("07:30")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="SMS Payments")).to_be_checked()
    expect(page.get_by_label("Quiet from")).to_have_value("21:00")
    visitor.check("notification-settings-saved")

    with seeding():
        prefs = preferences.preferences_of(db.session.get(User, user_id))
    assert Channel.SMS in prefs.channels["payments"]
    assert Channel.EMAIL not in prefs.channels["consent"]
    assert (prefs.quiet_enabled, prefs.quiet_starts, prefs.quiet_ends) == (True, time(21, 0), time(7, 30))

    # Equal start and end: refused at the field, with the focus-able error next to it.
    page.get_by_label("Quiet until").fill("21:00")
    page.get_by_role("button", name="Save settings").click()
    error = page.get_by_text("Quiet hours must start and end at different times.")
    expect(error).to_be_visible()
    expect(page.get_by_label("Quiet until")).to_have_attribute("aria-invalid", "true")
    visitor.check("notification-settings-error")


def test_an_opted_out_number_is_explained_in_the_settings(visitor, make_committed):
    with seeding():
        tourist = make_committed.user(Role.TOURIST, email="opted.out@example.com", phone="+447946095800")
        db.session.add(SmsOptOut(phone="+447946095800", keyword="STOP", opted_out_at=now_utc() - timedelta(days=2)))
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto("/account")
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_text("Your number +44 7946 095800 replied STOP on")).to_be_visible()
    # Each SMS checkbox is described by the notice, so a screen reader hears why SMS will not come.
    expect(page.get_by_role("checkbox", name="SMS Payments")).to_have_accessible_description(
        re.compile(r"^Your number \+44 7946 095800 replied STOP on .+ Reply START to ")
    )
    visitor.check("notification-settings-opted-out", mobile=True)
