"""The payments domain's readiness gates: the deposit is paid (after the consent is signed, which
the consent gate loaded), and everything is paid by the balance's due date. Paid in full may be
overridden where the operator's policy allows (a balance deferred by agreement); the deposit never,
since it is what confirms the seat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.documents import consent
from app.formats import on_day
from app.i18n import current
from app.models import Booking
from app.money import format_money
from app.payments import payments
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, Words, register
from app.readiness import mark as _l
from app.urls import link


@dataclass(frozen=True, slots=True)
class _Owed:
    """What the gates read of a booking's :class:`payments.Ledger`, from the engine's facts."""
    currency: str
    deposit_paid: bool
    outstanding_minor: int


def _owed(booking: Booking, facts: dict[str, Any]) -> _Owed:
    flight = booking.flight
    # Ledger.outstanding_minor: a booking without a seat owes nothing.
    live = booking.state.value == "confirmed" or booking.hold_is_live()
    return _Owed(flight.currency, bool(facts["deposit_paid"]),
                 max(flight.price_minor - facts["paid"], 0) if live else 0)


def _payment_load(bookings: list[Booking], earlier: dict[str, Any]) -> dict:
    documents = earlier["documents"]
    known = earlier.get("ledgers")  # the page's (the journey loads the earlier bookings' too)
    if known is None or any(b.id not in known for b in bookings):
        facts = earlier.get("facts", {}).get("payments")
        known = ({b.id: _owed(b, facts[b.id]) for b in bookings} if facts is not None
                 else payments.ledgers(bookings))
    return {"ledgers": known,
            "consent": {b.id: consent.signed_in(documents[b.id]) for b in bookings},
            "words": Words(), "language": current().name}


def _deposit_gate(booking: Booking, loaded: dict, audience: Audience) -> Gate:
    words = loaded["words"]
    label = words(_l("Deposit paid"))
    ledger = loaded["ledgers"][booking.id]
    flight = booking.flight
    amount = format_money(flight.deposit_minor, flight.currency, loaded["language"])
    staff = audience is Audience.STAFF
    page, action = _staff_link(booking, words) if staff else (None, None)
    if ledger.deposit_paid:
        return Gate("deposit", label, GateStatus.DONE, words(_l("Deposit of %(amount)s received."), amount=amount),
                    page, action)
    if staff:
        signed = loaded["consent"][booking.id]
        return Gate("deposit", label, GateStatus.ACTION if signed else GateStatus.BLOCKED,
                    words(_l("Deposit of %(amount)s not paid yet."), amount=amount) if signed else
                    words(_l("Deposit of %(amount)s not paid: the consent is not signed yet."), amount=amount),
                    page, action)
    if not loaded["consent"][booking.id]:
        return Gate("deposit", label, GateStatus.BLOCKED,
                    words(_l("Sign the informed consent first; then pay the deposit of %(amount)s."), amount=amount),
                    link("documents.tourist.consent", "reference", booking.reference), words(_l("Read and sign")))
    return Gate("deposit", label, GateStatus.ACTION,
                words(_l("Pay the deposit of %(amount)s to confirm your seat."), amount=amount),
                link("booking.tourist.detail", "reference", booking.reference), words(_l("Pay the deposit")))


def _paid_in_full_gate(booking: Booking, loaded: dict, audience: Audience) -> Gate:
    words = loaded["words"]
    label = words(_l("Paid in full"))
    ledger = loaded["ledgers"][booking.id]
    if ledger.outstanding_minor == 0:
        return Gate("paid", label, GateStatus.DONE, words(_l("Everything is paid.")),
                    *(_staff_link(booking, words) if audience is Audience.STAFF else (None, None)))
    flight = booking.flight
    due = flight.launch_at - timedelta(days=flight.balance_due_days)
    return Gate(
        "paid", label, GateStatus.WAITING if not ledger.deposit_paid else GateStatus.ACTION,
        words(_l("%(amount)s still to pay, due by %(date)s."),
              amount=format_money(ledger.outstanding_minor, ledger.currency, loaded["language"]),
              date=on_day(due, "medium")),
        link("payments.operations.booking" if audience is Audience.STAFF else "booking.tourist.detail",
             "reference", booking.reference), words(_l("See payments")),
    )


def _staff_link(booking: Booking, words: Words) -> tuple[str, str]:
    return link("payments.operations.booking", "reference", booking.reference), words(_l("See payments"))


register(SimpleProvider(
    "payments", _payment_load,
    lambda booking, loaded, audience: [_deposit_gate(booking, loaded, audience),
                                       _paid_in_full_gate(booking, loaded, audience)],
    overridable=frozenset({"paid"}), facts=payments.ledger_facts, facts_known="ledgers",
), position=30)
