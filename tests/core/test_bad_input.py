"""Bad input gets a clear answer and changes nothing; it never breaks a page (no 5xx).

Each role walks the app from its start pages as a browser would, following links, and collects
every form on the way (its action, its fields and their values as the page fills them). Then every
field of every form is sent again with malformed values of each class: a NUL character, numbers
beyond 64 bits, ``NaN``, ``Infinity`` and ``1e308``, text longer than the field allows, the wrong
type, and every field empty at once. Every query string a list page reads, and every id in a URL,
gets the same treatment. Each request runs in a savepoint rolled back afterwards (every request
meets the same data), and the SQL it ran is watched: an input that must be refused may not write a
row.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import event, select

from app.accounts import accounts
from app.booking import bookings as booking_service
from app.desk import conversations as desk
from app.documents import consent
from app.extensions import db
from app.medical import cases as medical
from app.medical import questionnaires as qs
from app.models import (
    AgeBand,
    Booking,
    CaseState,
    Channel,
    Companion,
    Conversation,
    ConversationState,
    Flight,
    GateOverride,
    MessageStatus,
    ModuleKind,
    OutboundMessage,
    PlaceState,
    QuestionKind,
    Role,
    SavedAnswer,
    Segment,
    SegmentTemplate,
    SessionPlace,
    Topic,
    TrainingModule,
    TrainingSession,
    VehicleLimits,
)
from app.payments import payments
from app.seed import DEMO_PASSWORD, seed_demo
from app.timeutil import now_utc
from app.training import calendar as training_calendar
from tests.conftest import PASSWORD, login

HUGE = "99999999999999999999999999999"
NUMERIC = {"huge": HUGE, "negative huge": "-" + HUGE, "NaN": "NaN", "Infinity": "Infinity",
           "-Infinity": "-Infinity", "1e308": "1e308", "1e999999999": "1e999999999",
           "superscript digit": "²", "wrong type": "abc"}
NUL = "a\x00b"
# Rows a refused request may still write: the log-in throttle, and the medical and travel access
# logs (a refused change re-shows the page, and every view of medical or travel details is logged).
MAY_WRITE = ("throttle_hits", "medical_access_log", "travel_access_log")
SKIP_ACTIONS = ("/logout", "/language")  # would end the walk's session / only switch language
MAX_PAGES = 110
PAGES_PER_SHAPE = 4


# -- reading pages --------------------------------------------------------------------------------

@dataclass
class Field:
    name: str
    value: str
    kind: str  # text, number, hidden, select, checkbox, radio, textarea, file
    required: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    action: str
    fields: list[Field] = field(default_factory=list)
    htmx: bool = False

    def data(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind == "file":
                continue
            out.setdefault(f.name, []).append(f.value)
        return out


class PageReader(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self._radios: set[str] = set()
        self._own_posts: list[tuple[Form, str, list[str]]] = []  # (enclosing form, action, fields)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if tag != "form" and self._form is not None and (a.get("data-hx-post") or a.get("hx-post")):
            # An element inside a form that posts its own part of it (an answer saved at once).
            params = a.get("data-hx-params") or a.get("hx-params") or ""
            self._own_posts.append((self._form, a.get("data-hx-post") or a.get("hx-post"),
                                    [p.strip() for p in params.split(",") if p.strip() not in ("", "none", "*")]))
        if tag == "form" and a.get("method", "get").lower() == "post":
            action = a.get("action") or a.get("hx-post") or a.get("data-hx-post") or self.page
            self._form = Form(action=action, htmx=bool(a.get("hx-post") or a.get("data-hx-post")))
            self._radios = set()
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        required = "required" in a or "aria-required" in a
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                if kind == "submit" and a.get("value"):
                    self._form.fields.append(Field(name, a["value"], "hidden"))
                return
            if kind in ("checkbox", "radio"):
                if kind == "radio" and name in self._radios:
                    return
                self._radios.add(name)
                value = a.get("value", "y")
            else:
                value = a.get("value", "")
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._form.fields.append(Field(name, value, kind, required, maxlength))
        elif tag == "button" and name:
            self._form.fields.append(Field(name, a.get("value", ""), "hidden"))
        elif tag == "select" and name:
            self._select = Field(name, "", "select", required)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if not self._select.value and a.get("value", "x"):
                self._select.value = a.get("value", "")
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea" and name:
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._textarea = Field(name, "", "textarea", required, maxlength)
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def own_posts(self) -> list[Form]:
        """The parts of forms that htmx posts on their own, with their fields and the token."""
        made = []
        for form, action, names in self._own_posts:
            fields = [f for f in form.fields if f.name in names or f.name == "csrf_token"]
            if any(f.kind == "file" for f in form.fields if f.name in names):
                continue  # uploads: refused by their content, see tests/medical/test_health_pages.py
            made.append(Form(action=action, fields=fields, htmx=True))
        return made

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def walk(client, starts: list[str]) -> tuple[dict[str, Form], set[str]]:
    """Every form reachable from ``starts`` by following links (GET only), keyed by action and
    field names; and every page seen."""
    seen: set[str] = set()
    forms: dict[str, Form] = {}
    shapes: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or path.startswith(("/static", "/logout", "/webhooks")) or "/uploads/" in path:
            continue
        # A few pages of each shape (/ops/training/sessions/N): a list of fifty sessions would
        # otherwise spend the walk's pages on the same form.
        shape = re.sub(r"/\d+", "/N", path) + "?" + urlsplit(url).query
        if shapes.get(shape, 0) >= PAGES_PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        reader = PageReader(url)
        reader.feed(response.get_data(as_text=True))
        for link in reader.links:
            if link.split("#")[0] not in seen:
                queue.append(link.split("#")[0])
        for form in reader.forms + reader.own_posts():
            if form.action.startswith(SKIP_ACTIONS):
                continue
            key = re.sub(r"/\d+", "/N", form.action) + "|" + ",".join(sorted(f.name for f in form.fields))
            forms.setdefault(key, form)
    return forms, seen


# -- watching what a request leaves behind -------------------------------------------------------

_TABLE = re.compile(r"^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.I)


class Writes:
    """The tables a request wrote to (it may have rolled the writes back: see ``changed``)."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        match = _TABLE.match(statement)
        if match and match.group(1) not in MAY_WRITE:
            self.tables.add(match.group(1))


