"""A tourist pays the deposit in the sandbox checkout, plans the balance, then cancels.

Declined first, then paid; a receipt; the journey's deposit gate; installments from a saved card;
the cancellation with its refund; and operations' views of the flight and the booking.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.documents import consent
from app.models import Payment, PaymentKind, PaymentStatus, Role
from app.timeutil import now_utc
from tests.browser.support import scalar, seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def gate(page, label: str, within=None):
    return (within or page).locator("li.gate").filter(has=page.get_by_text(label, exact=True))


@pytest.fixture
def held_and_signed(make_committed):
    """An operations account; a tourist whose seat is held and whose consent is signed."""
    with seeding():
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
        tourist = make_committed.user(Role.TOURIST, name="Sally Ride", email="sally@example.com")
        document = make_committed.consent_document(actor=ops)
        flight = make_committed.flight(
            name="Stratos Sunrise", seat_count=8, launch_at=now_utc() + timedelta(days=200),
            price_minor=450_000_00, deposit_minor=150_000_00, deposit_nonrefundable_minor=25_000_00,
            balance_due_days=90,
        )
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, version_id=document.id, signed_name="Sally Ride",
                     ip_address="127.0.0.1", user_agent="test")
    return ops, tourist, booking


def fill_card(page, number: str) -> None:
    form = page.get_by_role("main")
    form.get_by_label("Name on the card").fill("Sally Ride")
    form.get_by_label("Card number").fill(number)
    form.get_by_label("Expiry (MM/YY)").fill("12/30")
    form.get_by_label("Security code").fill("123")


def test_pay_the_deposit_plan_the_balance_and_cancel(visitor, another_visitor, held_and_signed):
    ops, tourist, booking = held_and_signed
    reference = booking.reference
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)

    # The booking page offers the deposit once the consent is signed.
    visitor.goto(f"/bookings/{reference}")
    expect(gate(page, "Deposit paid").locator(".badge")).to_have_text("To do")
    visitor.check("payments-booking-held")
    page.get_by_role("button", name="Pay the deposit: $150,000.00").click()

    # The sandbox checkout says plainly that it is a test.
    expect(page).to_have_url(re.compile(r"/payments/\d+/checkout$"))
    payment_id = int(re.search(r"/payments/(\d+)/", page.url).group(1))
    expect(page.get_by_role("note")).to_contain_text("Test mode: no money moves.")
    expect(page.get_by_role("heading", name="Pay $150,000.00", level=1)).to_be_visible()
    visitor.check("payments-checkout", mobile=True)

    # A declined card comes back to the checkout with the reason.
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("main").get_by_role("button", name="Pay $150,000.00").click()
    expect(page).to_have_url(re.compile(rf"/payments/{payment_id}/checkout$"))
    expect(page.get_by_text("The payment did not go through: Your card was declined.")).to_be_visible()
    expect(page.get_by_text("Your card was declined.")).to_have_count(1)  # said once, not twice
    visitor.check("payments-checkout-declined", mobile=True)
    assert scalar(select(Payment.status).where(Payment.id == payment_id)) is PaymentStatus.FAILED

    # A good card pays it: back on the booking, confirmed, with a receipt.
    fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("main").get_by_role("button", name="Pay $150,000.00").click()
    assert_path(visitor, f"/bookings/{reference}")
    expect(page.get_by_text("Thank you: your payment went through and a receipt is on its way.")).to_be_visible()
    expect(page.locator("hgroup")).to_contain_text("Confirmed")
    expect(gate(page, "Deposit paid").locator(".badge")).to_have_text("Done")
    ledger = page.locator("dl.ledger")
    expect(ledger).to_contain_text("$150,000.00")
    expect(page.get_by_role("button", name=re.compile("Pay the deposit"))).to_have_count(0)
    visitor.check("payments-booking-paid", mobile=True)

    page.get_by_role("link", name="Receipt Deposit").click()
    assert_path(visitor, f"/payments/{payment_id}/receipt")
    expect(page.get_by_role("heading", name="Receipt", level=1)).to_be_visible()
    expect(page.get_by_text(f"Receipt number {reference}-{payment_id}")).to_be_visible()
    receipt = page.locator("dl.facts")
    expect(receipt).to_contain_text("$150,000.00")
    expect(receipt).to_contain_text("sandbox: no money moved")
    visitor.check("payments-receipt", mobile=True)

    visitor.goto("/journey")
    journey = page.locator("article.journey-booking").filter(has_text="Stratos Sunrise")
    expect(gate(page, "Deposit paid", journey).locator(".badge")).to_have_text("Done")
    expect(gate(page, "Deposit paid", journey)).to_contain_text("Deposit of $150,000.00 received.")
    expect(gate(page, "Seat confirmed", journey).locator(".badge")).to_have_text("Done")
    visitor.check("payments-journey")

    # The balance in 3 installments needs a card: the tourist is sent to save one.
    visitor.goto(f"/bookings/{reference}")
    balance = page.locator("section.balance")
    expect(balance).to_contain_text("$300,000.00 is due by")
    balance.get_by_label("How to pay the balance").select_option(label="In 3 monthly installments")
    balance.get_by_role("button", name="Plan the balance").click()
    expect(page).to_have_url(re.compile(rf"/bookings/{reference}/card\?installments=3$"))
    expect(page.locator(".flash-info")).to_have_text("Save a card first: installments are charged to it automatically.")
    expect(page.get_by_role("heading", name="Save a card for automatic payments", level=1)).to_be_visible()
    visitor.check("payments-card", mobile=True)

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_label(re.compile(r"I agree that this card is charged automatically")).check()
    page.get_by_role("button", name="Save the card").click()
    assert_path(visitor, f"/bookings/{reference}#ledger-title")
    expect(page.get_by_text("Your card ending in 4242 is saved for this booking.")).to_be_visible()
    rows = page.locator("table tbody tr").filter(has_text="Installment")
    expect(rows).to_have_count(3)
    for n in (1, 2, 3):
        row = rows.filter(has=page.get_by_role("rowheader", name=re.compile(rf"^Installment {n}\b")))
        expect(row).to_contain_text("$100,000.00")
        expect(row).to_contain_text("Scheduled")
    balance = page.locator("section.balance")
    expect(balance).to_contain_text("Card ending in 4242 is saved for automatic payments")
    for n in (1, 2, 3):
        expect(balance.get_by_role("button", name=f"Pay $100,000.00 now (Installment {n})")).to_be_visible()
    visitor.check("payments-booking-installments", mobile=True)
    installments = scalar(select(func.count(Payment.id)).where(
        Payment.booking_id == booking.id, Payment.kind == PaymentKind.INSTALLMENT,
        Payment.status == PaymentStatus.SCHEDULED))
    assert installments == 3

    # Operations sees the flight's money and the booking's payments.
    staff = another_visitor()
    staff.login(ops.email, PASSWORD)
    staff.goto(f"/ops/flights/{booking.flight_id}")
    row = staff.page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Confirmed")
    expect(row).to_contain_text("$150,000.00")
    money = staff.page.locator(".stat")
    expect(money.filter(has_text="collected")).to_contain_text("$150,000.00")
    expect(money.filter(has_text="outstanding")).to_contain_text("$300,000.00")
    staff.check("payments-ops-flight", mobile=True)
    staff.page.get_by_role("link", name=reference).click()
    assert_path(staff, f"/ops/bookings/{reference}")
    expect(staff.page.get_by_role("heading", name=f"Booking {reference}", level=1)).to_be_visible()
    cards = staff.page.locator("article.payment-card")
    expect(cards).to_have_count(4)  # the deposit and 3 installments
    expect(cards.filter(has_text="Installment 3")).to_contain_text("Scheduled")
    expect(staff.page.get_by_role("button", name=re.compile("^Refund"))).to_have_count(1)
    expect(staff.page.get_by_role("button", name="Refund (Deposit)")).to_be_visible()
    staff.check("payments-ops-booking", mobile=True)

    # Cancelling shows the refund first and asks for a confirmation.
    page.get_by_role("link", name="Cancel this booking").click()
    assert_path(visitor, f"/bookings/{reference}/cancel")
    refund = page.locator("dl.facts")
    expect(refund).to_contain_text("$150,000.00")  # paid
    expect(refund).to_contain_text("$25,000.00")   # kept: the non-refundable part
    expect(refund).to_contain_text("$125,000.00")  # refunded
    visitor.check("payments-cancel", mobile=True)
    page.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text("Please confirm that you want to cancel.")).to_be_visible()
    visitor.check("payments-cancel-errors")
    page.get_by_label("I understand the refund shown above and want to cancel this booking.").check()
    page.get_by_role("button", name="Cancel the booking").click()

    assert_path(visitor, "/journey")
    expect(page.get_by_text(f"Booking {reference} is cancelled. Refund: $125,000.00.")).to_be_visible()
    expect(page.locator("article.journey-booking")).to_have_count(0)
    earlier = page.get_by_role("region", name="Earlier bookings")
    expect(earlier).to_contain_text(f"Stratos Sunrise ({reference}): Cancelled")
    visitor.check("payments-journey-cancelled")
    assert scalar(select(func.count(Payment.id)).where(
        Payment.booking_id == booking.id, Payment.status == PaymentStatus.SCHEDULED)) == 0

    # Operations sees it cancelled, with the refund, and nothing left to pay.
    staff.page.reload()
    expect(staff.page.locator("hgroup")).to_contain_text("Cancelled")
    facts = staff.page.locator("dl.facts")
    expect(facts).to_contain_text("$125,000.00")
    expect(facts).not_to_contain_text("Still to pay")
    expect(staff.page.locator("article.payment-card").filter(has_text="Cancelled")).to_have_count(3)
    staff.check("payments-ops-booking-cancelled")


def assert_path(visitor, path: str) -> None:
    expect(visitor.page).to_have_url(visitor.url(path))
