"""Fixtures for the whole suite.

The suite runs once per database: ``COUNTDOWN_TEST_DB=sqlite`` (default) or ``postgresql``. The
schema is made by the real migrations. Ordinary tests run inside one transaction per test that is
rolled back at the end (each request and task commits to a savepoint); tests that need other
connections (a worker, a live server, concurrent requests) use ``committed_db`` instead, which lets
commits through and empties the tables afterwards.
"""

from __future__ import annotations

import contextvars
import functools
import io
import os
import re
import socket
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from werkzeug.datastructures import FileStorage

from app import create_app
from app.accounts import accounts
from app.booking import bookings as booking_service
from app.desk import attachments as desk_attachments
from app.desk import conversations, saved_answers
from app.documents import consent, documents
from app.extensions import db
from app.medical import cases as medical
from app.medical import questionnaires
from app.models import (
    Booking,
    BookingState,
    CaseState,
    Document,
    DocumentKind,
    DocumentScope,
    DocumentVersion,
    Flight,
    FlightStatus,
    MedicalCase,
    ModuleKind,
    OutboundMessage,
    Question,
    QuestionKind,
    Questionnaire,
    QuietHours,
    Role,
    SafetyTopic,
    Topic,
    TrainingPlan,
    User,
)
from app.timeutil import now_utc
from app.training import modules as training_modules
from app.training import plans as training_plans
from app.training import sessions as training_sessions
from app.training.modules import ModuleData
from tests.services import in_ci, reachable