def _content(connection, table: str) -> list:
    return sorted(map(repr, connection.exec_driver_sql(f'SELECT * FROM "{table}"').all()))


def in_savepoint(run, baseline: dict[str, list] | None = None):
    """Run one request in a savepoint rolled back afterwards. Returns its result and the tables
    whose rows differ from ``baseline`` after it (what it stored, not what it tried and rolled
    back)."""
    connection = db.session.get_bind()
    db.session.remove()
    writes = Writes()
    savepoint = connection.begin_nested()
    event.listen(db.engine, "before_cursor_execute", writes)
    try:
        result = run()
        event.remove(db.engine, "before_cursor_execute", writes)
        changed = sorted(t for t in writes.tables
                         if baseline is not None and _content(connection, t) != baseline.get(t))
        return result, changed
    finally:
        if event.contains(db.engine, "before_cursor_execute", writes):
            event.remove(db.engine, "before_cursor_execute", writes)
        savepoint.rollback()
        # ROLLBACK TO keeps the savepoint open: without a RELEASE, every request's savepoint would
        # nest inside the last one's, and PostgreSQL keeps a lock per nested transaction that
        # wrote (thousands of requests ran out of max_locks_per_transaction).
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {savepoint._savepoint}")


def snapshot() -> dict[str, list]:
    connection = db.session.get_bind()
    return {t.name: _content(connection, t.name) for t in db.metadata.sorted_tables}


# -- the world ------------------------------------------------------------------------------------

ASSESSMENT = {"systolic_mmhg": "120", "diastolic_mmhg": "80", "heart_rate_bpm": "60", "height_cm": "170",
              "weight_kg": "70", "ecg_result": "normal", "centrifuge_g": "4", "other_tests": "", "notes": ""}


