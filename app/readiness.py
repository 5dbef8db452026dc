"""One readiness verdict per booking, made of gates that the domains register.

A gate provider loads what it needs for many bookings at once (so a page of bookings costs a fixed
number of queries) and then says, per booking, whether its gate is passed, with a reason and a
link to act. The engine knows no domain: each domain registers its providers with
:func:`register` in its ``gates`` module, at a position in the journey's order (the seat, the
consent, the payments, the medical clearance, ...). A provider can use what an earlier one loaded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from app.models import Booking


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
        return not self.booking.holds_seat()

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
_POSITIONS: dict[str, int] = {}


def register(provider: GateProvider, *, position: int) -> GateProvider:
    """Add a domain's gates. ``position`` orders them in every checklist (lowest first) and in
    loading: a provider can read what those before it loaded."""
    if all(p.key != provider.key for p in _PROVIDERS):
        _POSITIONS[provider.key] = position
        _PROVIDERS.append(provider)
        _PROVIDERS.sort(key=lambda p: _POSITIONS[p.key])
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
class SimpleProvider:
    """A provider made of two functions: ``load`` for many bookings, ``gate`` for one."""

    key: str
    load: Callable[[list[Booking], dict[str, Any]], Any]
    gate: Callable[[Booking, Any], Gate | list[Gate]]
