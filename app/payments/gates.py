"""The payments domain's readiness gates: the deposit is paid (after the consent is signed, which
the consent gate loaded), and everything is paid by the balance's due date. Paid in full may be
overridden where the operator's policy allows (a balance deferred by agreement); the deposit never,
since it is what confirms the seat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.documents import consent
from app.formats import on_day
from app.i18n import current
from app.i18n import gettext as _
from app.models import Booking
from app.money import format_money
from app.payments import payments
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.urls import link


def _payment_load(bookings: list[Booking], earlier: dict[str, Any]) -> dict:
    documents = earlier["documents"]
    return {"ledgers": payments.ledgers(bookings),
            "consent": {b.id: consent.from_statuses(documents[b.id]) for b in bookings}}


def _deposit_gate(booking: Booking, loaded: dict, audience: Audience) -> Gate:
    label = _("Deposit paid")
    ledger = loaded["ledgers"][booking.id]
    flight = booking.flight
    amount = format_money_for(flight.deposit_minor, flight.currency)
    staff = audience is Audience.STAFF
    page, action = _staff_link(booking) if staff else (None, None)
    if ledger.deposit_paid:
        return Gate("deposit", label, GateStatus.DONE, _("Deposit of %(amount)s received.", amount=amount),
                    page, action)
    if staff:
        signed = loaded["consent"][booking.id].signed
        return Gate("deposit", label, GateStatus.ACTION if signed else GateStatus.BLOCKED,
                    _("Deposit of %(amount)s not paid yet.", amount=amount) if signed else
                    _("Deposit of %(amount)s not paid: the consent is not signed yet.", amount=amount),
                    page, action)
    if not loaded["consent"][booking.id].signed:
        return Gate("deposit", label, GateStatus.BLOCKED,
                    _("Sign the informed consent first; then pay the deposit of %(amount)s.", amount=amount),
                    link("documents.tourist.consent", "reference", booking.reference), _("Read and sign"))
    return Gate("deposit", label, GateStatus.ACTION,
                _("Pay the deposit of %(amount)s to confirm your seat.", amount=amount),
                link("booking.tourist.detail", "reference", booking.reference), _("Pay the deposit"))


def _paid_in_full_gate(booking: Booking, loaded: dict, audience: Audience) -> Gate:
    label = _("Paid in full")
    ledger = loaded["ledgers"][booking.id]
    if ledger.outstanding_minor == 0:
        return Gate("paid", label, GateStatus.DONE, _("Everything is paid."),
                    *(_staff_link(booking) if audience is Audience.STAFF else (None, None)))
    flight = booking.flight
    due = flight.launch_at - timedelta(days=flight.balance_due_days)
    return Gate(
        "paid", label, GateStatus.WAITING if not ledger.deposit_paid else GateStatus.ACTION,
        _("%(amount)s still to pay, due by %(date)s.",
          amount=format_money_for(ledger.outstanding_minor, ledger.currency), date=on_day(due, "medium")),
        link("payments.operations.booking" if audience is Audience.STAFF else "booking.tourist.detail",
             "reference", booking.reference), _("See payments"),
    )


def _staff_link(booking: Booking) -> tuple[str, str]:
    return link("payments.operations.booking", "reference", booking.reference), _("See payments")


def format_money_for(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, current().name)


register(SimpleProvider(
    "payments", _payment_load,
    lambda booking, loaded, audience: [_deposit_gate(booking, loaded, audience),
                                       _paid_in_full_gate(booking, loaded, audience)],
    overridable=frozenset({"paid"}),
), position=30)
