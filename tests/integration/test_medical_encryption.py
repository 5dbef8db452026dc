"""Medical free text and uploads are encrypted at rest, and a key rotation keeps them readable.

The secrets are written through the models and services as the app writes them; the database is
then read with plain SQL (no ORM types, so nothing is decrypted on the way) and the upload folder
byte by byte: no secret may appear anywhere. The rotation test runs ``flask medical rotate-key``
between apps that hold different keys over one database.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from werkzeug.datastructures import FileStorage

from app.booking import bookings as booking_service
from app.crypto import CryptoError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import cases as medical
from app.medical import questionnaires as qs
from app.medical import uploads as medical_uploads
from app.models import (
    Assessment,
    BookingState,
    CaseState,
    EcgResult,
    MedicalCase,
    MedicalUpload,
    QuestionKind,
    Role,
    SelfCertification,
)
from app.timeutil import now_utc
from app.transactions import commit
from tests.conftest import Factory
from tests.integration.support import separate_app

# Every piece of medical free text, each unmistakable. A PDF upload carries the last one.
SECRETS = {
    "restrictions": "No high-g profile: secret-restriction-7Q2",
    "info_request": "Please send the cardiologist letter secret-info-request-K9",
    "info_response": "Letter attached, secret-info-response-M4",
    "answer_text": "Warfarin 5 mg daily secret-medication-X1",
    "other_tests": "Spirometry FEV1 82 % secret-other-tests-T3",
    "notes": "Mild anxiety about confined spaces secret-notes-N6",
    "self_cert": "Broke my ankle in March secret-self-cert-S7",
    "reason": "Uncontrolled hypertension secret-not-cleared-R1",
    "filename": "ecg-secret-filename-F2.pdf",
    "file_body": "secret-file-body-B0: 12-lead ECG, sinus rhythm",
}
#: A choice of the (public) questionnaire: which one a tourist chose is secret, the choice is not.
CHOICE = "Asthma"
PDF = b"%PDF-1.4\n" + SECRETS["file_body"].encode() + b"\n%%EOF\n"


@dataclass
class Written:
    case_id: int
    upload_id: int
    other_case_id: int


def _questionnaire(medic):
    q = qs.new_draft(medic)
    text_q = qs.add_question(q, qs.QuestionData(text="Which medications do you take?", kind=QuestionKind.TEXT,
                                                key="medications"))
    choice_q = qs.add_question(q, qs.QuestionData(text="Conditions", kind=QuestionKind.MULTIPLE_CHOICE,
                                                  key="conditions", choices=[CHOICE, "Diabetes"]))
    file_q = qs.add_question(q, qs.QuestionData(text="Your ECG", kind=QuestionKind.FILE, key="ecg",
                                                required=False))
    qs.publish(q, medic)
    return text_q, choice_q, file_q


def write_medical_record() -> Written:
    """Two tourists' cases with every kind of medical free text and an uploaded file, written
    through the services as the pages write them."""
    make = Factory()
    tourist, other, medic = make.user(), make.user(), make.user(Role.MEDICAL)
    flight = make.flight(launch_at=now_utc() + timedelta(days=10))  # self-certification is due
    booking = booking_service.hold_seat(flight.id, tourist)
    booking_service.transition(booking, BookingState.CONFIRMED)
    text_q, choice_q, file_q = _questionnaire(medic)

    case = qs.open_case(tourist)
    qs.save_answer(case, text_q, SECRETS["answer_text"], tourist)
    qs.save_answer(case, choice_q, [CHOICE], tourist)
    upload = medical_uploads.store_upload(
        case, file_q, FileStorage(io.BytesIO(PDF), filename=SECRETS["filename"],
                                  content_type="application/pdf"), tourist)
    qs.submit(case, tourist)
    medical.decide(case, medic, CaseState.INFO_REQUESTED, message=SECRETS["info_request"])
    qs.answer_info_request(case, tourist, SECRETS["info_response"])
    medical.record_assessment(case, medic, {
        "systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "64", "height_cm": "178",
        "weight_kg": "74", "ecg_result": EcgResult.NORMAL.value, "centrifuge_g": "3.5",
        "other_tests": SECRETS["other_tests"], "notes": SECRETS["notes"],
    })
    medical.decide(case, medic, CaseState.RESTRICTED, restrictions=SECRETS["restrictions"])
    medical.self_certify(booking, tourist, changed=True, details=SECRETS["self_cert"])
    medical_access.log_access(medic, case, "view", "case")

    other_case = qs.open_case(other)
    qs.save_answer(other_case, text_q, "none", other)
    qs.save_answer(other_case, choice_q, ["Diabetes"], other)
    qs.submit(other_case, other)
    medical.decide(other_case, medic, CaseState.NOT_CLEARED, reason=SECRETS["reason"])

    written = Written(case.id, upload.id, other_case.id)
    commit()
    db.session.remove()  # on SQLite an open transaction would hold the write lock
    return written


def read_upload(upload: MedicalUpload) -> bytes:
    return medical_uploads.read_upload(upload)


def read_back(written: Written) -> dict[str, str]:
    """Every secret as the app reads it (decrypted by the ORM and the upload store)."""
    db.session.remove()
    case = db.session.get(MedicalCase, written.case_id)
    answers = {a.question.key: a.value for a in case.answers}
    assessment = db.session.scalars(sa.select(Assessment).where(Assessment.case_id == case.id)).one()
    certification = db.session.scalars(
        sa.select(SelfCertification).where(SelfCertification.case_id == case.id)).one()
    upload = db.session.get(MedicalUpload, written.upload_id)
    other = db.session.get(MedicalCase, written.other_case_id)
    notes = {e.note for e in case.events + other.events}
    body = read_upload(upload)
    found = {
        "restrictions": case.restrictions, "info_request": case.info_request,
        "info_response": case.info_response, "answer_text": answers["medications"],
        "other_tests": assessment.other_tests, "notes": assessment.notes,
        "self_cert": certification.details, "filename": upload.filename,
        "reason": SECRETS["reason"] if SECRETS["reason"] in notes else sorted(notes),
        "file_body": SECRETS["file_body"] if body == PDF else body.decode("latin-1"),
    }
    # The event notes hold the request, the restrictions and the self-certification too.
    assert {SECRETS["info_request"], SECRETS["restrictions"], SECRETS["self_cert"]} <= notes
    assert answers["conditions"] == [CHOICE] and answers["ecg"] == [upload.id]
    db.session.remove()
    return found


def raw_text_of_every_table() -> dict[str, list[str]]:
    """Every stored value of every table, as text, read without the models' column types."""
    seen: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            values = []
            for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        values.append(bytes(value).decode("latin-1"))
                    elif isinstance(value, (dict, list)):
                        values.append(json.dumps(value, ensure_ascii=False))
                    elif value is not None:
                        values.append(str(value))
            seen[table] = values
    return seen


