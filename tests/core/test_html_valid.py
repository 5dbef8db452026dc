"""Every main page of every role is valid HTML, as the Nu HTML checker (vnu.jar) reads it.

The pages are rendered by the test client with real demo data, saved to a folder and checked in
one run of the checker (``vnu-jar`` from package.json; Java from the machine). htmx's attributes
are written ``data-hx-*`` so that they are valid; ``<time datetime>`` carries no microseconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts import accounts
from app.documents import consent
from app.extensions import db
from app.medical import questionnaires as qs
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    Flight,
    OutboundMessage,
    Payment,
    PaymentStatus,
    QuestionKind,
    Questionnaire,
    Role,
    TrainingPlan,
    TrainingSession,
)
from app.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import login
from tests.services import in_ci

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def checker() -> list[str]:
    """The command that runs the checker, or a skip (a failure under CI=true) saying what is missing."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("Java (`apt-get install -y default-jre-headless`)")
    if not VNU.exists():
        missing.append(f"the Nu HTML checker at {VNU.relative_to(ROOT)} (`npm ci` installs vnu-jar)")
    if missing:
        message = "cannot check HTML: " + " and ".join(missing) + " is missing"
        if in_ci():
            pytest.fail(message + "; under CI=true this is a failure", pytrace=False)
        pytest.skip(message)
    return [java, "-Xss4m", "-jar", str(VNU), "--errors-only", "--format", "json"]


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors, each with the page it is on."""
    files = {}
    for n, (name, html) in enumerate(pages.items()):
        path = folder / f"{n:02d}-{name.strip('/').replace('/', '_') or 'root'}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    run = subprocess.run(checker() + [str(p) for p in sorted(folder.glob("*.html"))],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    errors = []
    for m in report["messages"]:
        if m.get("type") in ("error", "non-document-error"):
            url = m.get("url", "")
            page = files.get(url.rsplit("/", 1)[-1], url)
            errors.append(f"{page} line {m.get('lastLine')}: {m.get('message')} [{m.get('extract', '').strip()[:120]}]")
    return errors


@pytest.fixture
def pages(app, make):
    """The main pages of each role, rendered on the demo data plus a held seat, a submitted
    health questionnaire (with a date answered) and a failed message."""
    seed_demo()
    users = {r: accounts.find_by_email(e) for e, r in [
        ("tourist@example.com", Role.TOURIST), ("medic@example.com", Role.MEDICAL),
        ("ops@example.com", Role.OPERATIONS), ("instructor@example.com", Role.INSTRUCTOR)]}
    tourist = users[Role.TOURIST]
    held = make.booking(tourist, confirmed=False, days=100)
    case = qs.open_case(tourist)
    for question in case.questionnaire.questions:
        if question.kind is QuestionKind.YES_NO and question.required:
            qs.save_answer(case, question, "no", tourist)
        elif question.kind is QuestionKind.DATE and not question.show_if_key:
            qs.save_answer(case, question, "2026-06-01", tourist)
    db.session.add(OutboundMessage(user_id=tourist.id, channel="email", kind="payment_receipt",
                                   recipient=tourist.email, subject="Receipt", body="Thanks",
                                   status="failed", error="SMTP refused"))
    db.session.commit()

    confirmed = db.session.scalar(select(Booking).where(
        Booking.user_id == tourist.id, Booking.state == BookingState.CONFIRMED))
    paid = db.session.scalar(select(Payment).where(
        Payment.booking_id == confirmed.id, Payment.status == PaymentStatus.SUCCEEDED))
    unpaid = db.session.scalar(select(Payment).where(
        Payment.booking_id == confirmed.id, Payment.status != PaymentStatus.SUCCEEDED))
    flight = db.session.get(Flight, confirmed.flight_id)
    document = consent.current_document()
    acceptance = db.session.scalar(select(Acceptance).order_by(Acceptance.id.desc()))
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.published_at.is_not(None)))
    message = db.session.scalar(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
    session = db.session.scalar(select(TrainingSession).order_by(TrainingSession.id).limit(1))
    today = db.session.scalar(select(TrainingSession).order_by(TrainingSession.id.desc()).limit(1))
    urls = {
        None: ["/flights", f"/flights/{flight.id}", "/login", "/signup"],
        Role.TOURIST: [
            "/journey", f"/bookings/{confirmed.reference}", "/documents",
            f"/bookings/{held.reference}/documents/{document.document_id}",
            f"/payments/{paid.id}/receipt", "/notifications", "/account", "/account/notifications",
            "/medical/questionnaire", "/medical", "/training", "/conversations", "/conversations/new",
        ] + ([f"/payments/{unpaid.id}/checkout"] if unpaid else []),
        Role.MEDICAL: [
            "/medical/queue", f"/medical/cases/{case.id}", "/medical/tourists", "/medical/vehicles",
            "/medical/questionnaires", f"/medical/questionnaires/{questionnaire.id}",
            f"/medical/questionnaires/{questionnaire.id}/translations/de",
        ],
        Role.OPERATIONS: [
            "/ops/flights", f"/ops/flights/{flight.id}", f"/ops/bookings/{confirmed.reference}",
            "/ops/documents", f"/ops/documents/{document.document_id}", f"/ops/documents/versions/{document.id}",
            f"/ops/flights/{flight.id}/documents", f"/ops/acceptances/{acceptance.id}", "/desk", "/desk/answers",
            "/desk/answers/new", "/desk/report", "/ops/users",
            "/outbox", f"/outbox/{message.id}", "/ops/training", "/ops/training/modules",
            f"/ops/training/modules/{session.module_id}", "/ops/training/modules/new", "/ops/training/plans",
            *(f"/ops/training/plans/{p.id}" for p in db.session.scalars(select(TrainingPlan))),
            "/ops/training/sessions", "/ops/training/sessions/new", f"/ops/training/sessions/{session.id}",
        ],
        Role.INSTRUCTOR: ["/instructor", f"/instructor/sessions/{today.id}", "/account"],
    }
    rendered = {}
    for role, paths in urls.items():
        client = app.test_client()
        if role is not None:
            login(client, users[role], DEMO_PASSWORD)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            rendered[f"{role.value if role else 'visitor'}{path}"] = response.get_data(as_text=True)
    return rendered


def test_every_main_page_is_valid_html(pages, tmp_path):
    assert len(pages) >= 18
    errors = validate(pages, tmp_path)
    assert not errors, f"{len(errors)} HTML error(s):\n" + "\n".join(errors)


def test_the_checker_finds_what_the_pages_used_to_have(tmp_path):
    """The check is real: htmx's bare hx-* attributes and microseconds in <time datetime> fail."""
    page = ('<!doctype html><html lang="en"><head><title>x</title></head><body>'
            '<a href="/x" hx-get="/x">x</a><time datetime="2027-01-14T12:00:00.123456+00:00">now</time>'
            '</body></html>')
    errors = validate({"old": page}, tmp_path)
    assert any("hx-get" in e for e in errors), errors
    assert any("datetime" in e for e in errors), errors
