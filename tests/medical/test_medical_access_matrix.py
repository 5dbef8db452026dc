"""Every medical route against every role, and the access log every one of them writes.

The table below has one row per medical route and method (every rule of the blueprints
``medical``, ``health`` and ``questionnaires``): a route added without a row fails
:func:`test_the_table_covers_every_medical_route`. Each row says what each of seven visitors gets:
no one logged in, the tourist whose record it is, another tourist, and each staff role.

Each request runs in a savepoint that is rolled back afterwards, so that every request meets the
same data: a POST that clears a case does not change what the next visitor sees. Before the
rollback, the access-log rows the request wrote are read: every request a role may make writes
one, naming the user and the case.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.medical import cases as medical
from app.medical import questionnaires as qs
from app.medical import uploads as medical_uploads
from app.models import (
    CaseState,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    QuestionKind,
    Questionnaire,
    Role,
    VehicleLimits,
)
from tests.conftest import csrf_token, login

ANON, OWNER, OTHER = "anonymous", "tourist (owner)", "another tourist"
STAFF = {"medical": Role.MEDICAL, "operations": Role.OPERATIONS, "logistics": Role.LOGISTICS,
         "instructor": Role.INSTRUCTOR}
WHO = [ANON, OWNER, OTHER, *STAFF]
BLUEPRINTS = ("medical",)

# Free text of the owner's record that only medical staff may read.
NOTES = "Internal: anxious about the centrifuge, secret-notes-Z4"
OTHER_TESTS = "Spirometry normal secret-other-tests-Z5"
ANSWER = "Ramipril 5 mg secret-answer-Z6"
PDF = b"%PDF-1.4\nECG secret-file-Z7\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                    "9c6300010000050001a5f645400000000049454e44ae426082")


def medical_only(ok: int) -> dict[str, int]:
    return {ANON: 302, OWNER: 403, OTHER: 403, "medical": ok, "operations": 403, "logistics": 403,
            "instructor": 403}


def tourists_only(owner: int, other: int) -> dict[str, int]:
    return {ANON: 302, OWNER: owner, OTHER: other, **{s: 403 for s in STAFF}}


@dataclass
class Route:
    method: str
    endpoint: str
    url: str                      # formatted with the world's ids
    expect: dict[str, int]
    form: Callable[[dict], dict] | dict | None = None
    #: which of the world's cases the access-log row names ("case", "review_case"), or None
    #: when the route is about no single case (the queue, the vehicles, the questionnaire editor)
    case: str | None = "case"
    #: visitors whose request is refused by a business rule rather than by access control, and
    #: still logged (e.g. a self-certification that is not due)
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.endpoint, self.method


def _answer_form(w: dict) -> dict:
    return {f"q{w['text_q']}": "Ramipril 5 mg, secret-answer-Z6 (changed)"}


def _questionnaire_form(w: dict) -> dict:
    return {"action": "save", "present": [str(w["text_q"])], f"q{w['text_q']}": ANSWER}


def _upload_form(w: dict) -> dict:
    return {f"file-{w['file_q']}": FileStorage(io.BytesIO(PNG), filename="ecg.png", content_type="image/png")}


ASSESSMENT = {"systolic_mmhg": "118", "diastolic_mmhg": "76", "heart_rate_bpm": "62", "height_cm": "175",
              "weight_kg": "72", "ecg_result": "normal", "centrifuge_g": "4", "other_tests": "", "notes": ""}

ROUTES: list[Route] = [
    # -- the tourist's side (blueprints/medical/tourist.py) ---------------------------------------
    Route("GET", "medical.tourist.status", "/medical", tourists_only(200, 200)),
    Route("POST", "medical.tourist.info_response", "/medical/info-response", tourists_only(302, 404),
          form={"response": "Here is the letter you asked for."}),
    Route("GET", "medical.tourist.questionnaire", "/medical/questionnaire", tourists_only(200, 200)),
    Route("POST", "medical.tourist.save_questionnaire", "/medical/questionnaire", tourists_only(302, 302),
          form=_questionnaire_form),
    Route("POST", "medical.tourist.save_answer", "/medical/questionnaire/answers/{text_q}", tourists_only(302, 302),
          form=_answer_form),
    Route("POST", "medical.tourist.upload", "/medical/questionnaire/uploads/{file_q}", tourists_only(302, 302),
          form=_upload_form),
    Route("POST", "medical.tourist.remove_upload", "/medical/uploads/{upload}/remove", tourists_only(302, 404)),
    Route("POST", "medical.tourist.report_change", "/medical/change", tourists_only(422, 404),
          form={"details": "I broke my wrist last week."},
          note="the owner's case waits for information, not a change report: refused, logged"),
    Route("GET", "medical.tourist.download", "/medical/uploads/{upload}",
          {ANON: 302, OWNER: 200, OTHER: 404, "medical": 200, "operations": 404, "logistics": 404,
           "instructor": 404}),
    # -- medical staff (blueprints/medical) -------------------------------------------------------
    Route("GET", "medical.staff.queue", "/medical/queue", medical_only(200), case=None),
    Route("GET", "medical.staff.case", "/medical/cases/{case}", medical_only(200)),
    Route("POST", "medical.staff.record_assessment", "/medical/cases/{review_case}/assessments", medical_only(302),
          form=ASSESSMENT, case="review_case"),
    Route("POST", "medical.staff.decide", "/medical/cases/{review_case}/decision", medical_only(302),
          form={"decision": "info_requested", "message": "Please send your latest ECG."},
          case="review_case"),
    Route("POST", "medical.staff.correct", "/medical/cases/{decided_case}/correction", medical_only(302),
          form={"decision": "cleared", "valid_days": "300", "reason": "Extended to cover the launch."},
          case="decided_case"),
    Route("GET", "medical.staff.tourists", "/medical/tourists?q=a&status=cleared", medical_only(200), case=None),
    Route("GET", "medical.staff.access_log", "/medical/cases/{case}/access-log", medical_only(200)),
    Route("GET", "medical.staff.vehicles", "/medical/vehicles", medical_only(200), case=None),
    Route("POST", "medical.staff.vehicles", "/medical/vehicles", medical_only(302), case=None,
          form={"vehicle": "Crew capsule Aurora", "min_age": "18", "min_height_cm": "152",
                "max_height_cm": "193", "min_weight_kg": "50", "max_weight_kg": "101"}),
    Route("POST", "medical.staff.delete_vehicle_limits", "/medical/vehicles/{limits}/delete", medical_only(302),
          case=None),
    # -- the questionnaire editor (blueprints/medical/editor.py): version 1 is published, 2 a draft
    Route("GET", "medical.editor.index", "/medical/questionnaires", medical_only(200), case=None),
    Route("POST", "medical.editor.new", "/medical/questionnaires/new", medical_only(302), case=None,
          note="refused (a draft exists already), logged"),
    Route("GET", "medical.editor.edit", "/medical/questionnaires/{draft}", medical_only(200), case=None),
    Route("POST", "medical.editor.update_details", "/medical/questionnaires/{draft}", medical_only(302),
          case=None, form={"title": "Health questionnaire", "intro": "Answer for yourself."}),
    Route("POST", "medical.editor.delete_draft", "/medical/questionnaires/{draft}/delete", medical_only(302),
          case=None),
    Route("GET", "medical.editor.preview", "/medical/questionnaires/{draft}/preview", medical_only(200),
          case=None),
    Route("POST", "medical.editor.publish", "/medical/questionnaires/{draft}/publish", medical_only(302),
          case=None),
    Route("GET", "medical.editor.translations", "/medical/questionnaires/{draft}/translations/de",
          medical_only(200), case=None),
    Route("POST", "medical.editor.translations", "/medical/questionnaires/{draft}/translations/de",
          medical_only(302), case=None, form={"title": "Gesundheitsfragebogen"}),
    Route("POST", "medical.editor.add_question", "/medical/questionnaires/{draft}/questions",
          medical_only(302), case=None,
          form={"text": "Do you smoke?", "kind": "yes_no", "key": "smoker", "required": "y"}),
    Route("GET", "medical.editor.edit_question", "/medical/questionnaires/{draft}/questions/{draft_q}",
          medical_only(200), case=None),
    Route("POST", "medical.editor.edit_question", "/medical/questionnaires/{draft}/questions/{draft_q}",
          medical_only(302), case=None,
          form={"text": "Which medicines do you take?", "kind": "text", "key": "medications", "required": "y"}),
    Route("POST", "medical.editor.delete_question",
          "/medical/questionnaires/{draft}/questions/{draft_q}/delete", medical_only(302), case=None),
    Route("POST", "medical.editor.move_question", "/medical/questionnaires/{draft}/questions/{draft_q}/move",
          medical_only(302), case=None, form={"direction": "down"}),
    # -- the self-certification before launch (blueprints/medical) --------------------------------
    Route("GET", "medical.tourist.self_certification", "/medical/self-certification/{reference}",
          tourists_only(200, 404)),
    Route("POST", "medical.tourist.self_certification", "/medical/self-certification/{reference}",
          tourists_only(422, 404), form={"changed": "no"},
          note="the owner's case waits for information, so there is nothing to certify: refused, logged"),
]


# -- the world ------------------------------------------------------------------------------------

def _questionnaire(medic):
    draft = qs.new_draft(medic)
    text_q = qs.add_question(draft, qs.QuestionData(text="Which medications do you take?",
                                                    kind=QuestionKind.TEXT, key="medications"))
    file_q = qs.add_question(draft, qs.QuestionData(text="Your latest ECG", kind=QuestionKind.FILE,
                                                    key="ecg", required=False))
    qs.publish(draft, medic)
    return draft, text_q, file_q


@pytest.fixture
def world(app, make):
    users = {OWNER: make.user(), OTHER: make.user(), **{name: make.user(role) for name, role in STAFF.items()}}
    medic, owner = users["medical"], users[OWNER]
    booking = make.booking(owner, days=60, vehicle="Crew capsule Aurora")
    questionnaire, text_q, file_q = _questionnaire(medic)

    # The owner's case: answered, with an upload, submitted, assessed, and now asked for more.
    case = make.medical_case(owner, questionnaire, {"medications": ANSWER}, submit=False)
    upload = medical_uploads.store_upload(
        case, file_q, FileStorage(io.BytesIO(PDF), filename="ecg.pdf", content_type="application/pdf"), owner)
    qs.submit(case, owner)
    medical.record_assessment(case, medic, {**ASSESSMENT, "notes": NOTES, "other_tests": OTHER_TESTS})
    medical.decide(case, medic, CaseState.INFO_REQUESTED, message="Please upload your cardiologist's letter.")

    # A third tourist's case waiting for review: assessments and decisions are made on it.
    review_case = make.medical_case(make.user(), questionnaire, {"medications": "none"})

    # A fourth tourist's case, cleared: its decision is corrected.
    decided_case = make.medical_case(make.user(), questionnaire, {"medications": "none"})
    medical.record_assessment(decided_case, medic, ASSESSMENT)
    medical.decide(decided_case, medic, CaseState.CLEARED, valid_days=30)

    # The next version, a draft copied from the published one: the editor's changes go there.
    draft = qs.new_draft(medic)
    draft_q = next(q for q in draft.questions if q.key == "medications")

    limits = VehicleLimits(vehicle="Suborbital spaceplane", min_age=18)
    db.session.add(limits)
    db.session.flush()
    ids = {
        "case": case.id, "review_case": review_case.id, "decided_case": decided_case.id, "upload": upload.id, "text_q": text_q.id,
        "file_q": file_q.id, "reference": booking.reference, "limits": limits.id,
        "questionnaire": questionnaire.id, "draft": draft.id, "draft_q": draft_q.id,
    }
    db.session.commit()
    clients = {ANON: app.test_client()}
    for name, user in users.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    tokens = {who: csrf_token(client, "/account" if who != ANON else "/login") for who, client in clients.items()}
    user_ids = {who: u.id for who, u in users.items()}
    # The log-ins' session rows were written inside this session's savepoint: keep them, or the
    # first request run in a rolled-back savepoint would end every session.
    db.session.commit()
    return {"ids": ids, "clients": clients, "tokens": tokens, "user_ids": user_ids}


def medical_rules(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] in BLUEPRINTS:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((rule.endpoint, method))
    return found


def _send(world, route: Route, who: str):
    client = world["clients"][who]
    url = route.url.format(**world["ids"])
    if route.method == "GET":
        return url, client.get(url, headers=route.headers)
    data = route.form(world["ids"]) if callable(route.form) else dict(route.form or {})
    data["csrf_token"] = world["tokens"][who]
    return url, client.post(url, data=data, headers=route.headers, content_type="multipart/form-data")


def _in_savepoint(run: Callable[[], Any]):
    """Run a request in a savepoint rolled back afterwards; return its result and the access-log
    rows it wrote."""
    connection = db.session.get_bind()
    db.session.remove()
    last = connection.execute(select(func.coalesce(func.max(MedicalAccess.id), 0))).scalar_one()
    savepoint = connection.begin_nested()
    try:
        result = run()
        written = connection.execute(
            select(MedicalAccess.actor_id, MedicalAccess.case_id, MedicalAccess.action, MedicalAccess.what)
            .where(MedicalAccess.id > last).order_by(MedicalAccess.id)
        ).all()
    finally:
        savepoint.rollback()
    return result, written


# -- tests ----------------------------------------------------------------------------------------

def test_the_table_covers_every_medical_route(app):
    table = [r.key for r in ROUTES]
    assert len(table) == len(set(table)), "a route has two rows"
    registered = medical_rules(app)
    missing = sorted(registered - set(table))
    assert not missing, f"medical routes without a row in ROUTES: {missing}"
    stale = sorted(set(table) - registered)
    assert not stale, f"rows in ROUTES for routes that do not exist: {stale}"
    for route in ROUTES:
        assert set(route.expect) == set(WHO), f"{route.key} does not say what every visitor gets"


def test_every_medical_route_against_every_role(world):
    """One test for the whole table: logging seven users in for every row would be slow."""
    wrong = []
    for route in ROUTES:
        for who in WHO:
            (url, response), _rows = _in_savepoint(lambda: _send(world, route, who))
            expected = route.expect[who]
            if response.status_code != expected:
                body = re.sub(r"\s+", " ", response.get_data(as_text=True))[:300]
                wrong.append(f"{who} {route.method} {url}: {response.status_code}, expected {expected}  [{body}]")
            elif expected == 302 and who == ANON and not response.headers["Location"].startswith("/login"):
                wrong.append(f"{who} {route.method} {url}: redirected to {response.headers['Location']}")
            elif expected == 200 and "no-store" not in response.headers.get("Cache-Control", ""):
                wrong.append(f"{who} {route.method} {url}: a medical page the browser may keep (no no-store)")
    assert not wrong, "\n".join(wrong)


def test_every_medical_route_writes_an_access_log_row(world):
    """Each request a role may make writes a row: who, which record, what; never medical text."""
    wrong = []
    for route in ROUTES:
        for who in WHO:
            if who == ANON or route.expect[who] in (403, 404):
                continue
            (url, response), rows = _in_savepoint(lambda: _send(world, route, who))
            label = f"{who} {route.method} {url} ({response.status_code})"
            mine = [r for r in rows if r.actor_id == world["user_ids"][who]]
            if not mine:
                wrong.append(f"{label}: no access-log row (rows written: {rows})")
                continue
            if route.case and who in (OWNER, "medical"):
                case_id = world["ids"][route.case]
                if not any(r.case_id == case_id for r in mine):
                    wrong.append(f"{label}: no row names case {case_id}: {mine}")
            if not route.note and any("refused" in r.what for r in mine):
                wrong.append(f"{label}: refused, but the table expects it to work: {mine}")
            for row in rows:
                if not row.action or not row.what:
                    wrong.append(f"{label}: a row without action or what: {row}")
                for secret in (NOTES, OTHER_TESTS, ANSWER, "secret-"):
                    if secret in row.what:
                        wrong.append(f"{label}: the access log repeats medical text: {row.what!r}")
    assert not wrong, "\n".join(wrong)
    # Every request was rolled back: the table's visitors all met the same data.
    db.session.remove()
    assert db.session.get(MedicalCase, world["ids"]["review_case"]).state is CaseState.SUBMITTED
    assert len(db.session.get(MedicalCase, world["ids"]["decided_case"]).events) == 3
    assert db.session.get(Questionnaire, world["ids"]["draft"]).published_at is None
    assert db.session.get(MedicalUpload, world["ids"]["upload"]) is not None


def test_refused_visitors_learn_nothing(world):
    """A 403 or 404 (or the way to the login page) shows none of the record."""
    leaks = []
    for route in ROUTES:
        for who in WHO:
            if route.expect[who] not in (302, 403, 404) or (route.expect[who] == 302 and who != ANON):
                continue
            (url, response), _rows = _in_savepoint(lambda: _send(world, route, who))
            body = response.get_data()
            for secret in (NOTES, OTHER_TESTS, ANSWER):
                if secret.encode() in body:
                    leaks.append(f"{who} {route.method} {url}: shows {secret!r}")
            if b"secret-file-Z7" in body:
                leaks.append(f"{who} {route.method} {url}: shows the upload")
    assert not leaks, "\n".join(leaks)


# -- who sees what of a decided case ------------------------------------------------------------

RESTRICTIONS = "Aisle seat, no more than 4 g: secret-restrictions-Z8"
REQUEST = "Send the letter from your cardiologist, secret-request-Z9"
RESPONSE = "Attached, secret-response-Z0"


@pytest.fixture
def decided(app, make):
    """A tourist cleared with restrictions after answering a request, with an assessment."""
    tourist, medic, ops = make.user(), make.user(Role.MEDICAL), make.user(Role.OPERATIONS)
    booking = make.booking(tourist, days=60)
    make.consent_document()
    questionnaire, _text_q, _file_q = _questionnaire(medic)
    case = make.medical_case(tourist, questionnaire, {"medications": ANSWER}, medic=medic,
                             decision=CaseState.INFO_REQUESTED, message=REQUEST)
    qs.answer_info_request(case, tourist, RESPONSE)
    medical.record_assessment(case, medic, {**ASSESSMENT, "notes": NOTES, "other_tests": OTHER_TESTS})
    medical.decide(case, medic, CaseState.RESTRICTED, restrictions=RESTRICTIONS)
    db.session.commit()
    clients = {}
    for name, user in (("tourist", tourist), ("medical", medic), ("operations", ops)):
        clients[name] = app.test_client()
        login(clients[name], user)
    return {"clients": clients, "case": case.id, "booking": booking.reference, "flight": booking.flight_id}


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def test_the_tourist_sees_answers_status_and_restrictions_but_not_internal_notes(decided):
    client = decided["clients"]["tourist"]
    status = _page(client, "/medical")
    assert ANSWER in status and RESTRICTIONS in status
    pages = {"/medical": status, "/journey": _page(client, "/journey"),
             f"/bookings/{decided['booking']}": _page(client, f"/bookings/{decided['booking']}"),
             f"/medical/self-certification/{decided['booking']}":
                 _page(client, f"/medical/self-certification/{decided['booking']}")}
    for url, html in pages.items():
        for internal in (NOTES, OTHER_TESTS):
            assert internal not in html, f"the tourist sees an internal note on {url}"


def _tourist_after(app, make, **decided):
    """A client logged in as a tourist whose answered case a medic has decided on as ``decided``
    says (``make.medical_case``'s assessment, decision and its text), committed."""
    tourist, medic = make.user(), make.user(Role.MEDICAL)
    questionnaire, _text_q, _file_q = _questionnaire(medic)
    make.medical_case(tourist, questionnaire, {"medications": ANSWER}, medic=medic, **decided)
    db.session.commit()
    client = app.test_client()
    login(client, tourist)
    return client


def test_the_tourist_sees_what_the_medical_team_asked(app, make):
    client = _tourist_after(app, make, decision=CaseState.INFO_REQUESTED, message=REQUEST)
    assert REQUEST in _page(client, "/medical")


def test_the_tourist_does_not_see_the_reason_for_not_clearing(app, make):
    reason = "Uncontrolled arrhythmia, secret-reason-Z3"
    client = _tourist_after(app, make, assessment={**ASSESSMENT, "notes": NOTES},
                            decision=CaseState.NOT_CLEARED, reason=reason)
    for url in ("/medical", "/journey"):
        html = _page(client, url)
        assert reason not in html and NOTES not in html, f"the tourist sees the reason on {url}"


def test_operations_see_the_status_alone(decided):
    client = decided["clients"]["operations"]
    pages = {url: _page(client, url) for url in (
        f"/ops/bookings/{decided['booking']}", f"/ops/flights/{decided['flight']}", "/ops/flights")}
    assert "Cleared with restrictions" in pages[f"/ops/bookings/{decided['booking']}"]
    for url, html in pages.items():
        for detail in (ANSWER, NOTES, OTHER_TESTS, RESTRICTIONS, REQUEST, RESPONSE):
            assert detail not in html, f"operations see {detail!r} on {url}"


def test_medical_staff_see_everything(decided):
    html = _page(decided["clients"]["medical"], f"/medical/cases/{decided['case']}")
    for detail in (ANSWER, NOTES, OTHER_TESTS, RESTRICTIONS, REQUEST, RESPONSE):
        assert detail in html, f"the case page does not show {detail!r}"


def test_medical_staff_read_a_records_access_log(decided):
    client = decided["clients"]["medical"]
    _page(client, f"/medical/cases/{decided['case']}")
    log = _page(client, f"/medical/cases/{decided['case']}/access-log")
    assert "case: questionnaire, assessments, decisions" in log