def encrypted_tokens() -> dict[str, list[str]]:
    """The stored tokens of every encrypted column, "table.column" -> values (ordered by id)."""
    from app.medical.keys import encrypted_columns

    tokens: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table, columns in encrypted_columns():
            for column in columns:
                (pk,) = table.primary_key.columns
                rows = conn.exec_driver_sql(
                    f'SELECT "{column.name}" FROM "{table.name}" ORDER BY "{pk.name}"').scalars().all()
                tokens[f"{table.name}.{column.name}"] = rows
    return tokens


def upload_files(upload_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(upload_dir)): p.read_bytes() for p in sorted(upload_dir.rglob("*")) if p.is_file()}


# -- fixtures ----------------------------------------------------------------------------------------



def keys(*ks: bytes) -> str:
    return ",".join(k.decode() for k in ks)


# -- tests ------------------------------------------------------------------------------------------

def test_the_database_and_the_upload_folder_hold_no_readable_medical_text(fresh_database_url, tmp_path):
    upload_dir = tmp_path / "uploads"
    with separate_app(fresh_database_url, tmp_path / "instance", MEDICAL_UPLOAD_DIR=str(upload_dir),
                      MEDICAL_ENCRYPTION_KEYS=keys(Fernet.generate_key())) as app, app.app_context():
        upgrade()
        written = write_medical_record()
        assert read_back(written) == SECRETS  # the app reads what it wrote

        leaks = [
            f"{table}: {secret!r}"
            for table, values in raw_text_of_every_table().items()
            for value in values
            for secret in SECRETS.values()
            if secret.lower() in value.lower()
        ]
        assert not leaks, "medical free text stored readable:\n" + "\n".join(leaks)

        # The search reads the stored data: what is not secret is found.
        assert any("medications" in v for v in raw_text_of_every_table()["medical_questions"])
        answers = raw_text_of_every_table()["medical_answers"]
        assert answers and not [v for v in answers if CHOICE.lower() in v.lower()], "a choice is readable"

        files = upload_files(upload_dir)
        assert files, "the upload was not stored in MEDICAL_UPLOAD_DIR"
        for name, data in files.items():
            assert b"%PDF" not in data and b"secret" not in data, f"upload {name} is stored readable"
            for secret in SECRETS.values():
                assert secret.encode() not in data, f"upload {name} holds {secret!r}"
            assert SECRETS["filename"] not in name

        # Every encrypted column holds a token, none the empty string or a readable value.
        for column, values in encrypted_tokens().items():
            for value in values:
                assert value is None or value.startswith("gAAAA"), f"{column} holds {value[:40]!r}"


