"""One readiness verdict per booking, made of gates that the domains register.

A gate provider loads what it needs for many bookings at once (so a page of bookings costs a fixed
number of queries) and then says, per booking, whether its gate is passed, with a reason and a
link to act, worded for its reader (:class:`Audience`: the tourist's checklist says what to do
next; operations' matrix says where things stand and where staff act). The engine knows no
domain: each domain registers its providers with :func:`register` in its ``gates`` module, at a
position in the journey's order (the seat, the consent, the payments, the medical clearance, ...).
A provider can use what an earlier one loaded.

A provider may also name *facts*: SQL expressions with one value per booking (over ``bookings``
joined to their ``flights``). The engine asks every provider's facts, and whether a booking has a
live override, in one statement for all the bookings before the providers load (each statement
costs more to send and read than such a fact costs to answer); a provider finds its own under
``earlier["facts"][key]`` (by booking id, then by name). Facts may read a table that the provider
joins to each booking (:class:`Facts`' ``joins``: at most one row per booking), so that several
columns of one row are looked up once. A provider whose facts a page may have loaded already names
them (``facts_known``: a name of ``known``, by booking id); its facts are not asked when ``known``
has them for every booking.

Operations may override a gate that its provider declares overridable and the operator's policy
(``OVERRIDABLE_GATES``) allows, with a reason (:func:`override`); the engine applies the live
overrides (:class:`~app.models.GateOverride`) to every verdict, the journey's and the matrix's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Callable, Protocol

from flask import current_app
from sqlalchemy import Integer, bindparam, exists, func, select
from sqlalchemy.dialects import postgresql as postgresql_types
from sqlalchemy.exc import IntegrityError

from app.errors import ServiceError
from app.extensions import db
from app.formats import on_day
from app.i18n import gettext as _
from app.models import Booking, Flight, GateOverride, User
from app.timeutil import now_utc

#: Longest reason an override keeps.
REASON_MAX = 500


class Audience(str, enum.Enum):
    TOURIST = "tourist"  # the tourist's own checklist: what they do next
    STAFF = "staff"      # operations' matrix: where things stand and where staff act


class GateStatus(str, enum.Enum):
    DONE = "done"              # passed
    ACTION = "action"          # the tourist has something to do
    WAITING = "waiting"        # waiting on staff or time
    BLOCKED = "blocked"        # cannot pass as things stand
    OVERRIDDEN = "overridden"  # not passed, but operations waived it (with a recorded reason)


@dataclass(frozen=True)
class Gate:
    key: str
    label: str
    status: GateStatus
    reason: str
    url: str | None = None
    action: str | None = None
    #: Set by the engine: the live override applied to this gate, and whether policy lets
    #: operations override it at all.
    override: GateOverride | None = None
    overridable: bool = False
    #: For an overridden gate: the gate as it stands without the override.
    standing: Gate | None = None

    @property
    def passed(self) -> bool:
        return self.status is GateStatus.DONE or self.status is GateStatus.OVERRIDDEN

    def overridable_copy(self) -> Gate:
        """This gate, marked as one policy lets operations override: ``replace(gate,
        overridable=True)`` with every field named (a third of ``replace``'s cost, which looks
        the fields up each time; the engine marks a few of every booking's gates)."""
        return Gate(self.key, self.label, self.status, self.reason, self.url, self.action, self.override, True,
                    self.standing)


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

    def gate(self, key: str) -> Gate | None:
        return next((g for g in self.gates if g.key == key), None)


class GateProvider(Protocol):
    key: str
    #: The keys of this provider's gates that operations may override where policy allows.
    overridable: frozenset[str]

    def load(self, bookings: list[Booking], earlier: dict[str, Any]) -> Any:
        """Everything the gates need for all ``bookings`` at once; ``earlier`` holds what the
        providers registered before this one loaded, by key, and what the page had loaded already
        (:func:`readiness_for`'s ``known``), so nothing is loaded twice."""

    def gate(self, booking: Booking, loaded: Any, audience: Audience) -> Gate | list[Gate]: ...

    #: Optional: a function giving this provider's facts by name (see the module's docstring).
    facts: Callable[[], dict[str, Any]] | None
    #: Optional: the name of ``known`` data (by booking id) that makes this provider's facts needless.
    facts_known: str | None


class Facts(dict):
    """A provider's facts by name (SQL per booking) that read ``joins``: (target, on clause) pairs
    that the engine outer-joins to ``bookings`` in its statement, each giving at most one row per
    booking (such as the tourist's newest medical case)."""

    def __init__(self, columns: dict[str, Any], joins: list[tuple[Any, Any]] = ()) -> None:
        super().__init__(columns)
        self.joins = tuple(joins)


_PROVIDERS: list[GateProvider] = []
_POSITIONS: dict[str, int] = {}


def register(provider: GateProvider, *, position: int) -> GateProvider:
    """Add a domain's gates (its key must not be a name of ``known`` data: ``ledgers``, nor
    ``facts``).
    ``position`` orders them in every checklist (lowest first) and in loading: a provider can read
    what those before it loaded."""
    if all(p.key != provider.key for p in _PROVIDERS):
        _POSITIONS[provider.key] = position
        _PROVIDERS.append(provider)
        _PROVIDERS.sort(key=lambda p: _POSITIONS[p.key])
    return provider


def providers() -> list[GateProvider]:
    return list(_PROVIDERS)


def overridable_gates() -> frozenset[str]:
    """The gates operations may override: those their providers allow, as far as the operator's
    policy (``OVERRIDABLE_GATES``) also allows them."""
    declared = frozenset(key for p in _PROVIDERS for key in p.overridable)
    return declared & frozenset(current_app.config.get("OVERRIDABLE_GATES", ()))


def readiness_for(bookings: list[Booking], audience: Audience = Audience.TOURIST,
                  known: dict[str, Any] | None = None) -> dict[int, Readiness]:
    """The gates of each booking that holds a seat, worded for ``audience``, with operations'
    live overrides applied. A closed booking (cancelled, expired, or a hold that lapsed) gets no
    gates: it asks nothing of the tourist any more. ``known`` is what the page loaded already for
    these bookings (and maybe others), by a name a provider looks for (payments: ``ledgers``); a
    provider loads what it does not find there."""
    result = {b.id: Readiness(b) for b in bookings}
    open_bookings = [b for b in bookings if not result[b.id].closed]
    if not open_bookings:
        return result
    earlier: dict[str, Any] = dict(known or {})
    allowed = overridable_gates()
    earlier["facts"], overridden = _facts(open_bookings, bool(allowed), earlier)
    for provider in _PROVIDERS:
        loaded = earlier[provider.key] = provider.load(open_bookings, earlier)
        for booking in open_bookings:
            gates = provider.gate(booking, loaded, audience)
            result[booking.id].gates.extend(gates if isinstance(gates, list) else [gates])
    if allowed:
        overrides = live_overrides(overridden) if overridden else {}
        for booking in open_bookings:
            readiness = result[booking.id]
            readiness.gates = [_applied(g, overrides.get((booking.id, g.key)), audience) if g.key in allowed else g
                               for g in readiness.gates]
    return result


def _applied(gate: Gate, override: GateOverride | None, audience: Audience) -> Gate:
    if override is None:
        return gate.overridable_copy()
    if gate.passed:  # on file, not needed now: shown so that operations can withdraw it
        return replace(gate, overridable=True, override=override if audience is Audience.STAFF else None)
    if audience is Audience.STAFF:
        reason = _("Overridden by %(name)s on %(date)s: %(reason)s", name=override.actor.name,
                   date=on_day(override.created_at, "medium"), reason=override.reason)
    else:
        reason = _("The operator waived this step on %(date)s.", date=on_day(override.created_at, "medium"))
    return replace(gate, status=GateStatus.OVERRIDDEN, reason=reason, override=override, overridable=True,
                   standing=replace(gate, overridable=True),
                   url=None if audience is Audience.TOURIST else gate.url,
                   action=None if audience is Audience.TOURIST else gate.action)


def _facts(bookings: list[Booking], overrides: bool,
           known: dict[str, Any]) -> tuple[dict[str, dict[int, dict[str, Any]]], list[int]]:
    """The providers' facts of ``bookings`` (by provider key, booking id, name) and, when
    ``overrides`` (policy lets some gate be overridden), the ids of those with a live override:
    one statement, none when nothing is asked. The facts of a provider whose ``facts_known`` data
    ``known`` has for every booking are not asked."""
    providers = tuple(p for p in _PROVIDERS if not _known(getattr(p, "facts_known", None), bookings, known))
    asked = _facts_statement(db.session.get_bind().dialect.name == "postgresql", providers, overrides)
    if asked is None:
        return {}, []
    statement, names = asked
    facts: dict[str, dict[int, dict[str, Any]]] = {key: {} for key, _names in names}
    overridden = []
    for row in db.session.execute(statement, {"ids": [b.id for b in bookings]}):
        booking_id, start = row[0], 1
        for key, keys in names:
            end = start + len(keys)
            facts[key][booking_id] = dict(zip(keys, row[start:end]))
            start = end
        if overrides and row[start]:
            overridden.append(booking_id)
    return facts, overridden


def _known(name: str | None, bookings: list[Booking], known: dict[str, Any]) -> bool:
    if name is None or (data := known.get(name)) is None:
        return False
    return all(b.id in data for b in bookings)


@cache
def _facts_statement(postgresql: bool, providers: tuple[GateProvider, ...], overrides: bool):
    """The statement of the facts of ``providers`` (and, with ``overrides``, whether each booking
    has a live override) and the facts' names per provider, in their columns' order; None when
    there is nothing to ask. Composed once. On PostgreSQL the bookings' ids go as one array (as
    ``medical.cases.latest_cases`` binds them: the text does not change with their number)."""
    names: list[tuple[str, tuple[str, ...]]] = []
    columns = []
    joins = []
    for provider in providers:
        facts = provider.facts() if getattr(provider, "facts", None) else {}
        if facts:
            names.append((provider.key, tuple(facts)))
            columns += facts.values()
            joins += getattr(facts, "joins", ())
    if overrides:
        columns.append(exists().where(GateOverride.booking_id == Booking.id, GateOverride.withdrawn_at.is_(None)))
    if not columns:
        return None
    if postgresql:
        of = Booking.id == func.any(bindparam("ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of = Booking.id.in_(bindparam("ids", expanding=True))
    statement = (select(Booking.id, *(column.label(f"fact_{i}") for i, column in enumerate(columns)))
                 .select_from(Booking).join(Flight, Flight.id == Booking.flight_id))
    for target, on in joins:
        statement = statement.outerjoin(target, on)
    return statement.where(of), names


@cache
def _live_statement(postgresql: bool):
    if postgresql:  # the ids as one array, as the facts' statement binds them
        of = GateOverride.booking_id == func.any(bindparam("ids", type_=postgresql_types.ARRAY(Integer)))
    else:
        of = GateOverride.booking_id.in_(bindparam("ids", expanding=True))
    return select(GateOverride).where(of, GateOverride.withdrawn_at.is_(None))


def live_overrides(booking_ids: list[int]) -> dict[tuple[int, str], GateOverride]:
    """The live overrides of these bookings, by (booking id, gate key)."""
    if not booking_ids:
        return {}
    rows = db.session.scalars(_live_statement(db.session.get_bind().dialect.name == "postgresql"),
                              {"ids": booking_ids})
    return {(o.booking_id, o.gate): o for o in rows}


def override_history(booking_id: int, key: str) -> list[GateOverride]:
    """Every override of one gate of a booking, live and withdrawn, newest first."""
    return list(db.session.scalars(
        select(GateOverride).where(GateOverride.booking_id == booking_id, GateOverride.gate == key)
        .order_by(GateOverride.created_at.desc(), GateOverride.id.desc())))


def override(booking: Booking, key: str, reason: str, actor: User) -> GateOverride:
    """Operations override a gate of a booking, with a reason. Refused (``ServiceError``) for a
    gate policy does not allow to override (the consent, the waiver and the medical clearance
    never), a gate already passed or already overridden, a booking that holds no seat, and a
    missing or over-long reason. The caller commits."""
    reason = (reason or "").strip()
    readiness = readiness_for([booking], Audience.STAFF)[booking.id]
    if readiness.closed:
        raise ServiceError(_("This booking holds no seat: it has no gates to override."))
    gate = readiness.gate(key)
    if gate is None:
        raise ServiceError(_("This booking has no such gate."))
    if key not in overridable_gates():
        raise ServiceError(_("“%(gate)s” can never be overridden: the tourist must pass it.", gate=gate.label))
    if gate.override is not None:
        raise ServiceError(_("“%(gate)s” is already overridden.", gate=gate.label))
    if gate.passed:
        raise ServiceError(_("“%(gate)s” is passed: there is nothing to override.", gate=gate.label))
    if not reason:
        raise ServiceError(_("Give the reason for the override: it is recorded and shown with the gate."), "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(_("Keep the reason under %(count)s characters.", count=REASON_MAX), "reason")
    made = GateOverride(booking_id=booking.id, gate=key, reason=reason, actor_id=actor.id, actor=actor,
                        created_at=now_utc())
    try:
        with db.session.begin_nested():
            db.session.add(made)
    except IntegrityError:
        # Another operator overrode the same gate at the same moment: theirs stands.
        raise ServiceError(_("“%(gate)s” is already overridden.", gate=gate.label)) from None
    return made


def withdraw(made: GateOverride, actor: User) -> GateOverride:
    """Withdraw a live override (the gate counts as it stands again); it stays in the history with
    who withdrew it and when. The caller commits."""
    if not made.live:
        raise ServiceError(_("This override was already withdrawn."))
    made.withdrawn_at, made.withdrawn_by_id = now_utc(), actor.id
    db.session.flush()
    return made


def mark(message: str) -> str:
    """Marks a message for pybabel (import it as ``_l``); :class:`Words` translates it."""
    return message


class Words(dict):
    """A page's gate texts, each translated once per page: a matrix of 80 bookings says most of
    them 80 times alike. A provider's ``load`` makes one (the language does not change within a
    page); ``words(message, **values)`` reads as ``gettext(message, **values)``."""

    def __call__(self, message: str, **values: Any) -> str:
        text = self.get(message)
        if text is None:
            text = self[message] = _(message)
        return text % values if values else text


@dataclass(frozen=True)
class SimpleProvider:
    """A provider made of two functions: ``load`` for many bookings, ``gate`` for one (and the
    reader); ``overridable`` names the gates operations may override where policy allows;
    ``facts`` gives the provider's facts, ``facts_known`` names ``known`` data that makes them
    needless (see the module's docstring)."""

    key: str
    load: Callable[[list[Booking], dict[str, Any]], Any]
    gate: Callable[[Booking, Any, Audience], Gate | list[Gate]]
    overridable: frozenset[str] = frozenset()
    facts: Callable[[], dict[str, Any]] | None = None
    facts_known: str | None = None
