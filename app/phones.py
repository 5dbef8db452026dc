"""Phone numbers: validated with ``phonenumbers`` and stored in E.164 (``+14155552671``).

Numbers are typed by people from many countries, so there is no default region: a number must
carry its country code (``+44 20 7946 0958``; ``0044 …`` is taken as ``+44 …``). E.164 is what
Twilio sends and expects, so an SMS opt-out (keyed by the number Twilio reports) matches the number
stored on the account.
"""

from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from app.errors import ServiceError


def parse_e164(raw: str | None) -> str | None:
    """``raw`` in E.164 if it is a valid number with its country code, else None."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    # An extension cannot receive a text message, and E.164 has no room for one.
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: str) -> str:
    """The number in E.164, or a ServiceError (on the ``phone`` field) saying what is wrong."""
    text = (raw or "").strip()
    e164 = parse_e164(text)
    if e164 is not None:
        return e164
    if not text.startswith(("+", "00")):
        raise ServiceError(
            _("Enter a phone number with its country code, e.g. +1 202 555 0100."), "phone"
        )
    raise ServiceError(
        _("This is not a valid phone number. Check the country code and the digits."), "phone"
    )
