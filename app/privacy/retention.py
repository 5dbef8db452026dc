"""Retention: each kind of data registered with :mod:`app.personal_data` goes a period after its
domain event. A run takes each kind in turn, a batch per transaction; the batch's count is added
to the run (its row locked) in the batch's own transaction, so a run killed half-way is finished
by the next one without counting or removing anything twice. Files (medical uploads) go with
their rows, once the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app import personal_data
from app.extensions import db
from app.models import PrivacyLogKind, RetentionRun, User
from app.personal_data import Retention
from app.privacy import log
from app.timeutil import now_utc

RUN_TASK = "countdown.apply_retention"


@dataclass(frozen=True)
class Period:
    retention: Retention
    days: int


def periods() -> list[Period]:
    return [Period(r, personal_data.days_of(r)) for r in personal_data.retentions()]


def current_run(actor: User | None = None, now: datetime | None = None) -> RetentionRun:
    """The unfinished run (one killed half-way), or a new one."""
    run = db.session.scalar(select(RetentionRun).where(RetentionRun.finished_at.is_(None))
                            .order_by(RetentionRun.id).limit(1))
    if run is None:
        run = RetentionRun(started_at=now or now_utc(), actor_id=actor.id if actor else None, removed={}, done=[],
                           failed=[])
        db.session.add(run)
        db.session.flush()
    return run


def _locked(run_id: int) -> RetentionRun:
    return db.session.scalar(select(RetentionRun).where(RetentionRun.id == run_id).with_for_update()
                             .execution_options(populate_existing=True))


def next_kind(run_id: int) -> str | None:
    """The first kind of data this run has not done."""
    run = db.session.get(RetentionRun, run_id)
    done = set(run.done) if run is not None and run.finished_at is None else {r.key for r in personal_data.retentions()}
    return next((r.key for r in personal_data.retentions() if r.key not in done), None)


def skip(run_id: int, key: str) -> None:
    """``key``'s removal failed (an error, logged): this run goes on without it; the next tries again."""
    run = _locked(run_id)
    if run is not None and key not in run.done:
        run.done, run.failed = [*run.done, key], [*(run.failed or []), key]
        db.session.flush()


def step(run_id: int, now: datetime | None = None) -> bool:
    """One batch of the first kind of data not done in this run, counted in the same transaction.
    False when every kind is done."""
    run = _locked(run_id)
    if run is None or run.finished_at is not None:
        return False
    now = now or now_utc()
    limit = current_app.config["RETENTION_BATCH_SIZE"]
    for retention in personal_data.retentions():
        if retention.key in run.done:
            continue
        removed = retention.apply(personal_data.cutoff_of(retention, now), limit)
        if removed:
            run.removed = {**run.removed, retention.key: run.removed.get(retention.key, 0) + removed}
        if removed < limit:
            run.done = [*run.done, retention.key]
        db.session.flush()
        return True
    return False


def finish(run_id: int, now: datetime | None = None) -> RetentionRun | None:
    run = _locked(run_id)
    if run is None or run.finished_at is not None:
        return None
    if not {r.key for r in personal_data.retentions()} <= set(run.done):
        return None
    run.finished_at = now or now_utc()
    log.write(PrivacyLogKind.RETENTION, actor=run.actor, rows=run.total,
              detail={"removed": run.removed, "failed": run.failed, "run": run.id})
    return run


@dataclass(frozen=True)
class RecentRun:
    """A run as operations' page lists it."""

    started_at: datetime
    finished_at: datetime | None
    removed: dict[str, int]
    failed: list[str]
    actor: str | None  # who started it by hand (their name), None for the daily schedule

    @property
    def total(self) -> int:
        return sum(self.removed.values())


#: Composed once (composing it cost about as much CPU as running it).
_RECENT = (select(RetentionRun.started_at, RetentionRun.finished_at, RetentionRun.removed, RetentionRun.failed,
                  User.name)
           .outerjoin(User, User.id == RetentionRun.actor_id).order_by(RetentionRun.id.desc()))


def recent_runs(limit: int = 10) -> list[RecentRun]:
    return [RecentRun(*row) for row in db.session.execute(_RECENT.limit(limit))]