def _answer_everything(case, tourist) -> None:
    """Plausible answers to every question that applies ("no" hides the follow-up questions)."""
    for _ in range(5):
        missing = qs.missing_answers(case)
        if not missing:
            return
        for question in missing:
            kind = question.kind
            if kind is QuestionKind.FILE:
                continue
            value = {QuestionKind.YES_NO: "no", QuestionKind.TEXT: "none",
                     QuestionKind.DATE: "2020-01-01"}.get(kind)
            if kind is QuestionKind.NUMBER:
                value = str(question.min_value if question.min_value is not None else 70)
            elif kind is QuestionKind.SINGLE_CHOICE:
                value = question.choices[0]
            elif kind is QuestionKind.MULTIPLE_CHOICE:
                value = list(question.exclusive_choices[:1] or question.choices[:1])
            qs.save_answer(case, question, value, tourist)


def _case(make, tourist, medic, *, decision=None, **decide):
    case = qs.open_case(tourist)
    _answer_everything(case, tourist)
    qs.submit(case, tourist)
    if decision is not None:
        medical.record_assessment(case, medic, ASSESSMENT)
        medical.decide(case, medic, decision, **decide)
    return case


@pytest.fixture
def world(app, make):
    """The demo data, plus work waiting for every role, so that every form the app has is on a
    page the walk reaches: seats held (one to sign, one signed with its deposit to pay), a question
    asked, a waiting list joined, an unread notice, a second device logged in; health cases asked
    for more information, cleared ten days before launch (self-certification, reporting a change,
    correcting the decision) and waiting for review (assessing, deciding); the draft of the next
    questionnaire; a failed message; a password-reset link opened."""
    seed_demo()
    users = {r: accounts.find_by_email(e) for e, r in [
        ("tourist@example.com", Role.TOURIST), ("medic@example.com", Role.MEDICAL),
        ("ops@example.com", Role.OPERATIONS), ("coordinator@example.com", Role.LOGISTICS),
        ("instructor@example.com", Role.INSTRUCTOR)]}
    tourist, medic = users[Role.TOURIST], users[Role.MEDICAL]
    document = consent.current_document()
    to_sign = make.booking(tourist, confirmed=False, days=100)
    desk.start(tourist, topic=Topic.DOCUMENTS, subject="Risk disclosure", body="Is the centrifuge run compulsory?",
               booking=to_sign, document_id=document.document_id, document_version_id=document.id)
    answered = desk.start(tourist, topic=Topic.TRAINING, subject="Suit size", body="Which size do I need?")
    desk.reply(answered, users[Role.OPERATIONS], "Tell us your height, please.")  # the tourist's turn: "All clear"
    to_pay = make.booking(tourist, confirmed=False, days=250)
    consent.sign(to_pay, tourist, version_id=document.id, signed_name=tourist.name, ip_address="::1",
                 user_agent="test")
    deposit = payments.start_deposit(to_pay, tourist)
    full = db.session.scalar(select(Flight).where(Flight.name == "Kármán Twilight"))
    booking_service.join_waitlist(full.id, tourist)
    db.session.add(OutboundMessage(user_id=tourist.id, channel=Channel.IN_APP, kind="payment_receipt",
                                   recipient=tourist.email, subject="Receipt", body="Thanks",
                                   status=MessageStatus.SENT))
    failed = OutboundMessage(user_id=tourist.id, channel=Channel.EMAIL, kind="payment_receipt",
                             recipient=tourist.email, subject="Receipt", body="Thanks",
                             status=MessageStatus.FAILED, error="SMTP refused")
    db.session.add(failed)
    _case(make, tourist, medic, decision=CaseState.INFO_REQUESTED, message="Send your ECG.")
    cleared = make.user(name="Clara Cleared", phone="+14155550177")  # not verified: the account page asks
    soon = make.booking(cleared, days=10)
    _case(make, cleared, medic, decision=CaseState.CLEARED, valid_days=365)
    _case(make, make.user(name="Walter Waiting"), medic)
    qs.new_draft(medic)
    db.session.add(VehicleLimits(vehicle="Suborbital spaceplane SV-2", min_age=18))
    training_calendar.new_feed(tourist)  # the account page offers a new address and turning it off
    _full_training_session(make)  # the training page offers its waiting list
    db.session.commit()

    clients = {}
    for role, user in [*users.items(), ("cleared tourist", cleared)]:
        client = app.test_client()
        login(client, user, DEMO_PASSWORD if user is not cleared else PASSWORD)
        clients[role] = client
    login(app.test_client(), tourist, DEMO_PASSWORD)  # a second device: "log out of the others"
    clients[None] = app.test_client()
    clients[None].get(f"/password/reset/{accounts.reset_token(users[Role.OPERATIONS])}")
    db.session.commit()  # the log-ins' session rows stay for every request below
    flagged = db.session.scalar(select(Segment).where(Segment.flag != ""))
    template = db.session.scalar(select(SegmentTemplate).where(SegmentTemplate.flight_id == full.id))
    db.session.add(Companion(booking_id=flagged.booking_id, name="Kim Rivers", relation="child", age_band=AgeBand.TEEN))
    db.session.commit()
    return {"clients": clients, "checkout": f"/payments/{deposit.id}/checkout",
            "travel_flight": f"/logistics/flights/{full.id}", "travel_file": f"/logistics/bookings/{flagged.booking.reference}",
            "flagged_segment": f"/logistics/segments/{flagged.id}", "template": f"/logistics/templates/{template.id}",
            "self_certification": f"/medical/self-certification/{soon.reference}",
            "failed_message": f"/outbox/{failed.id}",
            "read_page": f"/bookings/{to_sign.reference}/documents/{document.document_id}",
            "document_page": f"/ops/documents/{document.document_id}",
            "readiness": f"/ops/flights/{full.id}/readiness", "override": _overridden_gate(full),
            **_desk_pages(tourist)}


