"""A person's data, as the domains that hold it describe it: what they export, what they erase
or keep (and under which rule) when the person asks, and how long each kind of data is kept.

The engine knows no domain. Each registers, in its ``privacy`` module:

- a :class:`Part` (``register_part``): its share of a data export (JSON, and files), what erasure
  would do (``preview``, shown to the tourist before they ask, from the ``facts`` it asks the
  database, answered for every part in one statement) and the erasure itself (``erase``), which
  removes or anonymises what may go and returns what it kept, each item under a rule;
- the :class:`Rule` s it keeps data under (``register_rule``): why, for how long, and which roles
  may still read it;
- :class:`Retention` s (``register_retention``): a kind of data removed a period after a domain
  event (a flight flown, a booking cancelled, a conversation resolved), in batches.

Periods are set per key in ``RETENTION_DAYS`` ("medical_records=3650,messages=730"); a key not
set keeps its default. The privacy domain runs exports, erasures and retention over what is
registered here.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Callable

from flask import current_app
from sqlalchemy import bindparam, delete, select

from app.config import ConfigError
from app.extensions import db
from app.models import Role, User
from app.timeutil import now_utc


@dataclass(frozen=True)
class Rule:
    """A reason to keep data through an erasure: ``law`` names the rule, ``roles`` may still read
    what it keeps, and the data goes by the retention ``retention`` names (its key)."""

    key: str
    title: object     # lazy string: "Consent and waiver evidence"
    law: object       # lazy string: why it is kept
    roles: tuple[Role, ...]
    retention: str = ""
    #: How long, where no retention period removes it (lazy string).
    duration: object = None
    #: Where pages list it (lowest first).
    position: int = 100


@dataclass(frozen=True)
class Kept:
    """What an erasure kept: how many rows of what (a lazy string: stored in English, shown in
    the reader's language), under which rule (its key)."""

    rule: str
    what: object
    count: int


@dataclass(frozen=True)
class Outcome:
    """What one part of an erasure did: rows erased or anonymised, and what it kept."""

    erased: int = 0
    kept: list[Kept] = field(default_factory=list)


@dataclass(frozen=True)
class Consequence:
    """Shown before a tourist asks for erasure: what would go, or be kept under ``rule``, or
    happen (``warning``: a live booking would be cancelled)."""

    text: str
    rule: str = ""
    warning: bool = False


@dataclass(frozen=True)
class File:
    name: str
    content: bytes


@dataclass(frozen=True)
class Part:
    key: str
    title: object          # lazy string
    position: int
    #: The person's data as JSON-able values (None: a part that only erases).
    export: Callable[[User], Any] | None
    #: What erasure would do for this person (nothing to say: an empty list), given the answers
    #: to its ``facts`` (by name).
    preview: Callable[[User, dict[str, Any]], list[Consequence]]
    #: Erase or anonymise what may go; the caller commits (and records the part as done in the
    #: same transaction, so nothing is done twice).
    erase: Callable[[User, User | None], Outcome]
    #: Files that go into the export beside the JSON (uploads, attachments).
    files: Callable[[User], list[File]] = lambda user: []
    #: When this part erases, among the others (lowest first; ``position`` when None): the account
    #: goes last, after every domain has said what it must (a cancelled booking's email).
    erase_order: int | None = None
    #: What the preview asks the database about the person: named SQL expressions (an EXISTS, a
    #: count) written with :data:`USER_ID`, :data:`PHONE` and :data:`NOW`, composed once.
    #: :func:`facts_about` answers every part's in one statement, where a query per part (each
    #: composed anew) made the preview page a dozen round trips. A preview that needs rows (to
    #: name them) still queries.
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def erase_rank(self) -> int:
        return self.position if self.erase_order is None else self.erase_order


@dataclass(frozen=True)
class Retention:
    key: str
    title: object          # lazy string: the kind of data
    counted_from: object   # lazy string: the event the period counts from
    reason: object         # lazy string: why this long
    default_days: int
    #: Remove at most ``limit`` rows whose period ended before ``cutoff``; returns how many went.
    #: Run again, it finds only what is left.
    apply: Callable[[datetime, int], int]
    position: int = 100


#: The person a part's facts are about, and the moment they are asked at (bound by
#: :func:`facts_about`; each takes the type of the column it is compared with).
USER_ID = bindparam("fact_user_id")
PHONE = bindparam("fact_phone")
NOW = bindparam("fact_now")

_PARTS: dict[str, Part] = {}
_RULES: dict[str, Rule] = {}
_RETENTIONS: dict[str, Retention] = {}


def register_part(part: Part) -> Part:
    _PARTS.setdefault(part.key, part)
    return part


def register_rule(rule: Rule) -> Rule:
    _RULES.setdefault(rule.key, rule)
    return rule


def register_retention(retention: Retention) -> Retention:
    _RETENTIONS.setdefault(retention.key, retention)
    return retention


def parts() -> list[Part]:
    """In the order of an export."""
    return sorted(_PARTS.values(), key=lambda p: (p.position, p.key))


def erasure_order() -> list[Part]:
    return sorted(_PARTS.values(), key=lambda p: (p.erase_rank, p.key))


def part(key: str) -> Part | None:
    return _PARTS.get(key)


def facts_about(user: User, among: list[Part], now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Each part's facts about ``user`` (by part key, then by name), every part's in one statement."""
    asked = [(p.key, name) for p in among for name in p.facts]
    answers: dict[str, dict[str, Any]] = {p.key: {} for p in among}
    if asked:
        statement, columns = _facts_statement(tuple(p.key for p in among))
        row = db.session.execute(statement, {
            "fact_user_id": user.id, "fact_phone": user.phone or None, "fact_now": now or now_utc()}).one()
        for (key, name), column in zip(asked, columns):
            answers[key][name] = row[column]
    return answers


@functools.cache
def _facts_statement(keys: tuple[str, ...]):
    """The one statement that asks the facts of the parts ``keys``, and the column of each fact
    in their order; composed once. A fact several parts ask with the same expression (booking's
    ``FLEW``: medical and training keep what a participant's flight needs) is asked once: the
    database plans each EXISTS anew on every call, and planning is most of this statement's time."""
    expressions: list[Any] = []
    position: dict[int, int] = {}  # an expression's column, by the expression's identity
    columns = []
    for key in keys:
        for expression in _PARTS[key].facts.values():
            if id(expression) not in position:
                position[id(expression)] = len(expressions)
                expressions.append(expression)
            columns.append(position[id(expression)])
    return select(*(expression.label(f"fact_{i}") for i, expression in enumerate(expressions))), columns


def rules() -> dict[str, Rule]:
    return {rule.key: rule for rule in sorted(_RULES.values(), key=lambda r: (r.position, r.key))}


def retentions() -> list[Retention]:
    return sorted(_RETENTIONS.values(), key=lambda r: (r.position, r.key))


def parse_periods(text: str) -> dict[str, int]:
    """``"medical_records=3650, messages=730"`` as a dict; a malformed item is a ConfigError."""
    periods: dict[str, int] = {}
    for item in (i.strip() for i in text.replace(";", ",").split(",")):
        if not item:
            continue
        key, sep, days = item.partition("=")
        if not sep or not key.strip() or not days.strip().isdigit() or int(days) <= 0:
            raise ConfigError(f"RETENTION_DAYS must read like 'messages=730,medical_records=3650', got {item!r}")
        periods[key.strip().lower()] = int(days)
    return periods


def check_periods(text: str) -> None:
    """Every key set names a registered retention (called once the domains are loaded)."""
    unknown = sorted(set(parse_periods(text)) - set(_RETENTIONS))
    if unknown:
        raise ConfigError(f"RETENTION_DAYS names unknown kinds of data: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(_RETENTIONS))})")


def days_of(retention: Retention) -> int:
    return parse_periods(current_app.config["RETENTION_DAYS"]).get(retention.key, retention.default_days)


def cutoff_of(retention: Retention, now: datetime) -> datetime:
    return now - timedelta(days=days_of(retention))


def older_than(model: Any, column: Any) -> Callable[[datetime, int], int]:
    """A retention's ``apply`` for rows that go on their own once ``column`` is before the cutoff
    (a log entry, a manifest): the oldest ``limit`` of them in one statement."""
    def apply(cutoff: datetime, limit: int) -> int:
        ids = select(model.id).where(column < cutoff).order_by(model.id).limit(limit).scalar_subquery()
        return db.session.execute(delete(model).where(model.id.in_(ids))).rowcount
    return apply


# -- writing an export ----------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A value as JSON holds it: times and dates in ISO 8601, enums by value, decimals as text."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def record(obj: Any, *fields: str) -> dict[str, Any]:
    """``fields`` of a row, as JSON holds them."""
    return {name: plain(getattr(obj, name)) for name in fields}
