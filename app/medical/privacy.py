"""Medical's share of a tourist's data: every case (answers, uploads, assessments, decisions,
self-certifications). Reading it for an export is written in the medical access log.

On erasure, the records of a tourist who flew are kept under the operator's medical policy, read
by medical staff only; those of a tourist who never flew are deleted with their files. Retention
deletes a case ``medical_records`` days after its last change once the tourist's last booking
ended, and the access log ``medical_access_log`` days after each access."""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update

from app import personal_data
from app.booking.privacy import FLEW, done_with, flew
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.medical import access, files, uploads
from app.models import (
    Answer,
    Assessment,
    CaseEvent,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    Role,
    SelfCertification,
    User,
)
from app.personal_data import USER_ID, Consequence, File, Kept, Outcome, Part, Retention, Rule

RULE = "medical_records"
LOG_RULE = "medical_access_log"


def _cases(user: User) -> list[MedicalCase]:
    return list(db.session.scalars(select(MedicalCase).where(MedicalCase.user_id == user.id).order_by(MedicalCase.id)))


def _uploads(case_ids: list[int]) -> list[MedicalUpload]:
    return list(db.session.scalars(select(MedicalUpload).where(MedicalUpload.case_id.in_(case_ids))
                                   .order_by(MedicalUpload.id))) if case_ids else []


def _export(user: User) -> list[dict]:
    out = []
    for case in _cases(user):
        access.log_access(None, case, "export", "the tourist's data export")
        assessments = db.session.scalars(select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id))
        certs = db.session.scalars(select(SelfCertification).where(SelfCertification.case_id == case.id)
                                   .order_by(SelfCertification.id))
        out.append({
            "case": case.id, "questionnaire_version": case.questionnaire.version,
            **personal_data.record(case, "state", "submitted_at", "decided_at", "valid_until", "restrictions",
                                   "info_request", "info_response", "created_at"),
            "answers": [{"question": a.question.text, "value": personal_data.plain(a.value)}
                        for a in sorted(case.answers, key=lambda a: a.question.position)],
            "uploads": [{**personal_data.record(u, "filename", "content_type", "size", "sha256", "created_at"),
                         "file": f"medical/{u.id}-{_safe(u.filename)}"} for u in _uploads([case.id])],
            # Medical staff's own notes (an assessment's notes, why a decision was corrected) are
            # theirs, as on the pages: the tourist gets the findings and the decisions.
            "assessments": [personal_data.record(a, "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "height_cm",
                                                 "weight_kg", "ecg_result", "centrifuge_g", "other_tests", "flags",
                                                 "created_at") for a in assessments],
            "history": [personal_data.record(e, "kind", "from_state", "to_state", "note", "valid_until",
                                             "created_at") for e in case.events],
            "self_certifications": [personal_data.record(c, "changed", "details", "created_at") for c in certs],
            "who_read_or_changed_it": [personal_data.record(a, "action", "what", "at") for a in db.session.scalars(
                select(MedicalAccess).where(MedicalAccess.case_id == case.id).order_by(MedicalAccess.id))],
        })
    return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in os.path.basename(name or "file"))[:80] or "file"


def _files(user: User) -> list[File]:
    return [File(f"medical/{u.id}-{_safe(u.filename)}", uploads.read_upload(u))
            for u in _uploads([c.id for c in _cases(user)])]


FACTS = {"cases": exists().where(MedicalCase.user_id == USER_ID), "flew": FLEW}


def _preview(user: User, facts: dict) -> list[Consequence]:
    if not facts["cases"]:
        return []
    if facts["flew"]:
        return [Consequence(_("Your medical records are kept under our medical policy, because you flew with us; "
                              "only our medical staff can read them."), rule=RULE)]
    return [Consequence(_("Your health questionnaire, its answers and files, and our medical decisions are "
                          "deleted."))]


def _delete_cases(case_ids: list[int], why: str) -> int:
    if not case_ids:
        return 0
    for case_id in case_ids:
        access.log_access(None, None, "erase", f"case {case_id}: {why}")
    files.delete_on_commit(_uploads(case_ids))
    # The access log stays (who looked, when); it no longer points to a case.
    db.session.execute(update(MedicalAccess).where(MedicalAccess.case_id.in_(case_ids)).values(case_id=None))
    rows = 0
    for model in (Answer, MedicalUpload, Assessment, CaseEvent, SelfCertification):
        rows += db.session.execute(delete(model).where(model.case_id.in_(case_ids))).rowcount
    rows += db.session.execute(delete(MedicalCase).where(MedicalCase.id.in_(case_ids))).rowcount
    return rows


def _erase(user: User, actor: User | None) -> Outcome:
    cases = _cases(user)
    logged = db.session.scalar(select(func.count()).select_from(MedicalAccess).where(
        MedicalAccess.case_id.in_([c.id for c in cases]))) if cases else 0
    kept = [Kept(LOG_RULE, _l("medical access log entries"), logged)] if logged else []
    if cases and flew(user):
        return Outcome(kept=[Kept(RULE, _l("medical cases"), len(cases)), *kept])
    erased = _delete_cases([c.id for c in cases], "erased on the tourist's request")
    db.session.expire_all()
    return Outcome(erased=erased, kept=kept)


def _apply_records(cutoff: datetime, limit: int) -> int:
    ids = list(db.session.scalars(select(MedicalCase.id).where(
        MedicalCase.updated_at < cutoff, done_with(MedicalCase.user_id, cutoff)).order_by(MedicalCase.id).limit(limit)))
    return _delete_cases(ids, "past its retention period")


personal_data.register_rule(Rule(
    RULE, _l("Medical records"),
    _l("The operator's medical policy keeps the records of those who flew for the period it sets, for "
       "their care and for any investigation of the flight."),
    roles=(Role.MEDICAL,), retention=RULE,
    position=50,
))
personal_data.register_rule(Rule(
    LOG_RULE, _l("Medical access log"),
    _l("Who looked at or changed medical records, and when (no content): kept to prove the records were "
       "protected."),
    roles=(Role.MEDICAL,), retention=LOG_RULE,
    position=55,
))
personal_data.register_retention(Retention(
    RULE, _l("Medical records"), _l("the tourist's last booking ended, or the case last changed, whichever is later"),
    _l("The operator's medical policy."), default_days=3650, apply=_apply_records, position=40,
))
personal_data.register_retention(Retention(
    LOG_RULE, _l("Medical access log"), _l("the access"),
    _l("Long enough to answer any question about who saw the records."), default_days=2190,
    apply=personal_data.older_than(MedicalAccess, MedicalAccess.at),
    position=45,
))
personal_data.register_part(Part("medical", _l("Medical assessment"), position=50,
                                 export=_export, preview=_preview, erase=_erase, files=_files, facts=FACTS))
