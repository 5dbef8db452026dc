"""Money is an integer amount of minor units with an ISO 4217 currency."""

from __future__ import annotations

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


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    return format_currency(to_decimal(amount_minor, currency), currency.upper(), locale=locale)
