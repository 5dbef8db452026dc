from decimal import Decimal

import pytest

from app.money import format_money, to_decimal, to_minor


@pytest.mark.parametrize(
    "amount, currency, locale, expected",
    [
        (450_000_00, "USD", "en", "$450,000.00"),
        (450_000_00, "USD", "de", "450.000,00\xa0$"),
        (110_000_00, "EUR", "fr", "110\u202f000,00\xa0€"),
        (110_000_00, "EUR", "it", "110.000,00\xa0€"),
        (5_000_000, "JPY", "en", "¥5,000,000"),  # zero-decimal currency: minor unit is the yen
    ],
)
def test_format_money_in_the_users_language(amount, currency, locale, expected):
    assert format_money(amount, currency, locale) == expected


def test_minor_units_round_trip():
    assert to_minor(Decimal("150000.50"), "USD") == 15000050
    assert to_decimal(15000050, "USD") == Decimal("150000.50")
    assert to_minor(Decimal("5000"), "JPY") == 5000


def test_sub_minor_amounts_are_refused():
    with pytest.raises(ValueError):
        to_minor(Decimal("1.005"), "USD")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.5"), "JPY")
