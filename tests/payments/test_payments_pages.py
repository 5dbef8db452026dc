import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.models import BookingState, Payment, PaymentStatus
from app.timeutil import now_utc
from tests.conftest import login, post_form

CARD = {"name": "Ada Lovelace", "card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}


@pytest.fixture
def signed(client, make):
    doc = make.consent_document()
    tourist = make.user()
    # The balance falls due in 110 days: room for 4 monthly installments.
    flight = make.flight(deposit_minor=150_000_00, launch_at=now_utc() + timedelta(days=200))
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    db.session.commit()
    login(client, tourist)
    return booking


def start(client, booking):
    page = f"/bookings/{booking.reference}"
    response = post_form(client, f"/bookings/{booking.reference}/deposit", page=page)
    payment = db.session.scalars(select(Payment)).one()
    assert response.headers["Location"] == f"/payments/{payment.id}/checkout"
    return payment


def test_pay_the_deposit_in_the_sandbox_checkout(client, signed):
    assert "Pay the deposit: $150,000.00" in client.get(f"/bookings/{signed.reference}").get_data(as_text=True)
    payment = start(client, signed)
    checkout = client.get(f"/payments/{payment.id}/checkout").get_data(as_text=True)
    assert "Test mode: no money moves." in checkout and "4242 4242 4242 4242" in checkout
    done = post_form(client, f"/payments/{payment.id}/sandbox", CARD, page=f"/payments/{payment.id}/checkout")
    assert done.headers["Location"] == f"/payments/{payment.id}/return"
    back = client.get(done.headers["Location"])
    assert back.headers["Location"] == f"/bookings/{signed.reference}"
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "your payment went through" in page and f"/payments/{payment.id}/receipt" in page
    db.session.refresh(signed)
    assert signed.state is BookingState.CONFIRMED
    receipt = client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    assert "$150,000.00" in receipt and signed.reference in receipt


def test_a_declined_card_goes_back_to_the_checkout_with_the_reason(client, signed):
    payment = start(client, signed)
    response = post_form(client, f"/payments/{payment.id}/sandbox", {**CARD, "card_number": "4000 0000 0000 0002"}, page=f"/payments/{payment.id}/checkout")
    back = client.get(response.headers["Location"])
    assert back.headers["Location"] == f"/payments/{payment.id}/checkout"
    assert "Your card was declined." in client.get(back.headers["Location"]).get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.status is PaymentStatus.FAILED


@pytest.mark.parametrize("change, message", [
    ({"card_number": "12"}, "Enter the card number: 12 to 19 digits."),
    ({"expiry": "1230"}, "Enter the expiry as MM/YY."),
    ({"expiry": "13/30"}, "The month of the expiry must be from 01 to 12."),
    ({"expiry": "01/20"}, "This card has expired."),
    ({"cvc": "1"}, "Enter the 3 or 4 digits on the back of the card."),
    ({"name": ""}, "This field is required."),
])
def test_checkout_bad_input_changes_nothing(client, signed, change, message):
    payment = start(client, signed)
    response = post_form(client, f"/payments/{payment.id}/sandbox", {**CARD, **change}, page=f"/payments/{payment.id}/checkout")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.status is PaymentStatus.PENDING


def test_no_deposit_button_before_consent(client, make):
    make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    db.session.commit()
    login(client, tourist)
    page = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert "Sign the informed consent first" in page and "Pay the deposit:" not in page
    response = post_form(client, f"/bookings/{booking.reference}/deposit", page=f"/bookings/{booking.reference}")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_another_tourist_cannot_see_or_pay_a_payment(app, client, signed, make):
    payment = start(client, signed)
    other = app.test_client()
    login(other, make.user())
    db.session.commit()
    for path in (f"/payments/{payment.id}/checkout", f"/payments/{payment.id}/return", f"/payments/{payment.id}/receipt"):
        assert other.get(path).status_code == 404
    assert post_form(other, f"/payments/{payment.id}/sandbox", CARD).status_code == 404
    db.session.refresh(payment)
    assert payment.status is PaymentStatus.PENDING


def test_the_stripe_webhook_is_not_there_without_stripe(client):
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 404


def pay_deposit(client, booking):
    payment = start(client, booking)
    post_form(client, f"/payments/{payment.id}/sandbox", CARD, page=f"/payments/{payment.id}/checkout")
    db.session.refresh(booking)
    assert booking.state is BookingState.CONFIRMED
    return payment


def test_plan_the_balance_in_installments_with_a_saved_card(client, signed):
    pay_deposit(client, signed)
    page = f"/bookings/{signed.reference}"
    response = post_form(client, f"/bookings/{signed.reference}/balance", {"installments": "3"}, page=page)
    assert response.headers["Location"] == f"/bookings/{signed.reference}/card?installments=3"  # a card first
    no_agreement = post_form(client, response.headers["Location"], {**CARD}, page=page)
    assert no_agreement.status_code == 422 and "Please agree to automatic charges" in no_agreement.get_data(as_text=True)
    saved = post_form(client, response.headers["Location"], {**CARD, "agree": "y"}, page=page)
    assert saved.status_code == 302
    db.session.refresh(signed)
    assert signed.card_last4 == "4242" and signed.card_saved_at is not None
    rows = db.session.scalars(select(Payment).where(Payment.booking_id == signed.id, Payment.kind != "deposit")).all()
    assert len(rows) == 3 and sum(p.amount_minor for p in rows) == signed.flight.price_minor - signed.flight.deposit_minor
    html = client.get(page).get_data(as_text=True)
    assert "Card ending in 4242 is saved" in html and "Installment" in html


def test_pay_the_balance_by_hand(client, signed):
    pay_deposit(client, signed)
    page = f"/bookings/{signed.reference}"
    post_form(client, f"/bookings/{signed.reference}/balance", {"installments": "1"}, page=page)
    balance = db.session.scalars(select(Payment).where(Payment.booking_id == signed.id, Payment.kind == "balance")).one()
    go = post_form(client, f"/payments/{balance.id}/pay", page=page)
    assert go.headers["Location"] == f"/payments/{balance.id}/checkout"
    post_form(client, f"/payments/{balance.id}/sandbox", CARD, page=go.headers["Location"])
    db.session.refresh(balance)
    assert balance.status is PaymentStatus.SUCCEEDED
    assert "Everything is paid." in client.get("/journey").get_data(as_text=True)


def test_tourist_cancels_and_sees_the_refund(client, signed):
    pay_deposit(client, signed)
    page = f"/bookings/{signed.reference}/cancel"
    quote = client.get(page).get_data(as_text=True)
    assert "Refund" in quote and "The cancellation policy" in quote
    refused = post_form(client, page, {"reason": "changed my mind"}, page=page)
    assert refused.status_code == 422 and "Please confirm that you want to cancel." in refused.get_data(as_text=True)
    db.session.refresh(signed)
    assert signed.state is BookingState.CONFIRMED
    done = post_form(client, page, {"reason": "changed my mind", "confirm": "y"}, page=page)
    assert done.headers["Location"] == "/journey"
    db.session.refresh(signed)
    assert signed.state is BookingState.CANCELLED


def test_operations_refund_part_of_a_payment_and_see_the_money(app, client, signed, make):
    from app.models import Role

    payment = pay_deposit(client, signed)
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    staff = app.test_client()
    login(staff, ops)
    page = f"/ops/bookings/{signed.reference}"
    assert "$150,000.00" in staff.get(page).get_data(as_text=True)
    bad = post_form(staff, f"/ops/payments/{payment.id}/refund", {"amount": "999999", "reason": "too much"}, page=page)
    assert bad.status_code == 422 and "at most what is left" in bad.get_data(as_text=True)
    # Too much and no reason: both refused at once, each at its field; nothing refunded.
    from tests.fielderrors import field_error

    bad = post_form(staff, f"/ops/payments/{payment.id}/refund", {"amount": "150000.01", "reason": ""}, page=page)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "at most what is left of the payment ($150,000.00)" in field_error(html, f"amount-{payment.id}")
    assert "This field is required." in field_error(html, f"reason-{payment.id}")
    db.session.refresh(payment)
    assert payment.refunded_minor == 0
    post_form(staff, f"/ops/payments/{payment.id}/refund", {"amount": "1000.50", "reason": "goodwill"}, page=page)
    db.session.refresh(payment)
    assert payment.refunded_minor == 1000_50
    flight_page = staff.get(f"/ops/flights/{signed.flight_id}").get_data(as_text=True)
    assert "$148,999.50" in flight_page and "$1,000.50" in flight_page  # collected, refunded


def test_a_card_valid_through_this_month_is_accepted(client, signed):
    today = now_utc().date()
    payment = start(client, signed)
    done = post_form(client, f"/payments/{payment.id}/sandbox", {**CARD, "expiry": today.strftime("%m/%y")},
                     page=f"/payments/{payment.id}/checkout")
    assert done.status_code == 302
    db.session.refresh(payment)
    assert payment.status is PaymentStatus.SUCCEEDED


def test_an_expired_card_cannot_be_saved_for_installments(client, signed):
    pay_deposit(client, signed)
    page = f"/bookings/{signed.reference}/card?installments=2"
    refused = post_form(client, page, {**CARD, "expiry": "01/20", "agree": "y"}, page=page)
    assert refused.status_code == 422 and "This card has expired." in refused.get_data(as_text=True)
    db.session.refresh(signed)
    assert signed.card_token is None


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_balance_due_in_15_days_offers_no_installments(client, make):
    doc = make.consent_document()
    tourist = make.user()
    flight = make.flight(deposit_minor=150_000_00, launch_at=now_utc() + timedelta(days=105), balance_due_days=90)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    db.session.commit()
    login(client, tourist)
    pay_deposit(client, booking)
    page = f"/bookings/{booking.reference}"
    raw = client.get(page).get_data(as_text=True)
    html = text(raw)
    assert not re.search(r"In \d+ monthly installments", html) and not re.search(r'<select[^>]*name="installments"', raw)
    assert "Plan the balance" in html
    assert "The balance is due too soon for monthly installments: it is paid in one payment." in html
    refused = post_form(client, f"/bookings/{booking.reference}/balance", {"installments": "6"}, page=page)
    assert "too soon for monthly installments" in text(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.kind != "deposit")) == 0
    post_form(client, f"/bookings/{booking.reference}/balance", {"installments": "1"}, page=page)
    [balance] = db.session.scalars(select(Payment).where(Payment.kind == "balance")).all()
    assert balance.due_at <= flight.launch_at - timedelta(days=90)


