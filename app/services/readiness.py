"""One readiness verdict per booking, made of gates that each capability adds.

A gate provider loads what it needs for many bookings at once (so a page of bookings costs a fixed
number of queries) and then says, per booking, whether its gate is passed, with a reason and a
link to act. Later capabilities (payments, medical, training, ...) register their own providers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from flask import url_for
from flask_babel import format_date
from app.formats import when
from app.i18n import lazy_gettext as _l

from app.models import Booking, BookingState
from app.services import consent


class GateStatus(str, enum.Enum):
    DONE = "done"          # passed
    ACTION = "action"      # the tourist has something to do
    WAITING = "waiting"    # waiting on staff or time
    BLOCKED = "blocked"    # cannot pass as things stand


@dataclass(frozen=True)
class Gate:
    key: str
    label: str
    status: GateStatus
    reason: str
    url: str | None = None
    action: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is GateStatus.DONE


@dataclass
class Readiness:
    booking: Booking
    gates: list[Gate] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        """The booking holds no seat (cancelled, expired, or a hold that lapsed): it asks nothing."""
        return not (self.booking.state is BookingState.CONFIRMED or self.booking.hold_is_live())

    @property
    def ready(self) -> bool:
        return not self.closed and all(g.passed for g in self.gates)

    @property
    def blockers(self) -> list[Gate]:
        return [g for g in self.gates if not g.passed]

    @property
    def done_count(self) -> int:
        return sum(1 for g in self.gates if g.passed)


class GateProvider(Protocol):
    key: str

    def load(self, bookings: list[Booking], earlier: dict[str, Any]) -> Any:
        """Everything the gates need for all ``bookings`` at once; ``earlier`` holds what the
        providers registered before this one loaded, by key, so nothing is loaded twice."""

    def gate(self, booking: Booking, loaded: Any) -> Gate | list[Gate]: ...


_PROVIDERS: list[GateProvider] = []


def register(provider: GateProvider) -> GateProvider:
    if all(p.key != provider.key for p in _PROVIDERS):
        _PROVIDERS.append(provider)
    return provider


def providers() -> list[GateProvider]:
    return list(_PROVIDERS)


def readiness_for(bookings: list[Booking]) -> dict[int, Readiness]:
    """The gates of each booking that holds a seat. A closed booking (cancelled, expired, or a
    hold that lapsed) gets no gates: it asks nothing of the tourist any more."""
    result = {b.id: Readiness(b) for b in bookings}
    open_bookings = [b for b in bookings if not result[b.id].closed]
    if not open_bookings:
        return result
    earlier: dict[str, Any] = {}
    for provider in _PROVIDERS:
        loaded = earlier[provider.key] = provider.load(open_bookings, earlier)
        for booking in open_bookings:
            gates = provider.gate(booking, loaded)
            result[booking.id].gates.extend(gates if isinstance(gates, list) else [gates])
    return result


@dataclass(frozen=True)
class _SimpleProvider:
    key: str
    load: Callable[[list[Booking], dict[str, Any]], Any]
    gate: Callable[[Booking, Any], Gate | list[Gate]]


# -- gates of the foundation ----------------------------------------------------------------------

def _seat_gate(booking: Booking, _loaded: Any) -> Gate:
    label = str(_l("Seat confirmed"))
    detail = url_for("bookings.detail", reference=booking.reference)
    if booking.state is BookingState.CONFIRMED:
        return Gate("seat", label, GateStatus.DONE, str(_l("Your seat is confirmed.")))
    if booking.hold_is_live():
        return Gate(
            "seat", label, GateStatus.ACTION,
            str(_l("Your seat is held until %(time)s. It is confirmed when the deposit is paid, "
                   "after you sign the informed consent.",
                   time=when(booking.hold_expires_at))),
            detail, str(_l("View booking")),
        )
    return Gate(
        "seat", label, GateStatus.BLOCKED,
        str(_l("This booking was cancelled; it holds no seat.")
            if booking.state is BookingState.CANCELLED
            else _l("The hold lapsed and the seat was released. Hold a seat again if one is free.")),
        url_for("catalog.detail", flight_id=booking.flight_id), str(_l("See the flight")),
    )


def _consent_gate(booking: Booking, statuses: dict[int, consent.ConsentStatus]) -> Gate:
    label = str(_l("Informed consent signed"))
    status = statuses[booking.id]
    sign_url = url_for("consent.sign", reference=booking.reference)
    if status.signed:
        return Gate(
            "consent", label, GateStatus.DONE,
            str(_l("Signed version %(v)s on %(date)s.", v=status.signature.document_version,
                   date=when(status.signature.signed_at))),
        )
    if status.current is None:
        return Gate("consent", label, GateStatus.WAITING,
                    str(_l("The operator has not published the consent document yet.")))
    if status.needs_resign:
        return Gate(
            "consent", label, GateStatus.ACTION,
            str(_l("Version %(v)s of the risk disclosure must be signed again.", v=status.current.version)),
            sign_url, str(_l("Read and sign")),
        )
    return Gate(
        "consent", label, GateStatus.ACTION,
        str(_l("Read the risk disclosure (version %(v)s), ask any questions, and sign it before "
               "paying.", v=status.current.version)),
        sign_url, str(_l("Read and sign")),
    )


register(_SimpleProvider("seat", lambda bookings, earlier: None, _seat_gate))
register(_SimpleProvider("consent", lambda bookings, earlier: consent.statuses(bookings), _consent_gate))


# -- gates of payments ----------------------------------------------------------------------------

def _payment_load(bookings: list[Booking], earlier: dict[str, Any]) -> dict:
    from app.services import payments

    return {"ledgers": payments.ledgers(bookings), "consent": earlier["consent"]}


def _deposit_gate(booking: Booking, loaded: dict) -> Gate:
    label = str(_l("Deposit paid"))
    ledger = loaded["ledgers"][booking.id]
    flight = booking.flight
    amount = format_money_for(flight.deposit_minor, flight.currency)
    if ledger.deposit_paid:
        return Gate("deposit", label, GateStatus.DONE, str(_l("Deposit of %(amount)s received.", amount=amount)))
    if not loaded["consent"][booking.id].signed:
        return Gate("deposit", label, GateStatus.BLOCKED,
                    str(_l("Sign the informed consent first; then pay the deposit of %(amount)s.", amount=amount)),
                    url_for("consent.sign", reference=booking.reference), str(_l("Read and sign")))
    return Gate("deposit", label, GateStatus.ACTION,
                str(_l("Pay the deposit of %(amount)s to confirm your seat.", amount=amount)),
                url_for("bookings.detail", reference=booking.reference), str(_l("Pay the deposit")))


def _paid_in_full_gate(booking: Booking, loaded: dict) -> Gate:
    from datetime import timedelta

    label = str(_l("Paid in full"))
    ledger = loaded["ledgers"][booking.id]
    if ledger.outstanding_minor == 0:
        return Gate("paid", label, GateStatus.DONE, str(_l("Everything is paid.")))
    flight = booking.flight
    due = flight.launch_at - timedelta(days=flight.balance_due_days)
    return Gate(
        "paid", label, GateStatus.WAITING if not ledger.deposit_paid else GateStatus.ACTION,
        str(_l("%(amount)s still to pay, due by %(date)s.",
               amount=format_money_for(ledger.outstanding_minor, ledger.currency),
               date=format_date(due, "medium"))),
        url_for("bookings.detail", reference=booking.reference), str(_l("See payments")),
    )


def format_money_for(amount_minor: int, currency: str) -> str:
    from flask_babel import get_locale

    from app.money import format_money

    return format_money(amount_minor, currency, str(get_locale()))


register(_SimpleProvider(
    "payments", _payment_load,
    lambda booking, loaded: [_deposit_gate(booking, loaded), _paid_in_full_gate(booking, loaded)],
))


# -- gate of the medical assessment ---------------------------------------------------------------
# The reasons name a status and never a finding: operations and logistics read the same gates.

def _medical_load(bookings: list[Booking], earlier: dict[str, Any]) -> dict:
    from app.services import medical

    return medical.clearance_statuses(bookings)


def _medical_gate(booking: Booking, statuses: dict) -> Gate:
    from app.services.medical import Clearance, tourist_page_url

    label = str(_l("Medically cleared through launch"))
    status = statuses[booking.id]
    page = tourist_page_url()
    until = format_date(status.valid_until, "medium") if status.valid_until else ""
    if status.cleared and status.self_certification_due:
        return Gate(
            "medical", label, GateStatus.ACTION,
            str(_l("Cleared through %(date)s. Before launch, confirm that nothing about your health "
                   "has changed since your assessment.", date=until)),
            url_for("medical.self_certification", reference=booking.reference), str(_l("Confirm your health")),
        )
    if status.cleared:
        return Gate("medical", label, GateStatus.DONE,
                    str(_l("Cleared through %(date)s, the launch date included.", date=until)))
    gates = {
        Clearance.NOT_STARTED: (GateStatus.ACTION, _l("Fill in the health questionnaire for the medical team."),
                                _l("Fill in the questionnaire")),
        Clearance.ANSWERING: (GateStatus.ACTION, _l("Finish and submit your health questionnaire."),
                              _l("Continue the questionnaire")),
        Clearance.WAITING_FOR_REVIEW: (GateStatus.WAITING, _l("The medical team is reviewing your questionnaire."),
                                       _l("Open your medical page")),
        Clearance.INFO_REQUESTED: (GateStatus.ACTION, _l("The medical team would like more information from you."),
                                   _l("Answer the medical team")),
        Clearance.NOT_CLEARED: (GateStatus.BLOCKED, _l("The medical team could not clear you for flight."),
                                _l("Open your medical page")),
    }
    if status.change_under_review:
        return Gate("medical", label, GateStatus.WAITING,
                    str(_l("The medical team is reviewing the change you reported.")),
                    page, str(_l("Open your medical page")))
    if status.status is Clearance.EXPIRES_BEFORE_LAUNCH:
        return Gate("medical", label, GateStatus.ACTION,
                    str(_l("Your clearance ends on %(date)s, before the launch: renew it.", date=until)),
                    page, str(_l("Renew your clearance")))
    gate_status, reason, action = gates[status.status]
    return Gate("medical", label, gate_status, str(reason), page, str(action))


register(_SimpleProvider("medical_clearance", _medical_load, _medical_gate))
