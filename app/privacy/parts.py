"""Privacy's own share of a tourist's data: their exports and erasure requests, and the log of
them. On erasure the log stays (what was done, and when, with no content: the proof that the
request was answered); old exports go by retention ``data_exports`` days after they were asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select, update

from app import personal_data
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import DataExport, ErasureRequest, ErasureState, ExportState, PrivacyLog, Role, User
from app.personal_data import USER_ID, Kept, Outcome, Part, Retention, Rule

RULE = "privacy_log"


def _export(user: User) -> dict:
    return {
        "log": [personal_data.record(e, "kind", "at", "rows") for e in db.session.scalars(
            select(PrivacyLog).where(PrivacyLog.subject_id == user.id).order_by(PrivacyLog.id))],
        "exports": [personal_data.record(e, "state", "requested_at", "ready_at", "expires_at", "downloaded_at")
                    for e in db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)
                                                .order_by(DataExport.id))],
        "erasure_requests": [personal_data.record(r, "state", "reason", "requested_at", "due_at", "decided_at",
                                                  "decision_reason")
                             for r in db.session.scalars(select(ErasureRequest).where(ErasureRequest.user_id == user.id)
                                                         .order_by(ErasureRequest.id))],
    }


def _erase(user: User, actor: User | None) -> Outcome:
    erased = db.session.execute(delete(DataExport).where(DataExport.user_id == user.id)).rowcount
    # What the tourist wrote, and operations' reasons about them, go; that they asked stays.
    erased += db.session.execute(update(ErasureRequest).where(ErasureRequest.user_id == user.id)
                                 .values(reason="", decision_reason="")).rowcount
    db.session.execute(update(PrivacyLog).where(PrivacyLog.subject_id == user.id).values(detail={}, ip_address=""))
    logged = db.session.scalar(select(func.count()).select_from(PrivacyLog).where(PrivacyLog.subject_id == user.id))
    return Outcome(erased=erased, kept=[Kept(RULE, _l("privacy log entries"), logged)] if logged else [])


def _apply(cutoff: datetime, limit: int) -> int:
    ids = select(DataExport.id).where(DataExport.state.in_([ExportState.DOWNLOADED, ExportState.EXPIRED]),
                                      DataExport.requested_at < cutoff).order_by(DataExport.id).limit(limit)
    return db.session.execute(delete(DataExport).where(DataExport.id.in_(ids.scalar_subquery()))).rowcount


personal_data.register_rule(Rule(
    RULE, _l("Privacy log"),
    _l("That a request was made and answered, when and by whom (no content): the proof that the operator "
       "honoured it."),
    roles=(Role.OPERATIONS,),
    retention=RULE, position=90,
))
personal_data.register_retention(Retention(
    RULE, _l("Privacy log"), _l("the entry was written"),
    _l("Long enough to show that every request was answered, and every retention run made."), default_days=2190,
    apply=personal_data.older_than(PrivacyLog, PrivacyLog.at), position=95,
))
personal_data.register_retention(Retention(
    "data_exports", _l("Data exports (the record that one was made)"), _l("the export was asked for"),
    _l("The file itself goes when it is downloaded or its link expires."), default_days=30, apply=_apply,
    position=90,
))
#: The tourist has asked for erasure, and it is not answered or not carried out yet (the page that
#: previews an erasure shows that request instead): asked with the other facts, in one statement.
FACTS = {"open_request": exists().where(ErasureRequest.user_id == USER_ID,
                                        ErasureRequest.state.in_([ErasureState.REQUESTED, ErasureState.CONFIRMED]))}

personal_data.register_part(Part("privacy", _l("Your privacy requests"), position=110, erase_order=950,
                                 export=_export, preview=lambda user, facts: [], erase=_erase, facts=FACTS))
