"""Erasure on request: the tourist sees what it would mean (a live booking cancelled, what the law
keeps) and asks; operations confirm or refuse, with a reason, by the request's due date; a task
then erases part by part (:mod:`app.personal_data`, in ``erase_order``), each part's work and the
record that it is done (:class:`ErasureStep`) in one transaction. A run killed half-way resumes at
the first part not done, and nothing is done twice."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from app import personal_data
from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox, reminders
from app.models import Booking, BookingState, ErasureRequest, ErasureState, ErasureStep, PrivacyLogKind, Role, User
from app.personal_data import Consequence, Part
from app.privacy import log
from app.timeutil import now_utc
from app.transactions import after_commit
from app.urls import external_url

S = ErasureState
ERASE_TASK = "countdown.erase_personal_data"
MAX_REASON = 2000


@dataclass(frozen=True)
class Preview:
    """What erasure would do, part by part; ``warnings`` are what the tourist must agree to first."""

    parts: list[tuple[Part, list[Consequence]]]

    @property
    def warnings(self) -> list[Consequence]:
        return [c for _p, found in self.parts for c in found if c.warning]


def facts_about(user: User) -> dict[str, dict]:
    """Every part's facts about ``user`` (:func:`app.personal_data.facts_about`), in one statement:
    what :func:`preview` reads, and whether a request is open (``facts["privacy"]["open_request"]``,
    as :func:`has_open_request` says)."""
    return personal_data.facts_about(user, personal_data.parts())


def preview(user: User, facts: dict[str, dict] | None = None) -> Preview:
    """What erasure would do for ``user``; ``facts``: :func:`facts_about`, when the caller has them."""
    facts = facts if facts is not None else facts_about(user)
    return Preview([(part, found) for part in personal_data.parts() if (found := part.preview(user, facts[part.key]))])


def lock_user(user: User) -> None:
    """The user's row, locked for this transaction (PostgreSQL; SQLite's transactions are serial)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def open_request(user: User) -> ErasureRequest | None:
    return db.session.scalar(select(ErasureRequest).where(
        ErasureRequest.user_id == user.id, ErasureRequest.state.in_([S.REQUESTED, S.CONFIRMED])))


def has_open_request(user: User) -> bool:
    """Whether the tourist has a request waiting or being carried out (its id only: the request
    itself, with the reason to decrypt, is not needed to know)."""
    return db.session.scalar(select(ErasureRequest.id).where(
        ErasureRequest.user_id == user.id, ErasureRequest.state.in_([S.REQUESTED, S.CONFIRMED]))) is not None


def latest(user: User) -> ErasureRequest | None:
    return db.session.scalar(select(ErasureRequest).where(ErasureRequest.user_id == user.id)
                             .order_by(ErasureRequest.id.desc()).limit(1))