def test_the_booking_page_offers_the_installments_that_fit(client, signed):
    pay_deposit(client, signed)
    raw = client.get(f"/bookings/{signed.reference}").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="installments"', raw)
    html = text(raw)
    assert "In 4 monthly installments" in html and "In 5 monthly installments" not in html
    assert "too soon for monthly installments" not in html


def test_a_resolved_automatic_charge_notice_says_so_and_loses_its_link(app, client, signed):
    from app.messaging import delivery, inbox
    from app.models import Channel, MessageStatus, OutboundMessage
    from app.payments import installments, payments

    pay_deposit(client, signed)
    with app.test_request_context("/"):
        token, last4 = payments.provider().save_card("4000000000000002")  # every charge declined
        installments.save_card(signed, signed.user, token=token, last4=last4)
        plan = installments.plan_balance(signed, signed.user, 2)
        first = plan.payments[0]
        first.due_at = now_utc() - timedelta(minutes=1)
        db.session.flush()
        assert installments.charge(first.id) == "declined"
        [notice] = db.session.scalars(select(OutboundMessage).where(
            OutboundMessage.rule == "charge_failed", OutboundMessage.channel == Channel.IN_APP)).all()
        assert delivery.deliver(notice.id) is MessageStatus.SENT
        db.session.commit()
    assert inbox.unread_count(signed.user) == 1
    centre = client.get("/notifications").get_data(as_text=True)
    assert f"/payments/{first.id}/checkout" in centre and "Resolved" not in centre
    # The tourist pays it by hand from the booking page.
    page = f"/bookings/{signed.reference}"
    post_form(client, f"/payments/{first.id}/pay", page=page)
    post_form(client, f"/payments/{first.id}/sandbox", CARD, page=f"/payments/{first.id}/checkout")
    db.session.refresh(first)
    db.session.refresh(notice)
    assert first.status is PaymentStatus.SUCCEEDED
    assert notice.resolved_at is not None and notice.read_at is not None
    assert inbox.unread_count(signed.user) == 0
    centre = client.get("/notifications").get_data(as_text=True)
    assert "Resolved" in centre and f"/payments/{first.id}/checkout" not in centre
    assert "unread notification" not in centre
    # The emailed link, followed now, says it is paid.
    checkout = client.get(f"/payments/{first.id}/checkout")
    assert checkout.headers["Location"] == page
    assert "This payment is already paid." in client.get(page).get_data(as_text=True)