#: Text columns of the medical tables that are stored readable, and why that is right: the public
#: questionnaire (and its translations), codes and states, and what the access log must show at a glance.
PLAIN_TEXT_COLUMNS = {
    "medical_questionnaires": {"title", "intro", "default_language", "texts"},
    "medical_questions": {"key", "text", "help", "kind", "unit", "choices", "show_if_key", "show_if_values",
                          "exclusive_choices", "date_range", "texts"},
    "medical_cases": {"state"},
    "medical_case_events": {"from_state", "to_state", "kind"},  # kind: transition, correction, change report
    "medical_uploads": {"stored_name", "content_type", "sha256"},
    "medical_assessments": {"ecg_result", "flags"},  # flags are codes: "weight_above_max:<vehicle>:101"
    "medical_access_log": {"action", "what", "ip_address"},
    "medical_vehicle_limits": {"vehicle"},
}


def test_every_free_text_column_of_the_medical_tables_is_encrypted():
    """A new text column on a medical table must be encrypted, or be added above with a reason."""
    from app.crypto import EncryptedJSON, EncryptedText

    plain = {}
    for table in db.metadata.sorted_tables:
        if not table.name.startswith("medical_"):
            continue
        for column in table.columns:
            if isinstance(column.type, (EncryptedText, EncryptedJSON)):
                continue
            if isinstance(column.type, (sa.String, sa.Text, sa.JSON, sa.Enum)):
                plain.setdefault(table.name, set()).add(column.name)
    assert plain == PLAIN_TEXT_COLUMNS


