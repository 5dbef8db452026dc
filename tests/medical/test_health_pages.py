"""The tourist's questionnaire, uploads and medical page, and the staff's questionnaire editor,
through HTTP with CSRF tokens, as a browser would send them."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.crypto import decrypt
from app.extensions import db
from app.medical import access as medical_access
from app.medical import questionnaires as qs
from app.medical.questionnaires import QuestionData
from app.models import (
    Answer,
    CaseState,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    Question,
    QuestionKind,
    Questionnaire,
    Role,
)
from tests.conftest import csrf_token, login, post_form

K = QuestionKind
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                    "9c6300010000050001a5f645400000000049454e44ae426082")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x08" * 64 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HX = {"HX-Request": "true"}
MB = 1024 * 1024


@pytest.fixture
def medic(make):
    return make.user(Role.MEDICAL)


@pytest.fixture
def questions(medic):
    draft = qs.new_draft(medic)
    specs = [
        ("heart", K.YES_NO, {}),
        ("details", K.TEXT, {"show_if_key": "heart", "show_if_values": ["yes"]}),
        ("letter", K.FILE, {"show_if_key": "heart", "show_if_values": ["yes"]}),
        ("height", K.NUMBER, {"unit": "cm", "min_value": 100, "max_value": 250}),
        ("exam", K.DATE, {}),
        ("motion", K.SINGLE_CHOICE, {"choices": ["Never", "Sometimes", "Often"]}),
        ("conditions", K.MULTIPLE_CHOICE, {"choices": ["Asthma", "Diabetes", "None of these"],
                                           "exclusive_choices": ["None of these"]}),
        ("notes", K.TEXT, {"required": False}),
    ]
    for key, kind, extra in specs:
        qs.add_question(draft, QuestionData(key=key, kind=kind, text=f"The {key} question?", **extra))
    qs.publish(draft, medic)
    db.session.commit()
    return {q.key: q for q in draft.questions}


@pytest.fixture
def tourist(client, make, questions):
    user = make.user(name="Sally Ride")
    db.session.commit()
    login(client, user)
    return user


def token(client) -> str:
    return csrf_token(client, "/account")


def case_of(user) -> MedicalCase | None:
    db.session.expire_all()
    return db.session.scalar(select(MedicalCase).where(MedicalCase.user_id == user.id))


def answers(user) -> dict[str, object]:
    case = case_of(user)
    if case is None:
        return {}
    return {a.question.key: a.value for a in db.session.scalars(select(Answer).where(Answer.case_id == case.id))}


def autosave(client, question, value, csrf):
    data = {f"q{question.id}": value}
    return client.post(f"/medical/questionnaire/answers/{question.id}", data=data,
                       headers={**HX, "X-CSRFToken": csrf})


def upload(client, question, content: bytes, filename: str, csrf: str, *, htmx: bool = True, content_type="application/pdf"):
    data = {f"file-{question.id}": (io.BytesIO(content), filename, content_type)}
    headers = {**HX, "X-CSRFToken": csrf} if htmx else {}
    if not htmx:
        data["csrf_token"] = csrf
    return client.post(f"/medical/questionnaire/uploads/{question.id}", data=data,
                       content_type="multipart/form-data", headers=headers)


def stored_files(app) -> set[str]:
    folder = Path(app.config["MEDICAL_UPLOAD_DIR"])
    return set(os.listdir(folder)) if folder.exists() else set()


def upload_count() -> int:
    return db.session.scalar(select(func.count(MedicalUpload.id)))


def log_count() -> int:
    return db.session.scalar(select(func.count(MedicalAccess.id)))


# -- the questionnaire ----------------------------------------------------------------------------

def test_the_questionnaire_shows_every_kind_of_question(client, tourist, questions):
    response = client.get("/medical/questionnaire")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    q = questions
    assert f'name="q{q["heart"].id}" value="yes"' in html and 'type="radio"' in html
    assert f'<textarea id="q{q["notes"].id}-input"' in html
    assert re.search(rf'type="number" id="q{q["height"].id}-input"[^>]* min="100" max="250"', html)
    assert "Enter a number between 100 and 250 cm." in html
    assert f'type="date" id="q{q["exam"].id}-input"' in html
    assert f'type="checkbox" id="q{q["conditions"].id}-1"' in html
    # Conditional questions are placeholders until their parent calls for them.
    assert f'<div class="question" id="q-{q["details"].id}" hidden></div>' in html
    assert f'name="file-{q["letter"].id}"' not in html
    assert case_of(tourist).state is CaseState.ANSWERING


def test_autosave_returns_the_question_and_shows_or_hides_its_dependents(client, tourist, questions):
    client.get("/medical/questionnaire")
    csrf = token(client)
    q = questions
    response = autosave(client, q["heart"], "yes", csrf)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="q-{q["heart"].id}"' in html and "Saved" in html
    # The two dependent questions come out of band, and the progress line with them.
    assert re.search(rf'<div class="question question-text question-conditional" id="q-{q["details"].id}"\s+data-hx-swap-oob="outerHTML"', html)
    assert f'id="q-{q["letter"].id}" data-hx-swap-oob="outerHTML"' in html or f'id="q-{q["letter"].id}"\n  data-hx-swap-oob' in html
    assert 'id="progress"' in html and "Answered 1 of 8 questions" in html
    assert answers(tourist) == {"heart": True}

    assert autosave(client, q["details"], "Angina since 2019", csrf).status_code == 200
    response = autosave(client, q["heart"], "no", csrf)
    html = response.get_data(as_text=True)
    assert f'<div class="question" id="q-{q["details"].id}" hidden data-hx-swap-oob="outerHTML"></div>' in html
    assert f'<div class="question" id="q-{q["letter"].id}" hidden data-hx-swap-oob="outerHTML"></div>' in html
    # Kept until submission, in case the answer changes back.
    assert answers(tourist) == {"heart": False, "details": "Angina since 2019"}


@pytest.mark.parametrize("key, value, message", [
    ("height", "300", "Enter a number between 100 and 250 cm."),
    ("height", "abc", "Enter a number, between 100 and 250 cm."),
    ("exam", "31/12/2024", "Enter a date as YYYY-MM-DD."),
    ("motion", "Always", "Choose one of the options given."),
    ("heart", "perhaps", "Answer yes or no."),
    ("notes", "x" * 4001, "Keep this answer under 4,000 characters"),
])
def test_a_bad_answer_is_refused_at_the_question_and_nothing_is_stored(client, tourist, questions, key, value, message):
    client.get("/medical/questionnaire")
    response = autosave(client, questions[key], value, token(client))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert message in html and 'aria-invalid="true"' in html
    assert f'id="q{questions[key].id}-error"' in html
    assert answers(tourist) == {}


def test_a_hidden_question_cannot_be_answered_and_a_foreign_one_is_not_found(client, tourist, questions, make, medic):
    client.get("/medical/questionnaire")
    csrf = token(client)
    response = autosave(client, questions["details"], "Sneaky", csrf)
    assert response.status_code == 422 and "does not apply to your earlier answers" in response.get_data(as_text=True)
    other = qs.new_draft(medic)
    foreign = qs.add_question(other, QuestionData(key="x", kind=K.TEXT, text="x?"))
    db.session.commit()
    assert autosave(client, foreign, "x", csrf).status_code == 404
    assert answers(tourist) == {}


def test_resume_shows_the_saved_answers(client, tourist, questions):
    client.get("/medical/questionnaire")
    csrf = token(client)
    q = questions
    for key, value in (("heart", "yes"), ("details", "Angina"), ("height", "172.5"), ("exam", "2025-03-01"),
                       ("motion", "Often")):
        assert autosave(client, q[key], value, csrf).status_code == 200
    client.post(f"/medical/questionnaire/answers/{q['conditions'].id}",
                data={f"q{q['conditions'].id}": ["Asthma", "Diabetes"]}, headers={**HX, "X-CSRFToken": csrf})
    html = client.get("/medical/questionnaire").get_data(as_text=True)
    assert re.search(rf'id="q{q["heart"].id}-1" name="q{q["heart"].id}" value="yes" checked', html)
    assert ">Angina</textarea>" in html
    assert 'value="172.5"' in html and 'value="2025-03-01"' in html
    assert re.search(rf'name="q{q["motion"].id}" value="Often" checked', html)
    assert re.search(rf'name="q{q["conditions"].id}" value="Asthma" checked', html)
    assert not re.search(rf'name="q{q["conditions"].id}" value="None of these" checked', html)
    assert "Answered 6 of 8 questions" in html


def test_without_javascript_the_whole_form_saves_in_order_or_not_at_all(client, tourist, questions):
    client.get("/medical/questionnaire")
    q = questions
    present = [str(q[k].id) for k in ("heart", "height", "motion", "conditions", "notes")]
    bad = {"present": present, f"q{q['heart'].id}": "yes", f"q{q['height'].id}": "99", "action": "save"}
    response = post_form(client, "/medical/questionnaire", bad, page="/medical/questionnaire")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html and "Enter a number between 100 and 250 cm." in html
    assert 'value="99"' in html  # what was typed stays in the field
    assert answers(tourist) == {}

    good = {**bad, f"q{q['height'].id}": "180", f"q{q['conditions'].id}": ["None of these"]}
    response = post_form(client, "/medical/questionnaire", good, page="/medical/questionnaire")
    assert response.status_code == 302 and response.headers["Location"] == "/medical/questionnaire"
    assert answers(tourist) == {"heart": True, "height": 180, "conditions": ["None of these"]}
    # "yes" made the details question appear: it is on the page now.
    html = client.get("/medical/questionnaire").get_data(as_text=True)
    assert f'id="q{q["details"].id}-input"' in html


def test_submitting_lists_what_is_missing_then_submits(client, tourist, questions):
    client.get("/medical/questionnaire")
    csrf = token(client)
    q = questions
    for key, value in (("heart", "yes"), ("height", "180"), ("exam", "2025-01-10"), ("motion", "Never")):
        autosave(client, q[key], value, csrf)
    response = post_form(client, "/medical/questionnaire", {"action": "submit"}, page="/medical/questionnaire")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    missing = re.search(r'<div class="form-errors missing-answers".*?</div>', html, re.S).group(0)
    for key in ("details", "letter", "conditions"):
        assert f'<a href="#q-{q[key].id}">The {key} question?</a>' in missing
    assert "notes" not in missing  # optional
    assert case_of(tourist).state is CaseState.ANSWERING

    autosave(client, q["heart"], "no", csrf)
    client.post(f"/medical/questionnaire/answers/{q['conditions'].id}",
                data={f"q{q['conditions'].id}": ["None of these"]}, headers={**HX, "X-CSRFToken": csrf})
    response = post_form(client, "/medical/questionnaire", {"action": "submit"}, page="/medical/questionnaire")
    assert response.status_code == 302 and response.headers["Location"] == "/medical"
    assert case_of(tourist).state is CaseState.SUBMITTED
    page = client.get("/medical", follow_redirects=True).get_data(as_text=True)
    assert "Thank you. Your questionnaire is submitted" in page and "Submitted, waiting for review." in page
    assert "The conditions question?" in page and "None of these" in page

    # After submission answers are read-only: the form sends the tourist to the status page.
    assert client.get("/medical/questionnaire").headers["Location"] == "/medical"
    response = autosave(client, q["height"], "181", token(client))
    assert response.status_code == 422 and "can no longer be changed" in response.get_data(as_text=True)
    assert answers(tourist)["height"] == 180


def test_a_form_without_its_csrf_token_is_refused(client, tourist, questions):
    client.get("/medical/questionnaire")
    response = client.post(f"/medical/questionnaire/answers/{questions['height'].id}",
                           data={f"q{questions['height'].id}": "180"}, headers=HX)
    assert response.status_code == 400
    assert answers(tourist) == {}


# -- uploads --------------------------------------------------------------------------------------

@pytest.fixture
def letter(client, tourist, questions):
    """The tourist said yes to a heart condition: the letter question takes files."""
    client.get("/medical/questionnaire")
    csrf = token(client)
    autosave(client, questions["heart"], "yes", csrf)
    return questions["letter"], csrf


@pytest.mark.parametrize("content, filename, content_type, download_name", [
    (PDF, "cardiology letter.pdf", "application/pdf", "cardiology letter.pdf"),
    (PNG, "ecg.png", "image/png", "ecg.png"),
    (JPEG, "ECG scan.JPEG", "image/jpeg", "ECG scan.JPEG"),
    (PDF, "letter", "application/octet-stream", "letter.pdf"),  # the type comes from the content
])
def test_a_good_file_is_stored_encrypted_under_a_random_name(app, client, tourist, letter, content, filename,
                                                             content_type, download_name):
    question, csrf = letter
    before = stored_files(app)
    response = upload(client, question, content, filename, csrf, content_type=content_type)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert f"Uploaded {download_name}." in html and download_name in html
    row = db.session.scalars(select(MedicalUpload)).one()
    assert answers(tourist)["letter"] == [row.id]
    assert row.size == len(content) and row.filename == download_name
    new = stored_files(app) - before
    assert new == {row.stored_name} and re.fullmatch(r"[0-9a-f]{32}", row.stored_name)
    path = Path(app.config["MEDICAL_UPLOAD_DIR"]) / row.stored_name
    on_disk = path.read_bytes()
    assert content not in on_disk and filename.encode() not in on_disk
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with app.app_context():
        assert decrypt(on_disk) == content

    download = client.get(f"/medical/uploads/{row.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == row.content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]


@pytest.mark.parametrize("content, filename", [
    (EXE, "ecg.pdf"),
    (ELF, "letter.pdf"),
    (b"#!/bin/sh\nrm -rf /\n", "scan.png"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "scan.jpg"),  # an image, but not one we take
    (b"", "empty.pdf"),
])
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(app, client, tourist, letter, content, filename):
    question, csrf = letter
    before = stored_files(app)
    response = upload(client, question, content, filename, csrf)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("This file is not a PDF, JPEG or PNG" in html) or ("This file is empty" in html)
    assert 'aria-invalid="true"' in html
    assert upload_count() == 0 and stored_files(app) == before
    assert "letter" not in answers(tourist)


def test_an_11_mb_file_gets_a_clear_message_and_nothing_is_stored(app, client, tourist, letter):
    question, csrf = letter
    before = stored_files(app)
    big = PDF + b"0" * (11 * MB)
    response = upload(client, question, big, "huge.pdf", csrf)  # over the request limit: a 413, caught
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "This file is larger than 10 MB." in html
    # Without htmx, the whole page with the message.
    response = upload(client, question, big, "huge.pdf", csrf, htmx=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "<html" in html and "This file is larger than 10 MB." in html
    # Just over 10 MB fits in the request but not in the rule.
    response = upload(client, question, PDF + b"0" * (10 * MB), "big.pdf", csrf)
    assert response.status_code == 422 and "This file is larger than 10 MB." in response.get_data(as_text=True)
    assert upload_count() == 0 and stored_files(app) == before


def test_a_file_is_deleted_when_its_transaction_fails(app, client, tourist, letter, monkeypatch):
    from app.medical import uploads as medical_uploads

    question, csrf = letter
    before = stored_files(app)

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(medical_uploads.qs, "set_answer", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = upload(client, question, PDF, "letter.pdf", csrf)
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert upload_count() == 0 and stored_files(app) == before


def test_without_javascript_an_upload_keeps_what_was_typed(client, tourist, letter, questions):
    question, csrf = letter
    data = {
        "csrf_token": csrf, "present": [str(questions["details"].id), str(questions["height"].id)],
        f"q{questions['details'].id}": "Angina", f"q{questions['height'].id}": "177",
        f"file-{question.id}": (io.BytesIO(PDF), "letter.pdf"),
    }
    response = client.post(f"/medical/questionnaire/uploads/{question.id}", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#q-{question.id}")
    saved = answers(tourist)
    assert saved["details"] == "Angina" and saved["height"] == 177 and len(saved["letter"]) == 1


def test_a_file_can_be_removed_before_submission(app, client, tourist, letter):
    question, csrf = letter
    upload(client, question, PDF, "wrong.pdf", csrf)
    row = db.session.scalars(select(MedicalUpload)).one()
    path = Path(app.config["MEDICAL_UPLOAD_DIR"]) / row.stored_name
    response = client.post(f"/medical/uploads/{row.id}/remove", headers={**HX, "X-CSRFToken": csrf})
    assert response.status_code == 200 and "Removed wrong.pdf." in response.get_data(as_text=True)
    assert upload_count() == 0 and not path.exists()
    assert "letter" not in answers(tourist)


def test_files_and_cases_are_private(app, client, make, tourist, letter, medic):
    question, csrf = letter
    upload(client, question, PDF, "letter.pdf", csrf)
    row = db.session.scalars(select(MedicalUpload)).one()
    other = make.user()
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    for user, expected in ((other, 404), (ops, 404), (medic, 200)):
        visitor = app.test_client()
        login(visitor, user)
        assert visitor.get(f"/medical/uploads/{row.id}").status_code == expected
    intruder = app.test_client()
    login(intruder, other)
    assert intruder.post(f"/medical/uploads/{row.id}/remove",
                         headers={**HX, "X-CSRFToken": token(intruder)}).status_code == 404
    # The other tourist's pages show their own (empty) record, nothing of mine.
    for page in ("/medical", "/medical/questionnaire"):
        html = intruder.get(page).get_data(as_text=True)
        assert "letter.pdf" not in html and "Sally Ride" not in html
    assert client.get("/medical/uploads/999999").status_code == 404
    assert upload_count() == 1


# -- the medical page -----------------------------------------------------------------------------

def _submitted(client, tourist, questions):
    client.get("/medical/questionnaire")
    case = case_of(tourist)
    for key, value in (("heart", "no"), ("height", "180"), ("exam", "2025-01-10"), ("motion", "Never"),
                       ("conditions", ["None of these"])):
        qs.save_answer(case, questions[key], value, tourist)
    qs.submit(case, tourist)
    db.session.commit()
    return case


def _medical_page_after(client, tourist, questions, medic, state, *, note, **fields) -> str:
    """The tourist's medical page once ``medic`` has moved their submitted case to ``state`` with
    the internal ``note`` (after setting ``fields`` on the case)."""
    case = _submitted(client, tourist, questions)
    for name, value in fields.items():
        setattr(case, name, value)
    medical_access.transition(case, state, actor=medic, note=note)
    db.session.commit()
    return client.get("/medical").get_data(as_text=True)


def test_the_medical_page_shows_the_request_and_takes_an_answer(client, tourist, questions, medic):
    html = _medical_page_after(client, tourist, questions, medic, CaseState.INFO_REQUESTED,
                               info_request="Please tell us about the ECG you had in March.",
                               note="internal: check QT interval")
    assert "The medical team needs more information." in html
    assert "Please tell us about the ECG you had in March." in html
    assert "check QT interval" not in html  # internal notes never reach the tourist

    response = post_form(client, "/medical/info-response", {"response": "  "}, page="/medical")
    assert response.status_code == 422 and "This field is required." in response.get_data(as_text=True)
    response = post_form(client, "/medical/info-response", {"response": "It was normal; letter uploaded."},
                         page="/medical")
    assert response.status_code == 302
    case = case_of(tourist)
    assert (case.state, case.info_response) == (CaseState.SUBMITTED, "It was normal; letter uploaded.")


def test_the_medical_page_states_restrictions_but_no_findings(client, tourist, questions, medic):
    html = _medical_page_after(client, tourist, questions, medic, CaseState.RESTRICTED,
                               restrictions="No centrifuge runs above 3 g.", note="internal finding: borderline BP")
    assert "Cleared for flight, with restrictions." in html and "No centrifuge runs above 3 g." in html
    assert "borderline BP" not in html


# -- the access log -------------------------------------------------------------------------------

def test_every_tourist_route_writes_one_access_log_row(app, client, tourist, questions, medic):
    q = questions

    def logged(send, action: str):
        before = log_count()
        response = send()
        assert response.status_code < 500
        rows = list(db.session.scalars(select(MedicalAccess).order_by(MedicalAccess.id.desc()).limit(1)))
        assert log_count() == before + 1, response.get_data(as_text=True)[:300]
        assert rows[0].actor_id == tourist.id and rows[0].action == action
        return response

    logged(lambda: client.get("/medical"), "view")
    logged(lambda: client.get("/medical/questionnaire"), "view")
    csrf = token(client)
    logged(lambda: autosave(client, q["heart"], "yes", csrf), "change")
    logged(lambda: autosave(client, q["height"], "999", csrf), "change")  # refused, still logged
    logged(lambda: upload(client, q["letter"], PDF, "a.pdf", csrf), "upload")
    logged(lambda: upload(client, q["letter"], EXE, "a.pdf", csrf), "upload")  # refused
    upload_id = db.session.scalars(select(MedicalUpload.id)).one()
    logged(lambda: client.get(f"/medical/uploads/{upload_id}"), "download")
    logged(lambda: client.post(f"/medical/uploads/{upload_id}/remove", headers={**HX, "X-CSRFToken": csrf}), "change")
    logged(lambda: post_form(client, "/medical/questionnaire", {"action": "save"}, page="/account"), "change")
    logged(lambda: post_form(client, "/medical/questionnaire", {"action": "submit"}, page="/account"), "change")
    logged(lambda: post_form(client, "/medical/info-response", {"response": "x"}, page="/account"), "change")
    rows = list(db.session.scalars(select(MedicalAccess).where(MedicalAccess.actor_id == tourist.id)
                                   .order_by(MedicalAccess.id)))
    # The first look at /medical came before there was a case; every later row names it.
    assert rows[0].case_id is None and {r.case_id for r in rows[1:]} == {case_of(tourist).id}


# -- the staff's questionnaire editor -------------------------------------------------------------

@pytest.fixture
def staff(client, medic):
    db.session.commit()
    login(client, medic)
    return medic


def question_form(**kw) -> dict:
    data = {"text": "Do you smoke?", "kind": "yes_no", "key": "", "help": "", "required": "y", "unit": "",
            "min_value": "", "max_value": "", "choices": "", "show_if_key": "", "show_if_values": ""}
    data.update(kw)
    return data


def test_medical_staff_build_preview_and_publish_a_version(client, staff):
    assert "Start the first version" in client.get("/medical/questionnaires").get_data(as_text=True)
    response = post_form(client, "/medical/questionnaires/new", {}, page="/medical/questionnaires")
    assert response.status_code == 302
    draft = db.session.scalars(select(Questionnaire)).one()
    url = f"/medical/questionnaires/{draft.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Draft version 1" in page.get_data(as_text=True)

    # Adding with htmx returns the editor alone; a bad question is refused at its field.
    response = post_form(client, url + "/questions", question_form(), page=url, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="editor"' in html
    assert "do_you_smoke" in html and "Question 1 added." in html
    response = post_form(client, url + "/questions",
                         question_form(text="How many a day?", kind="number", min_value="10", max_value="5"),
                         page=url, headers=HX)
    assert response.status_code == 422
    assert "The lowest value must be less than the highest." in response.get_data(as_text=True)
    response = post_form(client, url + "/questions",
                         question_form(text="How many a day?", kind="number", key="per_day",
                                       show_if_key="do_you_smoke", show_if_values="perhaps"), page=url)
    assert response.status_code == 422
    assert "“perhaps” is not an answer to “do_you_smoke”" in response.get_data(as_text=True)
    response = post_form(client, url + "/questions",
                         question_form(text="How many a day?", kind="number", key="per_day", unit="cigarettes",
                                       min_value="1", max_value="100", show_if_key="do_you_smoke",
                                       show_if_values=["do_you_smoke:yes"]), page=url)  # a ticked box
    assert response.status_code == 302
    smoke, per_day = sorted(db.session.get(Questionnaire, draft.id).questions, key=lambda x: x.position)

    # Moving the dependent above its parent is refused; editing works without htmx.
    response = post_form(client, f"{url}/questions/{per_day.id}/move", {"direction": "up"}, page=url, headers=HX)
    assert response.status_code == 422 and "must stay below" in response.get_data(as_text=True)
    edit_url = f"{url}/questions/{smoke.id}"
    assert client.get(edit_url).status_code == 200
    response = post_form(client, edit_url, question_form(text="Do you smoke or vape?", key="do_you_smoke"), page=url)
    assert response.status_code == 302
    response = post_form(client, f"{url}/questions/{smoke.id}/delete", {}, page=url)
    assert response.status_code == 302
    assert "depends on this one" in client.get(url).get_data(as_text=True)

    preview = client.get(url + "/preview").get_data(as_text=True)
    assert "Do you smoke or vape?" in preview and "Shown only when “do_you_smoke” is answered: Yes." in preview
    assert "hx-post" not in preview.split("<main", 1)[1]  # a preview saves nothing

    response = post_form(client, url + "/publish", {}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Questionnaire, draft.id).published

    # A published version cannot be changed, by any route.
    for path, data in ((url + "/questions", question_form(text="Late?")), (edit_url, question_form()),
                       (f"{url}/questions/{smoke.id}/delete", {}), (url + "/publish", {}),
                       (url, {"title": "New title", "intro": ""})):
        response = post_form(client, path, data, page="/medical/questionnaires")
        assert response.status_code == 302
        assert "is published and cannot be changed" in client.get(url).get_data(as_text=True), path
    db.session.expire_all()
    version = db.session.get(Questionnaire, draft.id)
    assert [q.text for q in version.questions] == ["Do you smoke or vape?", "How many a day?"]
    assert version.title != "New title"
    assert db.session.scalar(select(func.count(Question.id))) == 2


def test_the_editor_is_for_medical_staff_and_logs_every_request(app, client, make, staff):
    before = log_count()
    client.get("/medical/questionnaires")
    post_form(client, "/medical/questionnaires/new", {}, page="/medical/questionnaires")
    rows = list(db.session.scalars(select(MedicalAccess).where(MedicalAccess.id > 0).order_by(MedicalAccess.id)))
    # the csrf_token helper's GET of the list page logs too
    assert log_count() == before + 3
    assert [r.what for r in rows[-3:]] == ["questionnaire versions", "questionnaire versions",
                                           "questionnaire v1 (new draft)"]
    assert all(r.case_id is None and r.actor_id == staff.id for r in rows[-3:])
    for role in (Role.TOURIST, Role.OPERATIONS):
        other = app.test_client()
        login(other, make.user(role))
        assert other.get("/medical/questionnaires").status_code == 403


def test_before_any_version_is_published_the_tourist_is_told_so(client, make):
    tourist = make.user()
    db.session.commit()
    login(client, tourist)
    for page in ("/medical", "/medical/questionnaire"):
        response = client.get(page)
        assert response.status_code == 200
        assert "not available yet" in response.get_data(as_text=True)
    assert case_of(tourist) is None
    assert db.session.scalar(select(func.count(MedicalAccess.id)).where(MedicalAccess.actor_id == tourist.id)) == 2


# -- languages ------------------------------------------------------------------------------------

def condition_notes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", n) for n in re.findall(r'class="[^"]*condition-note[^"]*">([^<]*)<', html)]


def test_conditions_are_picked_from_translated_answers_and_stored_as_tokens(client, make):
    """German staff pick „Ja“ (or type "ja"); the condition stores "yes" and reads „Ja“ everywhere."""
    medic = make.user(Role.MEDICAL, language="de")
    draft = qs.new_draft(medic)
    qs.add_question(draft, QuestionData(key="smoker", kind=K.YES_NO, text="Rauchen Sie?"))
    qs.add_question(draft, QuestionData(key="colour", kind=K.SINGLE_CHOICE, text="Farbe?", choices=["Rot", "Blau"]))
    db.session.commit()
    login(client, medic)
    url = f"/medical/questionnaires/{draft.id}"

    # Every possible parent's answers are offered (no script needed), yes/no in the reader's language.
    html = client.get(url).get_data(as_text=True)
    add = html.split('id="add-title"', 1)[1]
    assert re.search(r'value="smoker:yes"> Ja</label>', add) and re.search(r'value="smoker:no"> Nein</label>', add)
    assert 'value="colour:Rot"> Rot</label>' in add and 'value="colour:Blau"> Blau</label>' in add
    assert "(one per line)" not in add

    # A ticked box under another question than the one chosen does not count.
    response = post_form(client, url + "/questions",
                         question_form(text="Wie viele?", kind="number", key="per_day", show_if_key="smoker",
                                       show_if_values=["smoker:yes", "colour:Rot"]), page=url)
    assert response.status_code == 302
    # Typed by hand (or sent by an old form), the German word counts as well as the token.
    response = post_form(client, url + "/questions",
                         question_form(text="Seit wann?", kind="text", key="since", show_if_key="smoker",
                                       show_if_values="ja"), page=url)
    assert response.status_code == 302
    # Nothing ticked under the chosen question, or an answer it does not have: refused at the field.
    response = post_form(client, url + "/questions",
                         question_form(text="Warum?", kind="text", key="why", show_if_key="smoker",
                                       show_if_values=["colour:Rot"]), page=url)
    assert response.status_code == 422
    response = post_form(client, url + "/questions",
                         question_form(text="Warum?", kind="text", key="why", show_if_key="smoker",
                                       show_if_values="oui"), page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Ja, Nein" in html and 'id="new-show_if_values-error"' in html
    db.session.expire_all()
    stored = {q.key: q for q in db.session.get(Questionnaire, draft.id).questions}
    assert stored["per_day"].show_if_values == ["yes"] and stored["since"].show_if_values == ["yes"]
    assert "why" not in stored

    # The list, the question's own form and the preview say „Ja“, never the stored token.
    html = client.get(url).get_data(as_text=True)
    notes = condition_notes(html)
    assert len(notes) == 2 and all(n.endswith("Ja.") and "yes" not in n for n in notes), notes
    edit = client.get(f"{url}/questions/{stored['per_day'].id}").get_data(as_text=True)
    assert re.search(r'<details class="condition-parent" open>\s*<summary>[^<]*Rauchen Sie\?', edit)
    assert re.search(r'value="smoker:yes" checked> Ja</label>', edit)
    assert 'value="smoker:no"> Nein' in edit
    # Saved unchanged, the form keeps the condition.
    response = post_form(client, f"{url}/questions/{stored['per_day'].id}",
                         question_form(text="Wie viele?", kind="number", key="per_day", show_if_key="smoker",
                                       show_if_values=["smoker:yes"]), page=url)
    assert response.status_code == 302
    preview = client.get(url + "/preview").get_data(as_text=True)
    assert all(n.endswith("Ja.") for n in condition_notes(preview)) and len(condition_notes(preview)) == 2

    # An English reader of the same version reads "Yes".
    english = make.user(Role.MEDICAL, language="en")
    db.session.commit()
    other = client.application.test_client()
    login(other, english)
    notes = condition_notes(other.get(url).get_data(as_text=True))
    assert notes and all(n.endswith("answered: Yes.") for n in notes), notes


def test_the_first_draft_title_is_stored_in_english_and_read_in_each_language(client, make):
    medic = make.user(Role.MEDICAL, language="fr")
    db.session.commit()
    login(client, medic)
    response = post_form(client, "/medical/questionnaires/new", {}, page="/medical/questionnaires")
    assert response.status_code == 302
    draft = db.session.scalars(select(Questionnaire)).one()
    assert draft.title == qs.DEFAULT_TITLE == "Health questionnaire"
    page = client.get(f"/medical/questionnaires/{draft.id}").get_data(as_text=True)
    assert 'value="Health questionnaire"' in page and 'id="title-hint"' in page  # told who reads it
    qs.add_question(draft, QuestionData(key="fit", kind=K.YES_NO, text="Fit?"))
    qs.publish(draft, medic)
    tourist = make.user(language="de")
    db.session.commit()
    other = client.application.test_client()
    login(other, tourist)
    assert "<h1>Gesundheitsfragebogen</h1>" in other.get("/medical/questionnaire").get_data(as_text=True)
    # A title medical staff wrote is shown as written, and copied into the next draft.
    qs.update_details(qs.new_draft(medic), title="Fragebogen zur Gesundheit", intro="")
    assert qs.draft().title == "Fragebogen zur Gesundheit"


def test_the_progress_lines_agree_with_one_question(client, make, medic):
    draft = qs.new_draft(medic)
    qs.add_question(draft, QuestionData(key="fit", kind=K.YES_NO, text="Are you fit?"))
    qs.publish(draft, medic)
    tourist = make.user()
    db.session.commit()
    login(client, tourist)
    assert "Answered 0 of 1 question that applies to you." in client.get("/medical/questionnaire").get_data(as_text=True)
    status = client.get("/medical").get_data(as_text=True)
    assert "You have answered 0 of 1 question that applies to you." in status


# -- implausible answers, all at once -------------------------------------------------------------

def test_implausible_answers_are_each_refused_at_their_question_and_nothing_is_stored(client, tourist, questions):
    from tests.fielderrors import field_error

    q = questions
    client.get("/medical/questionnaire")
    response = post_form(client, "/medical/questionnaire", {
        "present": [str(q[k].id) for k in ("heart", "height", "exam", "conditions")],
        f"q{q['heart'].id}": "no", f"q{q['height'].id}": "abc", f"q{q['exam'].id}": "2099-01-01",
        f"q{q['conditions'].id}": ["Diabetes", "None of these"], "action": "save",
    }, page="/medical/questionnaire")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a number, between 100 and 250 cm." in field_error(page, f"q{q['height'].id}")
    assert "This date is in the future." in field_error(page, f"q{q['exam'].id}")
    assert "“None of these” cannot be ticked together" in field_error(page, f"q{q['conditions'].id}")
    assert answers(tourist) == {}
    # The page says so before anything is sent, and the date input stops at today.
    assert "“None of these” is ticked on its own." in page
    assert re.search(rf'id="q{q["exam"].id}-input"[^>]* max="{date.today().isoformat()}"', page)


def test_none_of_these_with_diabetes_is_refused_when_saved_alone(client, tourist, questions):
    client.get("/medical/questionnaire")
    q = questions
    response = autosave(client, q["conditions"], ["Diabetes", "None of these"], token(client))
    assert response.status_code == 422 and "cannot be ticked together" in response.get_data(as_text=True)
    assert answers(tourist) == {}
    assert autosave(client, q["conditions"], ["None of these"], token(client)).status_code == 200
    assert answers(tourist) == {"conditions": ["None of these"]}


def test_the_editor_shows_every_problem_of_a_question_at_once_and_marks_exclusive_options(client, staff):
    from tests.fielderrors import field_error

    post_form(client, "/medical/questionnaires/new", {}, page="/medical/questionnaires")
    draft = db.session.scalars(select(Questionnaire)).one()
    url = f"/medical/questionnaires/{draft.id}"
    response = post_form(client, url + "/questions", question_form(
        text="Do you have any of these?", kind="multiple_choice", key="Bad Key", choices="Asthma\nNone of these",
        exclusive_choices="Nothing at all", help="x" * 3000), page=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "lower-case letters" in field_error(page, "new-key")
    assert "“Nothing at all” is not one of the options above." in field_error(page, "new-exclusive_choices")
    assert field_error(page, "new-help")  # too long, at its own field
    assert db.session.get(Questionnaire, draft.id).questions == []

    response = post_form(client, url + "/questions", question_form(
        text="Do you have any of these?", kind="multiple_choice", choices="Asthma\nNone of these",
        exclusive_choices="None of these"), page=url)
    assert response.status_code == 302
    response = post_form(client, url + "/questions", question_form(
        text="When were you last examined?", kind="date", date_range="past"), page=url)
    assert response.status_code == 302
    db.session.expire_all()
    conditions, exam = sorted(db.session.get(Questionnaire, draft.id).questions, key=lambda q: q.position)
    assert conditions.exclusive_choices == ["None of these"] and exam.date_range == "past"
    html = client.get(f"{url}/questions/{conditions.id}").get_data(as_text=True)
    assert re.search(r'id="exclusive_choices"[^>]*>\s*None of these</textarea>', html)
