"""Who may see what of a medical record, and the access log every medical route writes.

Only medical staff see answers, findings and notes. Other staff see a case's status alone. A
tourist sees their own answers, status, requested information and stated restrictions, never the
internal notes. Every view, change and download of medical data writes a :class:`MedicalAccess`
row, in the same transaction as what it records.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.errors import ServiceError
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import CaseEvent, CaseState, MedicalAccess, MedicalCase, Role, User
from app.timeutil import now_utc

#: Every move the case state machine allows: (from, to). ``None`` is a new case.
S = CaseState
TRANSITIONS: frozenset[tuple[CaseState | None, CaseState]] = frozenset({
    (None, S.ANSWERING),
    (S.ANSWERING, S.SUBMITTED),          # the tourist submits the questionnaire
    (S.SUBMITTED, S.CLEARED),
    (S.SUBMITTED, S.RESTRICTED),
    (S.SUBMITTED, S.INFO_REQUESTED),
    (S.SUBMITTED, S.NOT_CLEARED),
    (S.INFO_REQUESTED, S.SUBMITTED),     # the tourist answered the request
    (S.CLEARED, S.SUBMITTED),            # self-certification: something changed
    (S.RESTRICTED, S.SUBMITTED),
    (S.CLEARED, S.NOT_CLEARED),          # a later finding withdraws a clearance
    (S.RESTRICTED, S.NOT_CLEARED),
})


#: A decided case's decision corrected by medical staff, with a reason (a new event row, the old
#: one kept): a clearance extended or its restrictions changed, cleared <-> restricted, more
#: information asked of a cleared tourist, or a refusal reconsidered.
DECIDED = (S.CLEARED, S.RESTRICTED, S.NOT_CLEARED)
CORRECTIONS: frozenset[tuple[CaseState, CaseState]] = frozenset(
    (a, b) for a in DECIDED for b in (S.CLEARED, S.RESTRICTED, S.INFO_REQUESTED, S.NOT_CLEARED)
    if (a, b) != (S.NOT_CLEARED, S.NOT_CLEARED)
)
#: The tourist tells the medical team about a change: a clearance goes back to review; a case
#: already waiting for review keeps waiting, with the report in its history.
CHANGE_REPORTS: frozenset[tuple[CaseState, CaseState]] = frozenset({
    (S.CLEARED, S.SUBMITTED), (S.RESTRICTED, S.SUBMITTED), (S.SUBMITTED, S.SUBMITTED),
})
ALLOWED_BY_KIND = {"transition": TRANSITIONS, "correction": CORRECTIONS, "change_report": CHANGE_REPORTS}


#: A case's state as medical staff read it in its history.
CASE_STATES = {
    S.ANSWERING: _l("Answering the questionnaire"),
    S.SUBMITTED: _l("Submitted for review"),
    S.INFO_REQUESTED: _l("More information requested"),
    S.CLEARED: _l("Cleared"),
    S.RESTRICTED: _l("Cleared with restrictions"),
    S.NOT_CLEARED: _l("Not cleared"),
}


class CaseTransitionNotAllowed(ServiceError):
    def __init__(self, from_state: CaseState | None, to_state: CaseState) -> None:
        super().__init__(_("This medical case cannot move from %(a)s to %(b)s.",
                           a=CASE_STATES[from_state] if from_state else "-", b=CASE_STATES[to_state]))
        self.from_state, self.to_state = from_state, to_state


def transition(case: MedicalCase, to_state: CaseState, *, actor: User | None, note: str = "",
               kind: str = "transition", reason: str | None = None, valid_until=None) -> CaseEvent:
    """Move ``case`` to ``to_state``, writing an event row: the only way a case's state changes.
    ``kind`` says which moves are allowed: the state machine's (``TRANSITIONS``), a corrected
    decision (``CORRECTIONS``, with its ``reason``) or a change the tourist reported
    (``CHANGE_REPORTS``)."""
    from_state = case.state if case.id is not None and case.state is not None else None
    if (from_state, to_state) not in ALLOWED_BY_KIND[kind]:
        raise CaseTransitionNotAllowed(from_state, to_state)
    case.state = to_state
    db.session.flush()
    event = CaseEvent(case_id=case.id, from_state=from_state, to_state=to_state,
                      actor_id=actor.id if actor else None, note=note, kind=kind, reason=reason,
                      valid_until=valid_until)
    db.session.add(event)
    db.session.flush()
    return event


def is_medical(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.role is Role.MEDICAL


def may_see_details(user: User | None, case: MedicalCase) -> bool:
    """Answers and uploads: medical staff, and the tourist whose case it is."""
    return is_medical(user) or (user is not None and user.is_authenticated and user.id == case.user_id)


#: The access log's row, written with the table's INSERT: every medical page writes one, and the
#: ORM's way (an object, a flush of the session, its id read back) cost more than the insert.
_LOG_ROW = insert(MedicalAccess.__table__)


def log_access(actor: User | None, case: MedicalCase | None, action: str, what: str) -> None:
    """Write down who did what to which medical record. ``action``: view, change, download,
    decide, submit, upload..."""
    db.session.execute(_LOG_ROW, {
        "actor_id": actor.id if actor is not None and getattr(actor, "id", None) else None,
        "case_id": case.id if case is not None else None, "action": action, "what": what[:200],
        "ip_address": (request.remote_addr or "")[:45] if has_request_context() else "", "at": now_utc(),
    })


def access_log(case: MedicalCase) -> list[MedicalAccess]:
    return list(db.session.scalars(
        select(MedicalAccess).where(MedicalAccess.case_id == case.id)
        .order_by(MedicalAccess.at.desc(), MedicalAccess.id.desc())
    ))