TEST_DB = os.environ.get("COUNTDOWN_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-battery"


def require_service(name: str, host: str, port: int) -> None:
    """Skip (laptop) or fail (CI) a test whose service is not running."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if in_ci():
        pytest.fail(f"{message}; under CI=true a missing service is a failure")
    pytest.skip(f"{message}; start it to run this test")


def pytest_configure(config):
    if TEST_DB == "postgresql" and not reachable("127.0.0.1", 5432):
        message = "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run cannot start."
        if in_ci():
            pytest.exit(message + " Under CI=true this is a failure.", returncode=1)
        pytest.exit(message + " Skipping the PostgreSQL run.", returncode=0)


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL half of the suite")
    for item in items:
        if "postgres" in item.keywords and TEST_DB != "postgresql":
            item.add_marker(skip_pg)


def pytest_report_header(config):
    return f"countdown database: {TEST_DB}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DB == "postgresql":
        name = f"countdown_test_{os.getpid()}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        yield url
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'countdown-test.sqlite'}"


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the suite's kind, for migrations or apps that must not meet the rest
    of the suite's data; dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = f"countdown_fresh_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {
        "COUNTDOWN_ENV": "testing",
        "DATABASE_URL": database_url,
        "COUNTDOWN_INSTANCE": str(instance),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "BASE_URL": "http://countdown.test",
        "PATH": os.environ.get("PATH", ""),
    }
    env.update(extra)
    return env


class IsolatedClient(FlaskClient):
    """A test client whose requests run outside the test's own app context.

    Flask reuses an app context that is already pushed, so without this every request of a test
    would share ``g`` (and the logged-in user) with the test and with each other.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(env=make_env(database_url, tmp_path_factory.mktemp("instance")))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """Any real outbound call to a provider fails the test."""
    import smtplib

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach a real outside service")

    monkeypatch.setattr(smtplib.SMTP, "connect", refuse)
    monkeypatch.setattr(smtplib.SMTP_SSL, "connect", refuse)


@pytest.fixture
def db_session(app):
    """One transaction per test, rolled back at the end; requests and tasks commit to savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session bound to this connection (Flask-SQLAlchemy's own would pick the
        # engine), scoped per app context as Flask-SQLAlchemy does.
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def committed_db(app):
    """Real commits, visible to other connections; every table is emptied afterwards."""
    with app.app_context():
        yield db.session
        db.session.remove()
        empty_tables()


#: Tables whose rows the database refuses to delete (evidence: see migration 0011d).
GUARDED_TABLES = ("document_versions", "document_texts", "document_acceptances", "document_events")


def empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                if table in GUARDED_TABLES:
                    # The immutability trigger guards real data; tests drop it to clean up.
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
                    conn.exec_driver_sql(f"DELETE FROM {table}")
                    # As migration 0023p left it: retention may unlock the consent evidence.
                    when = (f"WHEN NOT EXISTS (SELECT 1 FROM privacy_retention_unlocks WHERE table_name = '{table}') "
                            if table in ("document_acceptances", "document_events") else "")
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}"
                        f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed or deleted'); END"
                    )
                else:
                    conn.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def client(app, db_session):
    return app.test_client()


# -- factories ------------------------------------------------------------------------------------

@functools.cache
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")


class Factory:
    """Makes rows through the services, as the app would; flushes, never commits."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, role: Role = Role.TOURIST, *, quiet_hours: bool = False, **kw) -> User:
        """A user; without ``quiet_hours=True`` their quiet hours are off, so that whether a
        reminder goes out at once does not depend on the hour the suite runs at."""
        user = self._user(role, **kw)
        if not quiet_hours:
            db.session.add(QuietHours(user_id=user.id, enabled=False))
            db.session.flush()
        return user

    def _user(self, role: Role, **kw) -> User:
        n = self._next()
        kw.setdefault("email", f"{role.value}{n}-{uuid.uuid4().hex[:6]}@example.com")
        kw.setdefault("name", f"Test {role.value.title()} {n}")
        if role is Role.TOURIST:
            kw.setdefault("date_of_birth", date(1980, 1, 1))
        if "password" in kw:
            return accounts.create_user(role=role, **kw)
        # scrypt is slow on purpose; hash the shared test password once per run.
        user = User(role=role, password_hash=_password_hash(), **kw)
        db.session.add(user)
        db.session.flush()
        return user

    def flight(self, **kw) -> Flight:
        n = self._next()
        launch = kw.pop("launch_at", now_utc() + timedelta(days=90 + n))
        values = dict(
            name=f"Mission {n}", vehicle="Spaceplane SV-2", spaceport="Spaceport America",
            description="", launch_at=launch, window_closes_at=launch + timedelta(days=2),
            seat_count=6, price_minor=450_000_00, currency="USD", deposit_minor=150_000_00,
            deposit_nonrefundable_minor=25_000_00, balance_due_days=90,
            status=FlightStatus.SCHEDULED,
        )
        values.update(kw)
        flight = Flight(**values)
        db.session.add(flight)
        db.session.flush()
        return flight

    def consent_document(self, *, resign_required: bool = False, body: str | None = None, actor: User | None = None):
        actor = actor or self.user(Role.OPERATIONS)
        n = self._next()
        return self._told(consent.publish_document(
            title=f"Risk disclosure {n}",
            body=body or ("Known hazards include death and serious injury. " * 3) + f"Revision {n}.",
            resign_required=resign_required, change_summary=f"change {n}", actor=actor,
        ))

    def document(self, kind: DocumentKind = DocumentKind.BRIEFING, *, scope: DocumentScope = DocumentScope.ALL,
                 scope_name: str = "", flight: Flight | None = None, texts: dict | None = None,
                 material: bool = True, document: Document | None = None, actor: User | None = None) -> DocumentVersion:
        """A version of a document (a new one of ``kind`` and ``scope``, or ``document``'s next):
        English by default, ``texts`` ``{language: (title, body)}`` otherwise."""
        actor = actor or self.user(Role.OPERATIONS)
        n = self._next()
        if document is None:
            document = documents.create_document(documents.DocumentData(
                kind, DocumentScope.FLIGHT if flight else scope, scope_name, flight.id if flight else None), actor)
        texts = texts or {"en": (f"{kind.value.replace('_', ' ').capitalize()} {n}", f"Text of document {n}.")}
        return self._told(documents.publish_version(document, documents.Draft(texts, material=material), actor))

    @staticmethod
    def _told(version: DocumentVersion) -> DocumentVersion:
        """What the task sent after the commit does (tell the tourists a material version asks,
        re-plan their reminders), done now, without committing."""
        pending = db.session.info.get("countdown_after_commit", [])
        for item in [p for p in pending if p == (documents.NOTIFY_TASK, (version.id,))]:
            pending.remove(item)
            after = 0
            while (last := documents.notify_version(version.id, after)) is not None:
                after = last
            documents.version_notified(version.id)
        return version

    def travel(self, booking: Booking, *, confirmed: bool = True, actor: User | None = None):
        """The tourist's travel on file (arrival arranged by the operator, an emergency contact, a
        passport valid ten years) and a hotel stay over the launch, confirmed unless
        ``confirmed=False``. Returns the hotel segment."""
        from app.travel import details, itinerary  # noqa: PLC0415 - the travel domain's own helpers
        user = booking.user
        details.save_arrival(booking, details.ArrivalData(mode="operator"))
        details.add_contact(user, details.ContactData("Ada Contact", "sister", "+493012345678"))
        details.save_document(user, details.DocumentData(
            name_as_printed=user.name, nationality="DE", document_type="passport", number="C01X00T47",
            issuing_country="DE", expires_on=(now_utc() + timedelta(days=3650)).date(),
            date_of_birth=user.date_of_birth or date(1985, 6, 1), sex="F"))
        launch = booking.flight.launch_at.replace(tzinfo=None)
        return itinerary.add_segment(booking, itinerary.SegmentData(
            kind="hotel", status="confirmed" if confirmed else "pending", title="Hotel Andaluz",
            address="125 2nd St NW, Albuquerque", confirmation_code="HA-1",
            starts_local=launch - timedelta(days=2), start_timezone="UTC", ends_local=launch + timedelta(days=1),
            end_timezone="UTC"), actor or self.user(Role.LOGISTICS))

    def accept(self, booking: Booking, version: DocumentVersion, language: str = "en"):
        """The booking's tourist signs or acknowledges ``version``, as read in ``language``."""
        user = booking.user
        return documents.accept(booking, user, version_id=version.id, language=language,
                                signed_name=user.name if version.document.kind.signed else "",
                                ip_address="192.0.2.1", user_agent="pytest")

    def booking(self, tourist: User | None = None, *, days: int = 200, confirmed: bool = True,
                **flight) -> Booking:
        """A tourist's seat on a new flight launching in ``days`` (``flight`` sets its other
        fields); confirmed unless ``confirmed=False``, when the seat is only held."""
        tourist = tourist or self.user()
        launch = self.flight(launch_at=now_utc() + timedelta(days=days), **flight)
        booking = booking_service.hold_seat(launch.id, tourist)
        if confirmed:
            booking_service.transition(booking, BookingState.CONFIRMED)
        return booking

    def desk(self, tourist: User, booking: Booking, staff: dict[str, User]) -> dict[str, int]:
        """The tourist's conversations on four topics (booking: with a file from them and one in
        an internal note; medical, with a file; travel; training), an SMS from an unknown number
        and a saved answer: their ids, as the access tables use them."""
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        ops = staff["operations"]
        asked = conversations.start(tourist, topic=Topic.BOOKING, booking=booking, subject="My balance",
                                    body="When is it due?", files=[FileStorage(io.BytesIO(png), "card.png")])
        conversations.note(asked, ops, "Their bank called.")
        noted = conversations.reply(asked, ops, "In 90 days.", [FileStorage(io.BytesIO(png), "schedule.png")])
        internal = conversations.note(asked, ops, "See the scan.")
        internal.attachments.append(desk_attachments.read([FileStorage(io.BytesIO(png), "internal.png")])[0])
        db.session.flush()
        medical = conversations.start(tourist, topic=Topic.MEDICAL, subject="Pills", body="May I take my pills?",
                                      files=[FileStorage(io.BytesIO(png), "ecg.png")])
        travel = conversations.start(tourist, topic=Topic.TRAVEL, subject="Hotel", body="Which hotel is it?")
        training = conversations.start(tourist, topic=Topic.TRAINING, subject="Centrifuge", body="Can I move it?")
        unmatched = conversations.file_sms(f"+1415555{self._next():04d}", "Who is this?", f"SM{uuid.uuid4().hex}")
        answer = saved_answers.save(None, ops, title=f"Hours {self._next()}", topic=None, active=True,
                                    bodies={"en": "We answer from 9 to 5."})
        return {"conversation": asked.id, "attachment": asked.messages[0].attachments[0].id,
                "reply_attachment": noted.attachments[0].id, "note_attachment": internal.attachments[0].id,
                "medical_conversation": medical.id, "medical_attachment": medical.messages[0].attachments[0].id,
                "travel_conversation": travel.id, "training_conversation": training.id, "unmatched": unmatched.id,
                "answer": answer.id}

    def questionnaire(self) -> Questionnaire:
        """A published health questionnaire of two questions: ``heart`` (yes or no, required) and
        ``medicines`` (free text, optional). Written as rows, not through the editor, so that no
        editor or access-log rows come with it."""
        q = Questionnaire(version=1, title="Health questionnaire", published_at=now_utc())
        q.questions.append(Question(position=1, key="heart", text="Have you had a heart condition?",
                                    kind=QuestionKind.YES_NO, required=True))
        q.questions.append(Question(position=2, key="medicines", text="Which medicines do you take?",
                                    kind=QuestionKind.TEXT, required=False))
        db.session.add(q)
        db.session.flush()
        return q

    def medical_case(self, tourist: User, questionnaire: Questionnaire, answers: dict | None = None, *,
                     submit: bool = True, medic: User | None = None, assessment: dict | None = None,
                     decision: CaseState | None = None, **decide) -> MedicalCase:
        """The tourist's case on ``questionnaire`` (the published one), as the tourist and the
        medical staff would make it: opened and answered (``answers``: what the form sends, by
        question key; by default "no" to ``heart``), then submitted unless ``submit=False``; then,
        by ``medic``, ``assessment`` (the assessment form's fields) recorded and ``decision`` taken
        (``decide``: its message, reason, restrictions or valid_days)."""
        case = questionnaires.open_case(tourist)
        by_key = {q.key: q for q in questionnaire.questions}
        for key, raw in (answers if answers is not None else {"heart": "no"}).items():
            questionnaires.save_answer(case, by_key[key], raw, tourist)
        if submit:
            questionnaires.submit(case, tourist)
        if assessment is not None:
            medical.record_assessment(case, medic, assessment)
        if decision is not None:
            medical.decide(case, medic, decision, **decide)
        return case

    def training(self, vehicle: str = "Spaceplane SV-2", *, instructor: User | None = None,
                 capacity: int = 8, days_ahead: int = 10, validity_days: int | None = None) -> SimpleNamespace:
        """A published plan for ``vehicle``: a classroom module on all four 460.51 topics (due by
        L-1) and a final exam needing it first (pass mark 80, by L-1), a session of each taught by
        ``instructor`` (the classroom in ``days_ahead`` days, the exam the day after), and an
        operations user who published it."""
        ops = self.user(Role.OPERATIONS)
        instructor = instructor or self.user(Role.INSTRUCTOR)
        n = self._next()
        classroom = training_modules.create_module(ModuleData(
            kind=ModuleKind.CLASSROOM, duration_minutes=120, topics=set(SafetyTopic), validity_days=validity_days,
            texts={"en": {"name": f"Emergencies {n}", "description": "Smoke, fire, pressure, exits."},
                   "de": {"name": f"Notfälle {n}", "description": ""}},
        ))
        exam = training_modules.create_module(ModuleData(
            kind=ModuleKind.EXAM, duration_minutes=60, pass_mark=80, prerequisite_ids=[classroom.id],
            texts={"en": {"name": f"Final exam {n}", "description": "Forty questions."}},
        ))
        plan = TrainingPlan(vehicle=vehicle)
        db.session.add(plan)
        db.session.flush()
        training_plans.add_module(plan, classroom, 1)
        training_plans.add_module(plan, exam, 1)
        training_plans.publish_plan(plan, ops)
        start = (now_utc() + timedelta(days=days_ahead)).replace(minute=0, second=0, microsecond=0)
        made = {}
        for key, module, at in (("classroom_session", classroom, start), ("exam_session", exam, start + timedelta(days=1))):
            made[key] = training_sessions.create_sessions(training_sessions.SessionData(
                module_id=module.id, starts_at=at, timezone="America/Denver", place="Training centre, room 1",
                capacity=capacity, instructor_ids=[instructor.id],
            ))[0]
        return SimpleNamespace(ops=ops, instructor=instructor, classroom=classroom, exam=exam, plan=plan, **made)


@pytest.fixture
def make(db_session) -> Factory:
    return Factory()


@pytest.fixture
def make_committed(committed_db) -> Factory:
    return Factory()


# -- web helpers ----------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page: str = "/flights") -> str:
    html = client.get(page).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {page}: {html[:2000]}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, *, page: str = "/flights", **kw):
    """POST like a browser would: with the CSRF token of a page the user has open."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page)
    return client.post(url, data=data, **kw)


def login(client, user_or_email, password: str = PASSWORD):
    email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
    response = post_form(client, "/login", {"email": email, "password": password}, page="/login")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def outbox(**where) -> list[OutboundMessage]:
    """The outbound messages (reminders and notices) whose columns equal ``where``, oldest first."""
    query = sa.select(OutboundMessage).order_by(OutboundMessage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboundMessage, key) == value)
    return list(db.session.scalars(query))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc(*args) -> datetime:
    from app.timeutil import UTC

    return datetime(*args, tzinfo=UTC)