def request_erasure(user: User, reason: str, agreed: bool, now: datetime | None = None) -> ErasureRequest:
    now = now or now_utc()
    if user.role is not Role.TOURIST:
        raise ServiceError(_("Only a tourist's account can be erased on request; staff accounts are closed by "
                             "operations."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ServiceError(_("Please keep your reason under %(count)d characters.", count=MAX_REASON), "reason")
    lock_user(user)  # two submissions at once: the second finds the first
    if open_request(user) is not None:
        raise ServiceError(_("You have asked for erasure already; we will answer by the date shown."))
    warnings = preview(user).warnings
    if warnings and not agreed:
        raise ServiceError(_("Please confirm that you understand what erasure means for your bookings."), "agree")
    live = live_bookings([user.id], now).get(user.id, 0)
    request = ErasureRequest(user_id=user.id, reason=reason, live_bookings=live, requested_at=now,
                             due_at=now + timedelta(days=current_app.config["PRIVACY_ERASURE_DAYS"]))
    db.session.add(request)
    db.session.flush()
    log.write(PrivacyLogKind.ERASURE_REQUESTED, actor=user, subject_id=user.id)
    for staff in db.session.scalars(select(User).where(User.role == Role.OPERATIONS, User.active.is_(True))):
        outbox.queue_email("privacy_erasure_requested", user=staff, request=request,
                           url=external_url("privacy.operations.index"))
    return request


def _locked(request_id: int) -> ErasureRequest:
    request = db.session.scalar(select(ErasureRequest).where(ErasureRequest.id == request_id).with_for_update()
                                .execution_options(populate_existing=True))
    if request is None:
        raise ServiceError(_("This request does not exist."))
    return request


def withdraw(user: User, request_id: int) -> ErasureRequest:
    request = _locked(request_id)
    if request.user_id != user.id:
        raise ServiceError(_("This request does not exist."))
    if request.state is not S.REQUESTED:
        raise ServiceError(_("This request can no longer be withdrawn: operations have answered it."))
    request.state = S.WITHDRAWN
    log.write(PrivacyLogKind.ERASURE_WITHDRAWN, actor=user, subject_id=user.id)
    return request


def _decide(request_id: int, actor: User, to: ErasureState, reason: str) -> ErasureRequest:
    request = _locked(request_id)
    if request.state is not S.REQUESTED:
        raise ServiceError(_("This request has been answered already."))
    request.state, request.decided_by_id, request.decided_at = to, actor.id, now_utc()
    request.decision_reason = reason
    return request


def confirm(request_id: int, actor: User, note: str = "") -> ErasureRequest:
    """Operations confirm: the tourist is told, and the erasure task starts after the commit."""
    request = _decide(request_id, actor, S.CONFIRMED, (note or "").strip()[:MAX_REASON])
    log.write(PrivacyLogKind.ERASURE_CONFIRMED, actor=actor, subject_id=request.user_id)
    reminders.notify("privacy_erasure_confirmed", request)
    after_commit(ERASE_TASK, request.id)
    return request


def refuse(request_id: int, actor: User, reason: str) -> ErasureRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the request is refused: the tourist reads it."), "reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_("Please keep your reason under %(count)d characters.", count=MAX_REASON), "reason")
    request = _decide(request_id, actor, S.REFUSED, reason)
    log.write(PrivacyLogKind.ERASURE_REFUSED, actor=actor, subject_id=request.user_id, detail={"reason": reason})
    reminders.notify("privacy_erasure_refused", request)
    return request


def erase_next(request_id: int, now: datetime | None = None) -> str | None:
    """Erase the next part of a confirmed request, and record it done, in the caller's transaction.
    Returns the part's key, or None when every part is done (or the request is not confirmed)."""
    request = _locked(request_id)
    if request.state is not S.CONFIRMED:
        return None
    done = set(db.session.scalars(select(ErasureStep.part).where(ErasureStep.request_id == request.id)))
    for part in personal_data.erasure_order():
        if part.key in done:
            continue
        if request.started_at is None:
            request.started_at = now or now_utc()
            # From the first part on, no one logs in to the account: nothing new is booked or
            # written while it is being erased (its sessions end with it, the account part).
            request.user.active = False
        outcome = part.erase(request.user, request.decided_by)
        with force_locale("en"):  # stored as written, shown in the reader's language
            kept = [{"rule": k.rule, "what": str(k.what), "count": k.count} for k in outcome.kept]
        db.session.add(ErasureStep(request_id=request_id, part=part.key, erased=outcome.erased, kept=kept))
        db.session.flush()
        return part.key
    return None


def finish(request_id: int, now: datetime | None = None) -> ErasureRequest | None:
    """Every part done: the request is done, the tourist's own words on it go, and the log says
    how many rows went and what was kept under which rule."""
    request = _locked(request_id)
    if request.state is not S.CONFIRMED:
        return None
    steps = list(db.session.scalars(select(ErasureStep).where(ErasureStep.request_id == request.id)))
    if not {p.key for p in personal_data.parts()} <= {s.part for s in steps}:
        return None
    request.state, request.finished_at, request.reason = S.DONE, now or now_utc(), ""
    kept: dict[str, int] = {}
    for step in steps:
        for item in step.kept:
            kept[item["rule"]] = kept.get(item["rule"], 0) + item["count"]
    log.write(PrivacyLogKind.ERASURE_DONE, actor=request.decided_by, subject_id=request.user_id,
              rows=sum(s.erased for s in steps), detail={"kept": kept})
    return request


def to_carry_out(now: datetime | None = None) -> list[int]:
    """Confirmed requests not finished a while after they were confirmed (their task was lost, or
    its worker died): the sweep's."""
    since = (now or now_utc()) - timedelta(minutes=10)
    return list(db.session.scalars(select(ErasureRequest.id).where(
        ErasureRequest.state == S.CONFIRMED, ErasureRequest.decided_at < since).order_by(ErasureRequest.id)))


@dataclass(frozen=True)
class Waiting:
    count: int
    first_due: datetime | None


def waiting() -> Waiting:
    """How many requests wait for operations' answer, and the soonest due date (one query)."""
    count, first = db.session.execute(select(func.count(ErasureRequest.id), func.min(ErasureRequest.due_at))
                                      .where(ErasureRequest.state == S.REQUESTED)).one()
    return Waiting(count or 0, first)


@dataclass(frozen=True)
class Pending:
    """A request waiting for operations' answer, as their list shows it."""

    id: int
    user_id: int
    name: str
    email: str
    requested_at: datetime
    due_at: datetime
    #: The tourist's live bookings now (:func:`live_bookings`): confirming cancels them.
    live: int


# The operations page's statements, composed once: composing them cost about as much CPU as
# running them.
_LIVE_NOW = (Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED])
             & ((Booking.state == BookingState.CONFIRMED) | (Booking.hold_expires_at > bindparam("now"))))