def test_a_payment_cancelled_with_its_flight_cannot_be_paid(app, client, signed, make):
    from app.booking import flights
    from app.models import FlightStatus, Role

    payment = start(client, signed)  # the deposit's checkout is open
    with app.test_request_context("/"):
        flight = signed.flight
        data = {k: getattr(flight, k) for k in flights.FIELDS}
        data.update(status=FlightStatus.CANCELLED)
        flights.update_flight(flight, data, make.user(Role.OPERATIONS))
        db.session.commit()
    checkout = client.get(f"/payments/{payment.id}/checkout")
    assert checkout.status_code == 302 and checkout.headers["Location"] == f"/bookings/{signed.reference}"
    assert "This payment was cancelled: it is no longer owed." in client.get(checkout.headers["Location"]).get_data(as_text=True)
    paid = post_form(client, f"/payments/{payment.id}/sandbox", CARD)  # the form kept open in a tab
    assert paid.status_code == 302
    again = post_form(client, f"/payments/{payment.id}/pay")
    assert again.status_code == 302
    assert "This payment was cancelled" in client.get(again.headers["Location"]).get_data(as_text=True)
    db.session.refresh(payment)
    assert payment.status is PaymentStatus.CANCELLED and payment.paid_at is None and payment.refunded_minor == 0