def _desk_pages(tourist) -> dict[str, str]:
    """The demo's conversations: one of the tourist's resolved, one open on a topic operations
    handle, one medical, an unmatched SMS; and a saved answer."""
    rows = db.session.scalars(select(Conversation).order_by(Conversation.id)).all()
    resolved = next(c for c in rows if c.user_id == tourist.id and c.state is ConversationState.RESOLVED)
    open_one = next(c for c in rows if c.user_id is not None and c.state is ConversationState.NEW
                    and c.topic in (Topic.OTHER, Topic.DOCUMENTS, Topic.BOOKING))
    medical = next(c for c in rows if c.topic is Topic.MEDICAL and c.state is not ConversationState.RESOLVED)
    unmatched = next(c for c in rows if c.user_id is None)
    answer = db.session.scalar(select(SavedAnswer.id))
    answered = next(c for c in rows if c.user_id == tourist.id and c.state is ConversationState.WAITING_ON_TOURIST)
    return {"my_conversation": f"/conversations/{resolved.id}", "my_answered": f"/conversations/{answered.id}",
            "desk_resolved": f"/desk/{resolved.id}",
            "desk_open": f"/desk/{open_one.id}", "desk_medical": f"/desk/{medical.id}",
            "desk_unmatched": f"/desk/{unmatched.id}", "desk_answer": f"/desk/answers/{answer}"}


def _overridden_gate(flight) -> str:
    """The gate page of the demo's override (Yuri's balance deferred): it has the withdraw form."""
    made = db.session.scalar(select(GateOverride))
    booking = db.session.get(Booking, made.booking_id)
    return f"/ops/flights/{flight.id}/readiness/{booking.reference}/gates/{made.gate}"


def _full_training_session(make) -> None:
    """A suit fitting with its one place taken, before the demo tourist's deadline."""
    suit = db.session.scalar(select(TrainingModule).where(TrainingModule.kind == ModuleKind.SUIT_FITTING))
    instructor = accounts.find_by_email("instructor@example.com")
    starts_at = now_utc() + timedelta(days=3)
    session = TrainingSession(module=suit, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1),
                              timezone="UTC", place="Suit room", capacity=1, instructors=[instructor])
    db.session.add(session)
    db.session.flush()
    db.session.add(SessionPlace(session_id=session.id, user_id=make.user().id, state=PlaceState.BOOKED))


