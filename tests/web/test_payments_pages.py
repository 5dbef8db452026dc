import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BookingState, Payment, PaymentStatus
from app.services import bookings as booking_service
from app.services import consent
from tests.conftest import login, post_form

CARD = {"name": "Ada Lovelace", "card_number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}


@pytest.fixture
def signed(client, make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight(deposit_minor=150_000_00).id, tourist)
    consent.sign(booking, tourist, document_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
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
    ({"expiry": "13/30"}, "Enter the expiry as MM/YY."),
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
    assert "at most what is left" in staff.get(bad.headers["Location"]).get_data(as_text=True)
    post_form(staff, f"/ops/payments/{payment.id}/refund", {"amount": "1000.50", "reason": "goodwill"}, page=page)
    db.session.refresh(payment)
    assert payment.refunded_minor == 1000_50
    flight_page = staff.get(f"/ops/flights/{signed.flight_id}").get_data(as_text=True)
    assert "$148,999.50" in flight_page and "$1,000.50" in flight_page  # collected, refunded
