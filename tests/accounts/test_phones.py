"""Phone numbers are checked with phonenumbers and stored in E.164."""

import pytest

from app.errors import ServiceError
from app.phones import normalise_phone, parse_e164


@pytest.mark.parametrize("raw, e164", [
    ("+44 20 7946 0958", "+442079460958"),          # United Kingdom
    ("+1 (415) 555-2671", "+14155552671"),          # United States
    ("+49 151 23456789", "+4915123456789"),         # Germany, mobile
    ("+33 6 12 34 56 78", "+33612345678"),          # France
    ("+34 612 34 56 78", "+34612345678"),           # Spain
    ("+39 312 345 6789", "+393123456789"),          # Italy
    ("+55 11 96123-4567", "+5511961234567"),        # Brazil
    ("+81 90-1234-5678", "+819012345678"),          # Japan
    ("+61 491 570 156", "+61491570156"),            # Australia
    ("0044 20 7946 0958", "+442079460958"),         # the international prefix instead of "+"
    ("  +14155552671  ", "+14155552671"),           # already E.164, with spaces around
])
def test_valid_numbers_come_out_in_e164(app, raw, e164):
    with app.test_request_context():
        assert normalise_phone(raw) == e164
    assert parse_e164(raw) == e164


@pytest.mark.parametrize("raw, message", [
    ("020 7946 0958", "with its country code"),     # no country code
    ("415 555 2671", "with its country code"),
    ("call me maybe", "with its country code"),     # letters
    ("+1 abc def", "not a valid phone number"),
    ("+44 20", "not a valid phone number"),         # too short
    ("+1 555 0100", "not a valid phone number"),    # a US number needs ten digits
    ("+44 20 7946 0958 1234 5678", "not a valid phone number"),   # too long
    ("+999 1234 5678", "not a valid phone number"),  # no such country code
    ("+44 20 7946 0958 ext. 12", "not a valid phone number"),     # an extension cannot get an SMS
])
def test_invalid_numbers_are_refused_on_the_phone_field(app, raw, message):
    with app.test_request_context(), pytest.raises(ServiceError) as info:
        normalise_phone(raw)
    assert info.value.field == "phone" and message in info.value.message
    assert parse_e164(raw) is None


def test_accounts_store_e164_and_refuse_an_invalid_number(make):
    from datetime import date

    from app.accounts import accounts

    user = accounts.create_user(
        email="grace@example.com", name="Grace Hopper", password="a-compiler-in-1952",
        phone="+1 (415) 555-2671", date_of_birth=date(1980, 1, 1),
    )
    assert user.phone == "+14155552671"
    with pytest.raises(ServiceError) as info:
        accounts.update_profile(user, name="Someone Else", phone="555 2671", language="en", timezone="UTC")
    assert info.value.field == "phone"
    assert (user.name, user.phone) == ("Grace Hopper", "+14155552671")
    accounts.update_profile(user, name="Grace Hopper", phone="", language="en", timezone="UTC")
    assert user.phone is None
    with pytest.raises(ServiceError):
        accounts.create_user(email="x@example.com", name="X", password="a-compiler-in-1952",
                             phone="+44 20", date_of_birth=date(1980, 1, 1))