def starts(world) -> dict:
    return {
        None: ["/", "/flights", "/login", "/signup", "/password/forgot", "/password/reset"],
        Role.TOURIST: ["/journey", "/flights", "/account", "/account/notifications", "/notifications",
                       "/medical", "/medical/questionnaire", "/training", "/documents", "/travel", world["read_page"],
                       world["checkout"], "/conversations", "/conversations/new", world["my_conversation"],
                       world["my_answered"]],
        "cleared tourist": ["/journey", "/medical", world["self_certification"], "/account"],
        Role.MEDICAL: ["/medical/queue", "/medical/tourists", "/medical/questionnaires",
                       "/medical/vehicles", "/account", "/desk", world["desk_medical"]],
        Role.OPERATIONS: ["/ops/flights", "/ops/flights/new", "/ops/documents", world["document_page"],
                          "/ops/users", "/outbox", world["failed_message"], "/account", "/ops/training", "/ops/training/modules",
                          "/ops/training/plans", "/ops/training/sessions", world["readiness"], world["override"],
                          "/desk", world["desk_open"], world["desk_resolved"], world["desk_unmatched"],
                          "/desk/answers/new", world["desk_answer"]],
        Role.LOGISTICS: ["/", "/account", "/notifications", "/logistics", "/logistics/flights", world["travel_flight"],
                         world["travel_file"], world["flagged_segment"], world["template"]],
        Role.INSTRUCTOR: ["/", "/instructor", "/account", "/notifications"],
    }


# POST routes the walk does not send malformed forms to, and why.
NOT_WALKED = {
    "accounts.auth.logout": "ends the walk's own session; it reads no field",
    "core.set_language": "reads one choice from a fixed list; covered by tests/accounts/test_auth.py",
    "payments.webhooks.stripe_webhook": "not a form: signed JSON, see tests/integration/test_stripe.py",
    "messages.webhooks.status": "not a form: signed by Twilio, see tests/integration/test_twilio.py",
    "messages.webhooks.inbound": "not a form: signed by Twilio, see tests/integration/test_twilio.py",
    "medical.tourist.upload": "a file: refused by its content, see tests/medical/test_health_pages.py",
    "medical.tourist.remove_upload": "needs an upload; reads no field",
    "medical.editor.new": "shown only while no draft exists (the world has a draft to edit); reads no field",
    "privacy.tourist.withdraw": "shown only while the tourist's erasure request is open (the world's tourist has "
                                "none, so that the request's form is walked); reads no field",
}