def test_key_rotation_re_encrypts_everything_and_old_data_stays_readable(fresh_database_url, tmp_path):
    k1, k2, k3 = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    upload_dir = tmp_path / "uploads"

    def app_with(*ks: bytes, name: str):
        return separate_app(fresh_database_url, tmp_path / name, MEDICAL_UPLOAD_DIR=str(upload_dir),
                            MEDICAL_ENCRYPTION_KEYS=keys(*ks), empty=False)

    # A: the old key alone writes the data.
    with app_with(k1, name="a") as a, a.app_context():
        upgrade()
        written = write_medical_record()
        before_tokens, before_files = encrypted_tokens(), upload_files(upload_dir)

    # B: the new key first, the old one after it: everything still reads; rotate.
    with app_with(k2, k1, name="b") as b:
        with b.app_context():
            assert read_back(written) == SECRETS
        result = b.test_cli_runner().invoke(args=["medical", "rotate-key", "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        for column, tokens in before_tokens.items():
            stored = len([t for t in tokens if t is not None])
            assert f"{column}: {stored} re-encrypted, 0 already on the newest key" in result.output
        assert "medical_cases.restrictions: 2 re-encrypted" in result.output
        assert "upload files: 1 re-encrypted, 0 already on the newest key" in result.output
        with b.app_context():
            after_tokens, after_files = encrypted_tokens(), upload_files(upload_dir)
            assert read_back(written) == SECRETS
            total = sum(len([v for v in vs if v is not None]) for vs in before_tokens.values())
            assert f"Done: {total} values and 1 files re-encrypted" in result.output

        # Every token and the file were rewritten, nothing else (same rows, same file names).
        assert after_tokens.keys() == before_tokens.keys()
        for column in before_tokens:
            assert len(after_tokens[column]) == len(before_tokens[column])
            for old, new in zip(before_tokens[column], after_tokens[column]):
                assert (old is None) == (new is None)
                assert old is None or old != new, f"{column} was not re-encrypted"
        assert after_files.keys() == before_files.keys()
        assert all(after_files[n] != before_files[n] for n in before_files)
        assert not [p for p in upload_dir.rglob(".rotating-*")], "a temporary file was left behind"

        # Running it again rewrites nothing: everything is on the newest key already.
        again = b.test_cli_runner().invoke(args=["medical", "rotate-key"])
        assert again.exit_code == 0, again.output
        assert f"Done: 0 values and 0 files re-encrypted; {total} values and 1 files were already" in again.output
        with b.app_context():
            assert encrypted_tokens() == after_tokens and upload_files(upload_dir) == after_files

    # C: the new key alone reads everything: the old key is no longer needed.
    with app_with(k2, name="c") as c, c.app_context():
        assert read_back(written) == SECRETS

    # D: another key alone reads nothing.
    with app_with(k3, name="d") as d, d.app_context():
        with pytest.raises(CryptoError):
            db.session.get(MedicalCase, written.case_id)
        db.session.remove()
        stored = db.session.execute(sa.select(MedicalUpload.__table__.c.stored_name)).scalar_one()
        db.session.remove()
        with pytest.raises(CryptoError):
            read_upload(MedicalUpload(stored_name=stored))


def test_rotation_with_a_key_that_opens_nothing_fails_and_changes_nothing(fresh_database_url, tmp_path):
    k1, k2, k3 = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    upload_dir = tmp_path / "uploads"
    with separate_app(fresh_database_url, tmp_path / "a", MEDICAL_UPLOAD_DIR=str(upload_dir),
                      MEDICAL_ENCRYPTION_KEYS=keys(k1), empty=False) as a, a.app_context():
        upgrade()
        write_medical_record()
        before_tokens, before_files = encrypted_tokens(), upload_files(upload_dir)
    # The old key was dropped too early: k1 is missing.
    with separate_app(fresh_database_url, tmp_path / "b", MEDICAL_UPLOAD_DIR=str(upload_dir),
                      MEDICAL_ENCRYPTION_KEYS=keys(k2, k3)) as b:
        result = b.test_cli_runner().invoke(args=["medical", "rotate-key"])
        assert result.exit_code == 1
        assert "cannot be decrypted with any key in MEDICAL_ENCRYPTION_KEYS" in result.output
        assert "Do not remove old keys yet" in result.output
        with b.app_context():
            assert encrypted_tokens() == before_tokens
            assert upload_files(upload_dir) == before_files


def test_generate_key_prints_a_fernet_key(app):
    result = app.test_cli_runner().invoke(args=["medical", "generate-key"])
    assert result.exit_code == 0
    key = result.output.strip()
    Fernet(key.encode())  # a valid key
    assert app.test_cli_runner().invoke(args=["medical", "generate-key"]).output.strip() != key


def test_processes_starting_together_share_one_instance_key(tmp_path):
    """Web workers and the Celery worker of a fresh development instance start at once: they all
    end up with the same, whole key (none reads a half-written file or makes its own)."""
    import subprocess
    import sys

    from app.config import BASE_DIR

    script = ("import sys; from pathlib import Path; from app.crypto import _instance_key; "
              "sys.stdout.write(_instance_key(Path(sys.argv[1])).decode())")
    path = tmp_path / "instance" / "medical-encryption.key"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=BASE_DIR, stdout=subprocess.PIPE)
             for _ in range(8)]
    keys = {p.communicate(timeout=60)[0].decode() for p in procs}
    assert len(keys) == 1 and keys == {path.read_text().strip()}
    from cryptography.fernet import Fernet
    Fernet(keys.pop())  # a whole key
    assert [p.name for p in path.parent.iterdir()] == ["medical-encryption.key"], "no drafts left behind"
