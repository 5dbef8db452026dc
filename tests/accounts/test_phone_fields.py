"""The sign-up and account forms check phone numbers and store them in E.164."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import login, post_form

SIGNUP = {
    "name": "Mae Carter", "email": "mae.carter@example.com", "date_of_birth": "1985-12-10",
    "language": "en", "timezone": "UTC",
    "password": "analytical-engine-1843", "confirm": "analytical-engine-1843",
}


def test_signup_stores_the_number_in_e164(client):
    response = post_form(client, "/signup", {**SIGNUP, "phone": "+44 20 7946 0958"}, page="/signup")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "mae.carter@example.com"))
    assert user.phone == "+442079460958"


@pytest.mark.parametrize("phone, message", [
    ("020 7946 0958", "Enter a phone number with its country code, e.g. +1 202 555 0100."),
    ("+1 555 0100", "This is not a valid phone number. Check the country code and the digits."),
    ("+44 abc", "This is not a valid phone number."),
])
def test_signup_refuses_an_invalid_number_and_says_why(client, phone, message):
    before = db.session.scalar(select(func.count(User.id)))
    response = post_form(client, "/signup", {**SIGNUP, "phone": phone}, page="/signup")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_account_stores_the_number_in_e164_and_refuses_an_invalid_one(client, make):
    user = make.user(phone="+442079460958")
    login(client, user)
    fields = {"name": user.name, "language": "en", "timezone": "UTC"}

    response = post_form(client, "/account", {**fields, "phone": "+1 (415) 555-2671"}, page="/account")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.phone == "+14155552671"

    response = post_form(client, "/account", {**fields, "name": "Someone Else", "phone": "555-2671"}, page="/account")
    assert response.status_code == 422
    assert "Enter a phone number with its country code" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.name, user.phone) == (fields["name"], "+14155552671")

    # The page shows the stored number, and saving it again keeps it.
    assert "+14155552671" in client.get("/account").get_data(as_text=True)
    assert post_form(client, "/account", {**fields, "phone": "+14155552671"}, page="/account").status_code == 302
