"""The encrypted files of medical uploads follow the database transaction: a file written for an
upload is deleted if the transaction rolls back, and one discarded is deleted once it commits, so
a file never outlives its row or goes before it."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import MedicalCase, MedicalUpload

_WRITTEN = "countdown_medical_files_written"    # delete if the transaction rolls back
_DISCARDED = "countdown_medical_files_discarded"  # delete once the transaction commits


def upload_dir() -> Path:
    path = Path(current_app.config["MEDICAL_UPLOAD_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(upload: MedicalUpload) -> Path:
    return upload_dir() / upload.stored_name


def discard_upload(case: MedicalCase, upload: MedicalUpload) -> None:
    """Take a file out of the tourist's answers. Before the questionnaire was ever submitted no
    one else has seen it, and it is deleted; afterwards medical staff may have, so the record is
    kept (out of the answers)."""
    if upload.question_id is not None:
        answer = next((a for a in case.answers if a.question_id == upload.question_id), None)
        if answer is not None and isinstance(answer.value, list) and upload.id in answer.value:
            remaining = [i for i in answer.value if i != upload.id]
            if remaining:
                answer.value = remaining
            else:
                case.answers.remove(answer)
    if case.submitted_at is None:
        db.session.info.setdefault(_DISCARDED, []).append(str(path_of(upload)))
        db.session.delete(upload)
    db.session.flush()


def delete_on_commit(uploads: list[MedicalUpload]) -> None:
    """Rows of these uploads are being deleted in this transaction: their files go once it commits."""
    db.session.info.setdefault(_DISCARDED, []).extend(str(path_of(u)) for u in uploads)


def delete_on_rollback(path: Path) -> None:
    """A file was just written for this transaction: it goes if the transaction does not commit."""
    db.session.info.setdefault(_WRITTEN, []).append(str(path))


# -- files follow the transaction -----------------------------------------------------------------

def _delete(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _delete(session.info.pop(_DISCARDED, []))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # Only when the whole transaction is rolled back, not a savepoint inside it.
    if previous_transaction.nested or previous_transaction.parent is not None:
        return
    _delete(session.info.pop(_WRITTEN, []))
    session.info.pop(_DISCARDED, None)
