"""Money is an integer amount of minor units with an ISO 4217 currency."""

from __future__ import annotations

import functools
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "AED")


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency.upper())


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert a decimal amount in major units to minor units; refuses sub-minor precision."""
    scaled = amount.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("too many decimal places for this currency")
    return int(scaled)


@functools.lru_cache(maxsize=4096)
def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """An amount as the reader writes it ("$450,000.00", "450.000,00 $"). Babel's formatting costs
    tens of microseconds, and a table repeats the same few prices and deposits on every row."""
    return format_currency(to_decimal(amount_minor, currency), currency.upper(), locale=locale)
