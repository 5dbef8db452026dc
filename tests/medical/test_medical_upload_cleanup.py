"""The hourly clean-up of upload files no row names (a process killed between writing a file and
committing its row leaves one behind)."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.medical import uploads as medical_uploads
from app.models import MedicalCase, MedicalUpload, Questionnaire
from app.timeutil import now_utc
from worker import tasks
from worker.schedule import BEAT_SCHEDULE

TWO_HOURS_AGO = time.time() - 2 * 3600


@pytest.fixture
def folder(app, db_session, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "medical-uploads"
    path.mkdir()
    monkeypatch.setitem(app.config, "MEDICAL_UPLOAD_DIR", str(path))
    return path


@pytest.fixture
def case(make) -> MedicalCase:
    tourist = make.user()
    questionnaire = Questionnaire(version=1, title="Health questionnaire", published_at=now_utc())
    db.session.add(questionnaire)
    db.session.flush()
    case = MedicalCase(user_id=tourist.id, questionnaire_id=questionnaire.id)
    db.session.add(case)
    db.session.flush()
    return case


def put(folder: Path, name: str, *, mtime: float | None = TWO_HOURS_AGO) -> Path:
    path = folder / name
    path.write_bytes(b"gAAAAA-not-really-a-token")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def row_for(case: MedicalCase, name: str) -> MedicalUpload:
    upload = MedicalUpload(case_id=case.id, stored_name=name, content_type="application/pdf", size=25,
                           sha256="0" * 64, filename="letter.pdf", uploaded_by_id=case.user_id)
    db.session.add(upload)
    db.session.flush()
    return upload


def test_the_writer_names_files_in_the_shape_the_clean_up_recognises():
    for _ in range(20):
        assert medical_uploads._STORED_NAME.fullmatch(medical_uploads.new_stored_name())


def test_an_old_orphan_is_removed_and_everything_else_kept(folder, case):
    # Given: an old orphan, a fresh orphan, an old file whose row exists, and the leftover partial
    # write of a killed process next to one being written right now.
    old_orphan = put(folder, medical_uploads.new_stored_name())
    fresh_orphan = put(folder, medical_uploads.new_stored_name(), mtime=None)
    kept = put(folder, medical_uploads.new_stored_name())
    row_for(case, kept.name)
    old_partial = put(folder, medical_uploads.new_stored_name() + ".part")
    fresh_partial = put(folder, medical_uploads.new_stored_name() + ".part", mtime=None)

    # When
    removed = medical_uploads.remove_orphans(older_than=timedelta(hours=1))

    # Then
    assert removed == 2
    assert not old_orphan.exists() and not old_partial.exists()
    assert fresh_orphan.exists() and fresh_partial.exists() and kept.exists()


def test_the_threshold_is_the_age_given(folder, case):
    orphan = put(folder, medical_uploads.new_stored_name(), mtime=time.time() - 30 * 60)
    assert medical_uploads.remove_orphans() == 0  # the default: an hour
    assert orphan.exists()
    assert medical_uploads.remove_orphans(older_than=timedelta(minutes=10)) == 1
    assert not orphan.exists()


def test_files_that_do_not_match_the_naming_scheme_are_never_touched(folder, case):
    hexname = medical_uploads.new_stored_name()
    others = [
        put(folder, "README"),
        put(folder, "README.part"),
        put(folder, ".rotating-abc123"),            # rotate-key's temporary file
        put(folder, "." + hexname),
        put(folder, hexname.upper()),
        put(folder, hexname + ".pdf"),
        put(folder, hexname[:-1]),
        put(folder, hexname + ".part.part"),
    ]
    subfolder = folder / medical_uploads.new_stored_name()
    subfolder.mkdir()
    os.utime(subfolder, (TWO_HOURS_AGO, TWO_HOURS_AGO))
    target = put(folder, "elsewhere")
    link = folder / medical_uploads.new_stored_name()
    link.symlink_to(target)

    assert medical_uploads.remove_orphans() == 0
    assert all(path.exists() for path in others)
    assert subfolder.is_dir() and link.is_symlink() and target.exists()


def test_names_are_looked_up_in_chunks_with_one_query_each(folder, case, monkeypatch):
    monkeypatch.setattr(medical_uploads, "ORPHAN_LOOKUP_CHUNK", 2)
    files = [put(folder, medical_uploads.new_stored_name()) for _ in range(5)]
    for path in files[::2]:
        row_for(case, path.name)
    queries = []

    def count(conn, cursor, statement, *args):
        if "medical_uploads" in statement:
            queries.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        removed = medical_uploads.remove_orphans()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    assert removed == 2
    assert len(queries) == 3  # 5 names, 2 per query
    assert [path.exists() for path in files] == [True, False, True, False, True]


def test_only_the_count_is_logged(folder, case, caplog):
    names = [put(folder, medical_uploads.new_stored_name()).name for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="app.medical.uploads"):
        assert medical_uploads.remove_orphans() == 3
    assert "removed 3 " in caplog.text
    assert not any(name in caplog.text for name in names)


def test_a_missing_folder_is_nothing_to_do(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDICAL_UPLOAD_DIR", str(tmp_path / "never-made"))
    assert medical_uploads.remove_orphans() == 0
    assert not (tmp_path / "never-made").exists()


def test_a_threshold_of_zero_is_refused(folder):
    with pytest.raises(ValueError):
        medical_uploads.remove_orphans(older_than=timedelta(0))


def test_the_worker_runs_it_hourly(folder, case):
    orphan = put(folder, medical_uploads.new_stored_name())
    kept = put(folder, medical_uploads.new_stored_name())
    row_for(case, kept.name)

    # .run(): the task's body in this app context (calling the task would push the context of
    # whichever app the Celery app was last bound to).
    assert tasks.remove_orphan_uploads.run() == 1
    assert not orphan.exists() and kept.exists()
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "countdown.remove_orphan_uploads")
    assert entry["schedule"] == 3600.0