def _token(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def _post(client, form: Form, data: dict[str, list[str]]):
    headers = {"HX-Request": "true"} if form.htmx else {}
    return client.post(form.action, data=data, headers=headers)


def _cases(form: Form):
    """(what, data, must_refuse) for each malformed variant of ``form``."""
    base = form.data()
    fields = [f for f in form.fields if f.name != "csrf_token" and f.kind not in ("file",)]
    for f in fields:
        yield f"{f.name}: NUL", {**base, f.name: [NUL]}, True
        if f.kind == "number" or f.name in ("amount", "price", "deposit", "deposit_nonrefundable"):
            for what, value in NUMERIC.items():
                yield f"{f.name}: {what}", {**base, f.name: [value]}, True
        elif f.kind in ("hidden", "select", "radio", "checkbox"):
            for what, value in (("huge", HUGE), ("wrong type", "abc"), ("long", "x" * 5000)):
                yield f"{f.name}: {what}", {**base, f.name: [value]}, False
        else:
            limit = f.maxlength
            yield f"{f.name}: very long", {**base, f.name: ["x" * 5000]}, bool(limit and limit < 5000)
            yield f"{f.name}: huge number as text", {**base, f.name: [HUGE]}, False
    empty = {k: [""] for k in base if k != "csrf_token"}
    yield "every field empty", {**base, **empty}, any(f.required for f in fields)
    yield "no fields at all", {"csrf_token": base.get("csrf_token", [""])}, any(f.required for f in fields)


def _endpoint(app, action: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(action).path, method="POST")[0]
    except Exception:  # noqa: BLE001 - an action this app does not answer
        return None


def test_malformed_input_never_breaks_a_page_and_changes_nothing(app, world):
    """One walk for every role (logging in seven users per form would be slow); every POST route
    of the app is reached, or named in NOT_WALKED with the reason."""
    broken, stored, walked = [], [], set()
    for role, start in starts(world).items():
        client = world["clients"][role]
        forms, pages = in_savepoint(lambda: walk(client, start))[0]
        baseline = snapshot()
        for form in forms.values():
            walked.add(_endpoint(app, form.action))
            for what, data, must_refuse in _cases(form):
                response, changed = in_savepoint(lambda: _post(client, form, data), baseline)
                where = f"{role or 'anonymous'}: POST {form.action} [{what}]"
                if response.status_code >= 500:
                    broken.append(f"{where}: {response.status_code}")
                elif must_refuse and changed:
                    stored.append(f"{where}: {response.status_code}, changed {changed}")
                if what.endswith(": NUL") and response.status_code != 400:
                    broken.append(f"{where}: {response.status_code}, expected 400")

        # Every query string a page of the walk carried, and every id in its URLs.
        for page in pages:
            parts = urlsplit(page)
            args = dict(parse_qsl(parts.query)) or {"page": "1", "q": "x", "month": "2027-01"}
            for name in args:
                for value in (NUL, HUGE, "-" + HUGE, "²", "x" * 5000, "0000-01", "9999-12", "٢٠٢٦-01"):
                    url = parts.path + "?" + urlencode({**args, name: value})
                    response, _ = in_savepoint(lambda: client.get(url))
                    if response.status_code >= 500:
                        broken.append(f"{role or 'anonymous'}: GET {url[:120]}: {response.status_code}")
            if re.search(r"/\d+(/|$)", parts.path):
                url = re.sub(r"/\d+(/|$)", lambda m: "/" + HUGE + m.group(1), parts.path, count=1)
                response, _ = in_savepoint(lambda: client.get(url))
                if response.status_code != 404:
                    broken.append(f"{role or 'anonymous'}: GET {url}: {response.status_code}, expected 404")
    assert not broken, "\n".join(broken)
    assert not stored, "malformed input was stored:\n" + "\n".join(stored)

    every_post = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    missed = sorted(every_post - walked - set(NOT_WALKED))
    assert not missed, f"the walk reached no form of: {missed} (give the world one, or say why in NOT_WALKED)"
    assert not set(NOT_WALKED) - every_post, "NOT_WALKED names routes that do not exist"


def test_a_nul_character_is_refused_with_a_clear_message(client):
    response = client.get("/flights?spaceport=a%00b")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_every_number_field_is_one_that_refuses_what_no_column_holds():
    """Forms take IntegerField and DecimalField from blueprints.forms (bounded, finite), never
    from wtforms directly."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in (root / "blueprints").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wtforms"):
                taken = {a.name for a in node.names} & {"IntegerField", "DecimalField", "FloatField"}
                if taken and path.name != "forms.py" or taken and path.parent.name != "blueprints":
                    offenders.append(f"{path.relative_to(root)}: {sorted(taken)}")
    assert offenders == []


def test_a_number_that_cannot_be_read_says_one_thing(client, make):
    """"This number is too large." alone, not followed by "Enter an amount of zero or more."."""
    from tests.conftest import post_form
    from tests.fielderrors import field_error

    login(client, make.user(Role.OPERATIONS))
    page = post_form(client, "/ops/flights/new", {"price": "1e30", "seat_count": "abc"},
                     page="/ops/flights/new").get_data(as_text=True)
    assert field_error(page, "price") == "This number is too large."
    assert field_error(page, "seat_count") == "Not a valid integer value."
