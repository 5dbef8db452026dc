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
