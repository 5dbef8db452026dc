"""Files a tourist uploads with the questionnaire (an ECG, a cardiologist's letter).

Only PDF, JPEG and PNG, up to ``MEDICAL_UPLOAD_MAX_BYTES`` (10 MB). The type is read from the
content, never from the name or the browser's say-so, so a renamed program is refused. A file is
encrypted and written to ``MEDICAL_UPLOAD_DIR`` (in the instance folder, outside the web root)
under a random name; its original name is kept encrypted in the database. Nothing is written
until the file has passed every check, and a file written by a transaction that is rolled back is
deleted again; a file removed by a transaction is deleted only once it commits. A process killed
between writing a file and committing leaves a file no row names: ``remove_orphans`` (run hourly by
the worker) deletes those once they are old enough that no transaction can still be writing them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.crypto import decrypt, encrypt
from app.errors import ServiceError
from app.extensions import db
from app.filetypes import detect_type, display_name
from app.medical import questionnaires as qs
from app.medical.files import delete_on_rollback, discard_upload, upload_dir
from app.models import MedicalCase, MedicalUpload, Question, QuestionKind, User

MAX_FILES_PER_QUESTION = 10
#: Stored names are ``secrets.token_hex(16)``; a file being written is ``<stored name>.part``.
_STORED_NAME = re.compile(r"[0-9a-f]{32}")
_PARTIAL_SUFFIX = ".part"
#: Names looked up per query by ``remove_orphans`` (well under SQLite's bound-parameter limit).
ORPHAN_LOOKUP_CHUNK = 500

log = logging.getLogger(__name__)


def max_bytes() -> int:
    return int(current_app.config["MEDICAL_UPLOAD_MAX_BYTES"])


def too_large_message() -> str:
    return _("This file is larger than %(mb)s MB. Please upload a smaller file (a scan at a lower "
             "resolution, or a PDF of fewer pages).", mb=max_bytes() // (1024 * 1024))


def _display_name(filename: str | None, content_type: str) -> str:
    return display_name(filename, content_type, _("upload"))


def store_upload(case: MedicalCase, question: Question, file: FileStorage | None, actor: User) -> MedicalUpload:
    """Check, encrypt and keep a file as (part of) the answer to a file question."""
    field = f"q{question.id}"
    qs.require_answerable(case)
    if question.questionnaire_id != case.questionnaire_id or question.kind is not QuestionKind.FILE:
        raise ServiceError(_("This question does not take files."), field)
    answers = qs.answers_of(case)
    if not qs.is_visible(question, answers):
        raise ServiceError(_("This question does not apply to your earlier answers."), field)
    current = list(answers.get(question.id) or [])
    if len(current) >= MAX_FILES_PER_QUESTION:
        raise ServiceError(_("You can upload at most %(n)s files here. Remove one first.",
                             n=MAX_FILES_PER_QUESTION), field)
    if file is None or (not file.filename and not file.content_length):
        raise ServiceError(_("Choose a file to upload."), field)
    limit = max_bytes()
    data = file.stream.read(limit + 1)
    if not data:
        raise ServiceError(_("This file is empty. Choose another file."), field)
    if len(data) > limit:
        raise ServiceError(too_large_message(), field)
    content_type = detect_type(data[:8192])
    if content_type is None:
        raise ServiceError(_("This file is not a PDF, JPEG or PNG. Only those types are accepted, "
                             "whatever the file's name says."), field)

    stored_name = new_stored_name()
    _write(upload_dir() / stored_name, encrypt(data))
    upload = MedicalUpload(
        case_id=case.id, question_id=question.id, stored_name=stored_name, content_type=content_type,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        filename=_display_name(file.filename, content_type), uploaded_by_id=actor.id,
    )
    db.session.add(upload)
    db.session.flush()
    qs.set_answer(case, question, current + [upload.id])
    return upload


def new_stored_name() -> str:
    """A random name for a new upload's file (what ``remove_orphans`` recognises as one)."""
    return secrets.token_hex(16)


def _write(path: Path, token: bytes) -> None:
    """Write to a temporary name and rename, so a half-written file never has the real name;
    remember it, so that a rollback deletes it."""
    delete_on_rollback(path)
    partial = path.with_name(path.name + _PARTIAL_SUFFIX)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(token)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_upload(upload: MedicalUpload) -> bytes:
    """The file's content, decrypted."""
    return decrypt((upload_dir() / upload.stored_name).read_bytes())


def remove_upload(case: MedicalCase, upload: MedicalUpload, actor: User) -> None:
    """The tourist removes a file from their answers."""
    qs.require_answerable(case)
    if upload.case_id != case.id:
        raise ServiceError(_("This file is not one of your uploads."))
    discard_upload(case, upload)


def uploads_of(case: MedicalCase, ids: list[int] | None = None) -> dict[int, MedicalUpload]:
    query = select(MedicalUpload).where(MedicalUpload.case_id == case.id)
    if ids is not None:
        query = query.where(MedicalUpload.id.in_(ids or [-1]))
    return {u.id: u for u in db.session.scalars(query)}


# -- orphaned files -------------------------------------------------------------------------------

def remove_orphans(older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete the files in ``MEDICAL_UPLOAD_DIR`` that no ``MedicalUpload`` row names, and the
    leftover ``<name>.part`` files of interrupted writes, last modified more than ``older_than``
    ago; returns how many were deleted.

    Only names of the writer's shape are considered (32 lowercase hex digits, optionally with
    ``.part``): anything else in the folder (a README, ``rotate-key``'s ``.rotating-*`` temporary
    files, sub-folders, links) is left alone. The age is what makes this safe while the app runs:
    a file is written just before its row is flushed, so a file whose transaction may still commit,
    or that is being written (or re-encrypted) right now, is younger than the threshold.
    """
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive: younger files may belong to open transactions")
    root = Path(current_app.config["MEDICAL_UPLOAD_DIR"])
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    stored: list[str] = []
    partials: list[str] = []
    with os.scandir(root) as entries:
        for entry in entries:
            name = entry.name
            if _STORED_NAME.fullmatch(name):
                bucket = stored
            elif name.endswith(_PARTIAL_SUFFIX) and _STORED_NAME.fullmatch(name[:-len(_PARTIAL_SUFFIX)]):
                bucket = partials
            else:
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
            except FileNotFoundError:  # deleted meanwhile
                continue
            bucket.append(name)

    # Listed first, looked up after: a row committed before the lookup keeps its file.
    orphans: list[str] = []
    for start in range(0, len(stored), ORPHAN_LOOKUP_CHUNK):
        chunk = stored[start:start + ORPHAN_LOOKUP_CHUNK]
        known = set(db.session.scalars(
            select(MedicalUpload.stored_name).where(MedicalUpload.stored_name.in_(chunk))
        ))
        orphans.extend(name for name in chunk if name not in known)

    removed = failed = 0
    for name in orphans + partials:
        try:
            os.unlink(root / name)
        except FileNotFoundError:
            continue
        except OSError:
            failed += 1
            continue
        removed += 1
    log.info("medical uploads: removed %d orphaned file(s) and leftover partial write(s) "
             "older than %s", removed, older_than)
    if failed:
        log.warning("medical uploads: could not remove %d orphaned file(s)", failed)
    return removed