_PENDING = (
    select(ErasureRequest.id, ErasureRequest.user_id, User.name, User.email, ErasureRequest.requested_at,
           ErasureRequest.due_at,
           # Counted per request in the same statement (a few index lookups each), not in another.
           select(func.count()).where(Booking.user_id == ErasureRequest.user_id, _LIVE_NOW).scalar_subquery())
    .join(User, User.id == ErasureRequest.user_id)
    .where(ErasureRequest.state == S.REQUESTED).order_by(ErasureRequest.due_at)
)
_LIVE = (
    select(Booking.user_id, func.count())
    .where(Booking.user_id.in_(bindparam("user_ids", expanding=True)), _LIVE_NOW)
    .group_by(Booking.user_id)
)
_KEPT = (
    select(ErasureStep.request_id, ErasureStep.kept)
    .where(ErasureStep.request_id.in_(bindparam("request_ids", expanding=True)))
    .order_by(ErasureStep.request_id, ErasureStep.done_at)
)


def pending(now: datetime | None = None) -> list[Pending]:
    """What operations must answer, the soonest due first, with each tourist's live bookings now:
    the columns the list shows (whole requests would decrypt each tourist's reason, which the list
    does not show)."""
    return [Pending(*row) for row in db.session.execute(_PENDING, {"now": now or now_utc()})]


def live_bookings(user_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Live bookings per tourist now (one query): confirming cancels them, booked since the
    request or not."""
    if not user_ids:
        return {}
    rows = db.session.execute(_LIVE, {"user_ids": user_ids, "now": now or now_utc()})
    return {user_id: count for user_id, count in rows}


@dataclass(frozen=True)
class Answered:
    """An answered request, as operations' list shows it: what was kept under which rule as
    :func:`kept_by_rule` gives it."""

    id: int
    name: str
    state: ErasureState
    decision_reason: str
    decided_at: datetime | None
    decided_by: str | None
    kept: list[tuple[personal_data.Rule | None, str, int]]


@functools.cache
def _answered_statement(limit: int):
    """The latest ``limit`` answered requests with their tourist's and decider's names: the
    requests first (a sort of the requests alone), then the names of those (joining every
    answered request to its users before the limit had the database hash the users table);
    composed once."""
    latest = aliased(ErasureRequest, select(ErasureRequest).where(ErasureRequest.state != S.REQUESTED)
                     .order_by(ErasureRequest.decided_at.desc().nulls_last(), ErasureRequest.id.desc())
                     .limit(limit).subquery())
    decider = aliased(User)
    return (select(latest.id, User.name, latest.state, latest.decision_reason, latest.decided_at, decider.name)
            .join(User, User.id == latest.user_id).outerjoin(decider, decider.id == latest.decided_by_id)
            .order_by(latest.decided_at.desc().nulls_last(), latest.id.desc()))


def answered(limit: int = 20) -> list[Answered]:
    """The latest answered requests (two queries: the requests with their names, then their
    steps' kept lists; columns only, the tourist's encrypted reason is not shown here)."""
    rows = db.session.execute(_answered_statement(limit)).all()
    kept: dict[int, list] = {}
    if rows:
        for request_id, items in db.session.execute(_KEPT, {"request_ids": [r[0] for r in rows]}):
            kept.setdefault(request_id, []).extend(items)
    rules = personal_data.rules()
    return [Answered(*row, kept=[(rules.get(item["rule"]), item["what"], item["count"])
                                 for item in kept.get(row[0], [])]) for row in rows]


def get(request_id: int) -> ErasureRequest | None:
    return db.session.get(ErasureRequest, request_id)


def kept_by_rule(request: ErasureRequest) -> list[tuple[personal_data.Rule | None, str, int]]:
    rules = personal_data.rules()
    return [(rules.get(item["rule"]), item["what"], item["count"])
            for step in request.steps for item in step.kept]
