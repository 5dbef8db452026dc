"""No user text is ever rendered as markup.

Markup is written into every free-text field a user can write, through the real forms and as the
role that writes it (names, flights, consent documents, questions and answers, the health
questionnaire's titles, questions, options, units and answers, medical notes, decisions, vehicle
limits, reasons for refunds and cancellations, health changes...). Then every page is rendered as
every role, whole and as its htmx fragment, and every message's HTML: the markup must appear as
text (escaped) and never as a tag.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import accounts
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    Conversation,
    Document,
    DocumentVersion,
    Flight,
    MedicalCase,
    MedicalUpload,
    OutboundMessage,
    Payment,
    Question,
    Questionnaire,
    Role,
    SavedAnswer,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)
from app.timeutil import now_utc
from tests.conftest import PASSWORD, login

RAW = re.compile(r"<b x=(\w+)>")
ESCAPED = re.compile(r"&lt;b x=(\w+)&gt;")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def mark(tag: str) -> str:
    return f"<b x={tag}>"


class Walk:
    """Clients for each role, and what every response showed."""

    def __init__(self, app) -> None:
        self.app = app
        self.clients = {}
        self.raw: dict[str, set[str]] = {}
        self.escaped: set[str] = set()

    def look(self, who: str, url: str, response) -> None:
        body = response.get_data(as_text=True)
        for match in RAW.finditer(body):
            self.raw.setdefault(match.group(1), set()).add(f"{who} {url}")
        self.escaped.update(m.group(1) for m in ESCAPED.finditer(body))

    def token(self, who: str) -> str:
        html = self.clients[who].get("/flights").get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def get(self, who: str, url: str, **kw):
        response = self.clients[who].get(url, **kw)
        self.look(who, url, response)
        return response

    def post(self, who: str, url: str, data: dict | None = None, *, htmx: bool = False, **kw):
        data = {**(data or {}), "csrf_token": self.token(who)}
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.clients[who].post(url, data=data, headers=headers, **kw)
        self.look(who, url, response)
        if response.status_code in (302, 303):
            self.get(who, response.headers["Location"])  # the flash message, as a browser would
        return response


def _local(days: float) -> str:
    return (now_utc() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _one(model, *where):
    return db.session.scalars(select(model).where(*where).order_by(model.id)).first()


@pytest.fixture
def walk(app, make):
    w = Walk(app)
    users = {"operations": make.user(Role.OPERATIONS, name="Ops " + mark("opsname")),
             "medical": make.user(Role.MEDICAL), "tourist2": make.user(name="Other tourist")}
    db.session.commit()
    for who, user in users.items():
        w.clients[who] = app.test_client()
        login(w.clients[who], user)
    w.clients["anonymous"] = app.test_client()
    w.clients["tourist"] = app.test_client()
    return w


def test_markup_in_every_free_text_field_is_shown_as_text_on_every_page(walk, make):
    w = walk
    # -- operations: staff accounts, flights, the consent document --------------------------------
    for role in ("instructor", "logistics"):
        w.post("operations", "/ops/users", {"name": f"{role} " + mark("staffname"), "email": f"{role}@example.com",
                                            "role": role, "password": "a-long-passphrase-42", "language": "en",
                                            "timezone": "UTC"})
    flight = {"name": "Mission " + mark("fname"), "vehicle": "Plane " + mark("fvehicle"),
              "spaceport": "Port " + mark("fport"), "description": "About " + mark("fdesc"),
              "launch_at": _local(200), "window_closes_at": _local(201), "seat_count": "4", "currency": "USD",
              "price": "450000", "deposit": "150000", "deposit_nonrefundable": "25000",
              "balance_due_days": "90", "status": "scheduled"}
    w.post("operations", "/ops/flights/new", flight)
    w.post("operations", "/ops/flights/new", {**flight, "name": "Later " + mark("fname2"),
                                              "launch_at": _local(300), "window_closes_at": _local(301)})
    flights = list(db.session.scalars(select(Flight).order_by(Flight.id)))
    assert len(flights) == 2, "the flight form refused the flights"
    for kind in ("informed_consent", "briefing"):
        w.post("operations", "/ops/documents", {"kind": kind, "scope": "all", "default_language": "en", "flight_id": "0"})
    documents = list(db.session.scalars(select(Document).order_by(Document.id)))
    assert len(documents) == 2, "the document form refused the documents"
    for document in documents:
        w.post("operations", f"/ops/documents/{document.id}", {
            "title_en": "Risks " + mark("ctitle"), "body_en": "Known hazards " + mark("cbody") + " include death. " * 5,
            "title_de": "Risiken " + mark("ctitle_de"), "body_de": "Bekannt " + mark("cbody_de"),
            "summary_en": "First " + mark("csummary"), "material": "material", "confirmed": "yes"})
    assert db.session.scalar(select(db.func.count(DocumentVersion.id))) == 2, "the version form refused the texts"

    # -- the tourist: signs up, holds seats, asks, signs, pays -------------------------------------
    tourist_name = "Tina " + mark("tname")
    w.post("tourist", "/signup", {"name": tourist_name, "email": "tina@example.com", "phone": "+12025550100",
                                  "language": "en", "timezone": "UTC", "date_of_birth": "1980-01-01",
                                  "password": PASSWORD, "confirm": PASSWORD})
    w.post("tourist", "/account", {"name": tourist_name, "phone": "+12025550100", "language": "en",
                                   "timezone": "UTC"})
    for f in flights:
        w.post("tourist", f"/flights/{f.id}/hold")
    bookings = list(db.session.scalars(select(Booking).order_by(Booking.id)))
    assert len(bookings) == 2, "the tourist could not hold the seats"
    consent_doc, briefing = documents
    versions = {v.document_id: v for v in db.session.scalars(select(DocumentVersion))}
    w.post("tourist", f"/bookings/{bookings[0].reference}/documents/{consent_doc.id}/questions",
           {"question": "Why? " + mark("cquestion")})
    question = _one(Conversation)
    w.post("operations", f"/desk/{question.id}/reply", {"body": "Because " + mark("canswer")})
    w.post("operations", f"/desk/{question.id}/note", {"note": "Internal " + mark("cnote")})
    w.post("tourist", "/conversations/new", {"topic": "other", "subject": "Subject " + mark("dsubject"),
                                             "body": "Body " + mark("dbody")})
    w.post("operations", "/desk/answers/new", {"title": "Hours " + mark("satitle"), "body_en": "Open " + mark("sabody"),
                                               "active": "y"})
    for booking in bookings:
        w.post("tourist", f"/bookings/{booking.reference}/documents/{consent_doc.id}", {
            "version_id": versions[consent_doc.id].id, "language": "en", "read": "y", "not_certified": "y",
            "questions_answered": "y", "signed_name": tourist_name})
        w.post("tourist", f"/bookings/{booking.reference}/documents/{briefing.id}", {
            "version_id": versions[briefing.id].id, "language": "en", "read": "y"})
        w.post("tourist", f"/bookings/{booking.reference}/deposit")
    assert db.session.scalar(select(db.func.count(Acceptance.id))) == 4, "the tourist could not sign and acknowledge"
    for payment in db.session.scalars(select(Payment).order_by(Payment.id)):
        w.post("tourist", f"/payments/{payment.id}/sandbox", {"card_number": "4242424242424242", "expiry": "12/40",
                                                              "cvc": "123", "name": "Tina"})
    deposit = _one(Payment)
    w.post("operations", f"/ops/payments/{deposit.id}/refund", {"amount": "1", "reason": "Goodwill " + mark("refund")})

    # -- medical staff: the questionnaire, with every kind of text ---------------------------------
    w.post("medical", "/medical/questionnaires/new")
    draft = _one(Questionnaire)
    base = {"required": "y", "min_value": "", "max_value": "", "show_if_key": "", "unit": "", "choices": "", "help": ""}
    w.post("medical", f"/medical/questionnaires/{draft.id}", {"title": "Health " + mark("qtitle"),
                                                            "intro": "Please " + mark("qintro")})
    add = f"/medical/questionnaires/{draft.id}/questions"
    w.post("medical", add, {**base, "text": "Heart? " + mark("qyesno"), "kind": "yes_no", "key": "heart",
                            "help": "Help " + mark("qhelp")})
    w.post("medical", add, {**base, "text": "Which? " + mark("qchoice"), "kind": "single_choice", "key": "which",
                            "choices": "first " + mark("qoption") + "\nsecond"})
    w.post("medical", add, {**base, "text": "Tell " + mark("qtext"), "kind": "text", "key": "tell"})
    w.post("medical", add, {**base, "text": "Weight " + mark("qnumber"), "kind": "number", "key": "weight",
                            "unit": mark("qunit"), "min_value": "30", "max_value": "250"})
    w.post("medical", add, {**base, "text": "Many " + mark("qmulti"), "kind": "multiple_choice", "key": "many",
                            "choices": "one " + mark("qmoption") + "\ntwo"})
    w.post("medical", add, {**base, "text": "File " + mark("qfile"), "kind": "file", "key": "letter", "required": ""})
    questions = {q.key: q for q in db.session.scalars(select(Question).where(Question.questionnaire_id == draft.id))}
    assert set(questions) == {"heart", "which", "tell", "weight", "many", "letter"}, "the editor refused a question"
    # The editor's own pages, where the earlier questions are offered as conditions.
    w.get("medical", f"/medical/questionnaires/{draft.id}")
    w.get("medical", f"/medical/questionnaires/{draft.id}/questions/{questions['tell'].id}")
    w.post("medical", add, {**base, "text": "", "kind": "yes_no"}, htmx=True)
    w.post("medical", f"/medical/questionnaires/{draft.id}/publish")

    # -- the tourist answers; medical staff assess and decide --------------------------------------
    w.get("tourist", "/medical/questionnaire")
    answers = {"heart": "yes", "which": "first " + mark("qoption"), "tell": "I had " + mark("atext"),
               "weight": "70", "many": "one " + mark("qmoption")}
    for key, value in answers.items():
        w.post("tourist", f"/medical/questionnaire/answers/{questions[key].id}", {f"q{questions[key].id}": value},
               htmx=True)
    letter = questions["letter"].id
    w.clients["tourist"].post(f"/medical/questionnaire/uploads/{letter}", data={
        f"file-{letter}": (io.BytesIO(PDF), mark("filename") + ".pdf"), "csrf_token": w.token("tourist")},
        content_type="multipart/form-data", headers={"HX-Request": "true"})
    w.post("tourist", "/medical/questionnaire", {"action": "submit"})
    case = _one(MedicalCase)
    assert case is not None and case.submitted_at is not None, "the questionnaire was not submitted"
    assessment = {"systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "60", "height_cm": "170",
                  "weight_kg": "70", "ecg_result": "normal", "centrifuge_g": "4"}
    w.post("medical", f"/medical/cases/{case.id}/assessments",
           {**assessment, "other_tests": "Tests " + mark("othertests"), "notes": "Notes " + mark("notes")})
    w.post("medical", f"/medical/cases/{case.id}/decision", {"decision": "info_requested",
                                                            "message": "Send " + mark("inforequest")})
    w.post("tourist", "/medical/info-response", {"response": "Here " + mark("inforesponse")})
    w.post("medical", "/medical/vehicles", {"vehicle": "Plane " + mark("fvehicle"), "min_age": "18",
                                            "min_height_cm": "180"})
    w.post("medical", f"/medical/cases/{case.id}/decision", {"decision": "restricted", "valid_days": "365",
                                                            "restrictions": "No " + mark("restrictions")})
    w.post("medical", f"/medical/cases/{case.id}/correction", {"decision": "restricted", "valid_days": "300",
                                                              "restrictions": "No " + mark("restrictions"),
                                                              "reason": "Because " + mark("reason")})
    w.post("tourist", "/medical/change", {"details": "Changed " + mark("healthchange")})
    w.post("medical", f"/medical/cases/{case.id}/decision", {"decision": "not_cleared",
                                                            "reason": "Not now " + mark("ncreason")})
    w.post("tourist", f"/bookings/{bookings[1].reference}/cancel", {"reason": "Sorry " + mark("cancelreason"),
                                                                    "confirm": "y"})
    # A launch that moves: the tourist is told, by every channel.
    w.post("operations", f"/ops/flights/{flights[0].id}/edit", {**flight, "status": "delayed",
                                                                "launch_at": _local(207), "window_closes_at": _local(208)})
    # -- training: a module, a plan for the flights' vehicle, sessions, a place, a cancellation ------
    w.post("operations", "/ops/training/modules/new", {
        "kind": "classroom", "duration_minutes": "60", "topics": ["smoke", "fire", "cabin_pressure", "emergency_exit"],
        "default_language": "en", "name_en": "Drill " + mark("mname"), "description_en": "About " + mark("mdesc")})
    module = _one(TrainingModule)
    assert module is not None, "the module form refused the module"
    w.post("operations", "/ops/training/plans", {"target": f"vehicle:{flights[0].vehicle}"})
    plan = _one(TrainingPlan)
    w.post("operations", f"/ops/training/plans/{plan.id}/items", {"module": module.id, "deadline_days": "1"})
    w.post("operations", f"/ops/training/plans/{plan.id}/publish")
    instructor = accounts.find_by_email("instructor@example.com")
    for days in (30, 31):
        w.post("operations", "/ops/training/sessions/new", {
            "module_id": module.id, "starts_at": _local(days), "timezone": "UTC", "place": "Hall " + mark("splace"),
            "capacity": "4", "instructor_ids": [instructor.id], "repeat": "1", "every_days": "7"})
    sessions = list(db.session.scalars(select(TrainingSession).order_by(TrainingSession.id)))
    assert len(sessions) == 2, "the session form refused the sessions"
    w.post("tourist", f"/training/sessions/{sessions[0].id}/book", {"booking": bookings[0].reference})
    w.post("operations", f"/ops/training/sessions/{sessions[1].id}/cancel", {"reason": "Ill " + mark("sreason")})
    db.session.expire_all()

    # -- every page, as everyone -------------------------------------------------------------------
    ids = {
        "messages": [m.id for m in db.session.scalars(select(OutboundMessage))],
        "payments": [p.id for p in db.session.scalars(select(Payment))],
        "documents": [d.id for d in documents],
        "versions": [v.id for v in versions.values()],
        "acceptances": [a.id for a in db.session.scalars(select(Acceptance))],
        "questionnaires": [q.id for q in db.session.scalars(select(Questionnaire))],
        "uploads": [u.id for u in db.session.scalars(select(MedicalUpload))],
        "conversations": [c.id for c in db.session.scalars(select(Conversation))],
        "saved_answers": [a.id for a in db.session.scalars(select(SavedAnswer))],
    }
    refs = [b.reference for b in bookings]
    pages = ["/", "/flights", *(f"/flights/{f.id}" for f in flights), "/journey", "/account",
             "/account/notifications", "/notifications", "/medical", "/medical/questionnaire",
             "/medical/queue", f"/medical/cases/{case.id}", f"/medical/cases/{case.id}/access-log",
             "/medical/vehicles", "/medical/questionnaires", "/medical/tourists", "/medical/tourists?q=Tina",
             "/ops/flights", "/ops/flights?show=all", "/ops/documents", "/desk", "/desk/answers", "/desk/report", "/conversations", "/ops/users", "/documents",
             "/outbox", "/outbox?q=Tina", "/flights?vehicle=Plane",
             *(f"/ops/flights/{f.id}" for f in flights), *(f"/ops/flights/{f.id}/edit" for f in flights)]
    for ref in refs:
        pages += [f"/bookings/{ref}", *(f"/bookings/{ref}/documents/{i}" for i in ids["documents"]), f"/bookings/{ref}/cancel",
                  f"/ops/bookings/{ref}", f"/medical/self-certification/{ref}"]
    pages += [f"/ops/documents/{i}" for i in ids["documents"]] + [f"/outbox/{i}" for i in ids["messages"]]
    pages += [f"/ops/documents/versions/{i}" for i in ids["versions"]]
    pages += [f"/ops/acceptances/{i}" for i in ids["acceptances"]]
    pages += [f"/ops/flights/{f.id}/documents" for f in flights]
    pages += [f"/payments/{i}/receipt" for i in ids["payments"]]
    pages += ["/training", "/instructor", f"/instructor/sessions/{sessions[0].id}", "/ops/training",
              f"/ops/training?flight={flights[0].id}", "/ops/training/modules", f"/ops/training/modules/{module.id}",
              "/ops/training/plans", f"/ops/training/plans/{plan.id}", "/ops/training/sessions",
              *(f"/ops/training/sessions/{s.id}" for s in sessions)]
    pages += [f"/desk/{i}" for i in ids["conversations"]] + [f"/conversations/{i}" for i in ids["conversations"]]
    pages += [f"/desk/answers/{i}" for i in ids["saved_answers"]]
    for i in ids["conversations"]:  # the answer chosen for a reply, in the form
        pages += [f"/desk/{i}?answer={a}" for a in ids["saved_answers"]]
    pages += [f"/medical/questionnaires/{i}" for i in ids["questionnaires"]]
    pages += [f"/medical/questionnaires/{i}/preview" for i in ids["questionnaires"]]
    pages += [f"/medical/questionnaires/{i}/translations/fr" for i in ids["questionnaires"]]
    for who in ("tourist", "tourist2", "medical", "instructor", "logistics", "operations", "anonymous"):
        if who in ("instructor", "logistics"):
            w.clients[who] = w.app.test_client()
            login(w.clients[who], f"{who}@example.com", "a-long-passphrase-42")
        for url in pages:
            w.get(who, url)
            w.get(who, url, headers={"HX-Request": "true"})
    for message in db.session.scalars(select(OutboundMessage)):
        for match in RAW.finditer(message.html_body or ""):
            w.raw.setdefault(match.group(1), set()).add(f"email {message.kind}")
        w.escaped.update(m.group(1) for m in ESCAPED.finditer(message.html_body or ""))

    assert not w.raw, "user text rendered as markup:\n" + "\n".join(
        f"{tag}: {sorted(where)[:4]}" for tag, where in sorted(w.raw.items()))
    written = {"opsname", "staffname", "fname", "fname2", "fvehicle", "fport", "fdesc", "ctitle", "cbody",
               "csummary", "tname", "cquestion", "canswer", "refund", "qtitle", "qintro", "qyesno", "qhelp",
               "qchoice", "qoption", "qtext", "qnumber", "qunit", "qmulti", "qmoption", "qfile", "atext",
               "filename", "othertests", "notes", "inforequest", "inforesponse", "restrictions", "reason",
               "healthchange", "ncreason", "cancelreason", "mname", "mdesc", "splace", "sreason"}
    # Each was stored and shown somewhere (escaped): the test saw every field it wrote.
    assert written - w.escaped == set()
