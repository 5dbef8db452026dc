"""Throttling attempts (log-ins, sign-ups, reset requests) in the database.

Every web process, however many gunicorn starts and on the embedded SQLite default too, counts
against the same rows, so a limit holds for the whole site. An attempt is *taken* before the work
it guards, in one transaction that holds the key: counted, then kept only if under the limit. The
attempts on one key take turns (a transaction-long advisory lock on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises every transaction already), so of any number made at the same
moment exactly ``limit`` get through. (Committing first and counting after let a refused attempt,
counted by the others before it was taken back, refuse one that was within the limit.) An attempt
over the limit is refused and not kept, so a throttled key stays throttled until its oldest
counted attempt leaves the window, and no longer. The caller may *release* an attempt that should
not count (a log-in that succeeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.config import LIMIT_PATTERN as _LIMIT
from app.extensions import db
from app.models import ThrottleHit
from app.timeutil import now_utc
from app.transactions import commit

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Limit:
    amount: int
    window: timedelta

    @classmethod
    def parse(cls, text: str) -> "Limit":
        """``"5 per 5 minutes"``, ``"20 per minute"``, ``"10/hour"``."""
        match = _LIMIT.match(text)
        if not match:
            raise ValueError(f"not a limit: {text!r} (write e.g. '5 per 5 minutes')")
        amount, count, unit = int(match[1]), int(match[2] or 1), match[3].lower()
        return cls(amount, timedelta(seconds=count * _UNITS[unit]))


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def take(key: str, limit: str | Limit) -> int | None:
    """Count one attempt under ``key``. Returns its id (to :func:`release` it), or ``None`` when
    ``limit`` is already reached: then nothing is kept. Commits the current transaction."""
    if not enabled():
        return 0
    limit = Limit.parse(limit) if isinstance(limit, str) else limit
    now = now_utc()
    key = key[:300]
    if db.session.get_bind().dialect.name == "postgresql":
        # The key's attempts take turns: the lock is held to this transaction's commit. (Under
        # READ COMMITTED, the app's level, each statement after it sees every attempt committed
        # before it; PostgreSQL 11 or later for hashtextextended.)
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    db.session.execute(delete(ThrottleHit).where(ThrottleHit.key == key,
                                                 ThrottleHit.at <= now - limit.window))
    counted = db.session.scalar(
        select(func.count()).select_from(ThrottleHit).where(
            ThrottleHit.key == key, ThrottleHit.at > now - limit.window)
    )
    if counted >= limit.amount:
        commit()  # the attempts that left the window are forgotten; this one is not kept
        return None
    hit = ThrottleHit(key=key, at=now)
    db.session.add(hit)
    commit()
    return hit.id


def release(*hit_ids: int | None) -> None:
    """Forget attempts that should not count after all. Commits."""
    ids = [i for i in hit_ids if i]
    if ids:
        db.session.execute(delete(ThrottleHit).where(ThrottleHit.id.in_(ids)))
        commit()


def purge(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget attempts older than any window (a day by default). Does not commit."""
    return db.session.execute(
        delete(ThrottleHit).where(ThrottleHit.at < now_utc() - older_than)
    ).rowcount or 0
