"""Operations read the messages: filter them, open a failed SMS and send it again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.messaging import outbox
from app.models import Channel, MessageStatus, OutboundMessage, Role
from app.timeutil import now_utc
from tests.browser.support import scalar, seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

FAILED_TEXT = "Countdown: your balance payment for Stratos Sunrise did not go through."


@pytest.fixture
def messages(make_committed):
    """A receipt that was sent, an SMS the carrier could not deliver, a reminder still to come."""
    with seeding():
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
        sally = make_committed.user(Role.TOURIST, name="Sally Ride", email="sally@example.com",
                                    phone="+15550100")
        yuri = make_committed.user(Role.TOURIST, name="Yuri Gagarin", email="yuri@example.com",
                                   phone="+447700900123")
        outbox.queue_email("password_reset", user=yuri, url="http://countdown.test/reset/x", minutes=60)
        now = now_utc()
        failed = OutboundMessage(
            channel=Channel.SMS, user_id=sally.id, recipient=sally.phone, body=FAILED_TEXT,
            kind="reminder_charge_failed", rule="charge_failed", category="payments",
            status=MessageStatus.FAILED, send_at=now - timedelta(hours=2),
            claimed_at=now - timedelta(hours=2), sent_at=now - timedelta(hours=2), attempts=1,
            provider="twilio", provider_message_id="SM0123456789abcdef", delivery_status="undelivered",
            error="Twilio error 30003",
        )
        reminder = OutboundMessage(
            channel=Channel.EMAIL, user_id=sally.id, recipient="", kind="reminder_payment_due",
            rule="payment_due_7d", category="payments", status=MessageStatus.QUEUED,
            send_at=now + timedelta(days=5),
        )
        db.session.add_all([failed, reminder])
    return ops, failed


def test_operations_filter_messages_and_resend_a_failed_one(visitor, messages):
    ops, failed = messages
    page = visitor.page
    visitor.login(ops.email, PASSWORD)
    page.get_by_role("link", name="Messages", exact=True).click()
    expect(page.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("row").filter(has_text="Yuri Gagarin")).to_contain_text("Password reset link")
    expect(page.get_by_role("row").filter(has_text="+15550100")).to_contain_text("Provider: Undelivered")
    expect(page.get_by_role("row").filter(has_text="Payment due in 7 days")).to_contain_text("scheduled for")
    visitor.check("messages", mobile=True)

    # The SMS tab, swapped in place; the tab keeps the focus.
    visitor.set_marker()
    page.get_by_role("link", name="SMS", exact=True).click()
    expect(page).to_have_url(re.compile(r"/outbox\?channel=sms$"))
    expect(page.get_by_role("link", name="SMS", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="SMS", exact=True)).to_be_focused()
    expect(rows).to_have_count(1)
    visitor.check()

    # Back to every channel: the failed ones, then a search by name; the filters add up.
    page.get_by_role("link", name="All", exact=True).click()
    expect(rows).to_have_count(3)
    visitor.check()
    page.get_by_label("Status").focus()  # as with the keyboard; select_option alone does not
    page.get_by_label("Status").select_option(label="Failed")
    expect(page).to_have_url(re.compile(r"status=failed"))
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Status")).to_be_focused()  # kept through the swap
    visitor.check()
    page.get_by_label("Status").select_option(label="All statuses")
    expect(rows).to_have_count(3)
    visitor.check()
    page.get_by_label("Recipient").fill("sally")
    page.get_by_label("Recipient").press("Enter")
    expect(page).to_have_url(re.compile(r"q=sally"))
    expect(rows).to_have_count(2)
    visitor.check()
    page.get_by_label("Reminders only").check()
    expect(page).to_have_url(re.compile(r"reminders=1"))
    expect(rows).to_have_count(2)
    visitor.check()
    page.get_by_label("Recipient").fill("nobody at all")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No messages match these filters.")).to_be_visible()
    visitor.check("messages-filtered")
    assert visitor.marker_kept(), "filtering reloaded the page instead of swapping the list"

    # Open the failed SMS.
    page.get_by_label("Recipient").fill("+1 555 0100")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(2)
    visitor.check()
    page.get_by_role("row").filter(has_text="Provider: Undelivered").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Automatic charge did not go through", level=1)).to_be_visible()
    expect(page.locator(".message-body")).to_have_text(FAILED_TEXT)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Sally Ride")
    expect(facts).to_contain_text("SM0123456789abcdef")
    expect(facts).to_contain_text("Twilio error 30003")
    visitor.check("message-failed", mobile=True)

    # Send it again: a new message, delivered through the outbox, that points back to this one.
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_text(re.compile(r"The message is being sent again as message #\d+\."))).to_be_visible()
    copy_id = scalar(select(func.max(OutboundMessage.id)).where(OutboundMessage.resent_from_id == failed.id))
    assert copy_id is not None and visitor.path() == f"/outbox/{copy_id}"
    expect(page.locator(".message-body")).to_have_text(FAILED_TEXT)
    expect(page.get_by_role("heading", name="This message was not delivered")).to_have_count(0)
    visitor.check("message-resent", mobile=True)
    page.get_by_role("link", name=f"Message #{failed.id}").click()
    expect(page.get_by_role("link", name=f"Sent again as message #{copy_id}")).to_be_visible()
    expect(page.get_by_role("button", name="Send again")).to_have_count(0)
    visitor.check("message-failed-resent")
    count = scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.resent_from_id == failed.id))
    assert count == 1
