"""The migrations build exactly the models' schema, undo cleanly, and guard consent evidence.

Runs on the suite's database kind: a fresh SQLite file, or a fresh PostgreSQL database made with
CREATE DATABASE through the admin URL.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.booking import bookings
from app.config import BASE_DIR
from app.documents import consent
from app.documents.documents import text_hash as documents_hash
from app.extensions import db
from app.models import Acceptance, Booking, BookingState, Role, User
from app.timeutil import now_utc
from tests.conftest import Factory, make_env
from tests.integration.support import separate_app

GUARDS = {f"{table}_no_{action}" for table in ("document_versions", "document_texts", "document_acceptances",
                                               "document_events") for action in ("update", "delete")}
IMMUTABLE = "never changed or deleted"




def schema_differences() -> list:
    """What ``flask db migrate`` would write now, with the app's own autogenerate options."""
    options = current_app.extensions["migrate"].configure_args
    assert options.get("compare_type") is True and options.get("render_item") is not None
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=dict(options))
        return compare_metadata(context, db.metadata)


def head_revision() -> str:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def guard_triggers() -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        else:
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return {name for (name,) in rows}


def test_upgrade_from_empty_matches_models_and_downgrades_cleanly(fresh_database_url, tmp_path):
    instance = tmp_path / "instance"
    # The real command, as `make migrate` runs it.
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app:create_app", "db", "upgrade"],
        env=make_env(fresh_database_url, instance), cwd=BASE_DIR,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    with separate_app(fresh_database_url, instance, empty=False) as app, app.app_context():
        model_tables = set(db.metadata.tables)
        assert table_names() == model_tables | {"alembic_version"}
        assert current_revision() == head_revision()
        assert schema_differences() == []
        assert guard_triggers() == GUARDS

        downgrade(revision="base")
        assert table_names() == {"alembic_version"}
        assert current_revision() is None
        assert guard_triggers() == set()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                assert conn.scalar(text(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'countdown_refuse_change'"
                )) == 0

        upgrade()
        assert table_names() == model_tables | {"alembic_version"}
        assert current_revision() == head_revision()
        assert schema_differences() == []
        assert guard_triggers() == GUARDS


def test_the_test_database_matches_the_models(app):
    with app.app_context():
        assert current_revision() == head_revision()
        assert schema_differences() == []


@pytest.fixture
def signature(make) -> Acceptance:
    document = make.consent_document()
    tourist = make.user()
    booking = bookings.hold_seat(make.flight().id, tourist)
    signed = consent.sign(
        booking, tourist, version_id=document.id, signed_name=tourist.name,
        ip_address="192.0.2.10", user_agent="pytest",
    )
    db.session.flush()
    return signed


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE document_acceptances SET signed_name = 'Someone Else' WHERE id = :id",
                 id="update-signature"),
    pytest.param("UPDATE document_acceptances SET accepted_at = accepted_at WHERE id = :id",
                 id="update-signature-to-same-value"),
    pytest.param("DELETE FROM document_acceptances WHERE id = :id", id="delete-signature"),
    pytest.param("UPDATE document_texts SET body = 'softer wording' "
                 "WHERE version_id = (SELECT version_id FROM document_acceptances WHERE id = :id)",
                 id="update-signed-text"),
    pytest.param("DELETE FROM document_events WHERE booking_id = "
                 "(SELECT booking_id FROM document_acceptances WHERE id = :id)", id="delete-event"),
])
def test_the_database_refuses_to_change_consent_evidence(db_session, signature, statement):
    """Raw SQL, past the ORM's own guard: the triggers made by the migration refuse it."""
    with pytest.raises(sa.exc.DBAPIError, match=IMMUTABLE):
        with db_session.begin_nested():
            db_session.execute(text(statement), {"id": signature.id})
    row = db_session.execute(
        text("SELECT a.signed_name, t.body FROM document_acceptances a "
             "JOIN document_texts t ON t.version_id = a.version_id WHERE a.id = :id"),
        {"id": signature.id},
    ).one()
    assert row.signed_name == signature.signed_name
    assert row.body == signature.document_version.text_in("en").body


SIGNATURE_COLUMNS = "id, booking_id, user_id, document_id, document_version, text_sha256, signed_name, signed_at, " \
                    "ip_address, user_agent"


def test_the_consent_moves_onto_documents_without_losing_a_signature(fresh_database_url, tmp_path):
    """Signatures made before the documents migration are all there after it, unchanged, and
    still good; and downgrading gives them back exactly."""
    with separate_app(fresh_database_url, tmp_path / "instance", empty=False) as app, app.app_context():
        upgrade(revision="0010t")
        make = Factory()
        tourist, ops = make.user(name="Ada Lovelace"), make.user(Role.OPERATIONS)
        # Rows as the schema of 0010t has them (later migrations add columns the models know).
        db.session.execute(text(
            "INSERT INTO flights (name, vehicle, spaceport, description, launch_at, window_closes_at, seat_count, "
            "price_minor, currency, deposit_minor, deposit_nonrefundable_minor, balance_due_days, status, "
            "created_at, updated_at) VALUES ('Dawn', 'SV-2', 'Spaceport America', '', :launch, :closes, 6, 100, "
            "'USD', 50, 10, 90, 'scheduled', :now, :now)"),
            {"launch": now_utc() + timedelta(days=300), "closes": now_utc() + timedelta(days=301), "now": now_utc()})
        flight_id = db.session.scalar(text("SELECT max(id) FROM flights"))
        booking = Booking(reference="CD-MIGRATE1", flight_id=flight_id, user_id=tourist.id,
                          state=BookingState.CONFIRMED)  # as rows: no reminder (no documents table yet)
        db.session.add(booking)
        db.session.flush()
        booking_id = booking.id
        ids = {"tourist": tourist.id, "ops": ops.id, "booking": booking_id}
        db.session.commit()
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO consent_documents (id, kind, version, title, body, body_sha256, resign_required, "
                "change_summary, published_at, published_by_id) VALUES "
                "(1, 'informed_consent', 1, 'Risks', 'Known hazards include death.', :h1, true, '', "
                "'2026-01-02 00:00:00+00', :ops), "
                "(2, 'informed_consent', 2, 'Risks', 'Known hazards include death and injury.', :h2, false, 'Wording', "
                "'2026-01-03 00:00:00+00', :ops)"),
                {"h1": documents_hash("Known hazards include death."),
                 "h2": documents_hash("Known hazards include death and injury."), **ids})
            conn.execute(text(
                f"INSERT INTO consent_signatures ({SIGNATURE_COLUMNS}) VALUES "
                "(7, :booking, :tourist, 1, 1, :h1, 'Ada Lovelace', '2026-02-01 10:00:00+00', '203.0.113.9', "
                "'Browser/1.0')"), {"h1": documents_hash("Known hazards include death."), **ids})
            conn.execute(text(
                "INSERT INTO consent_questions (id, user_id, booking_id, document_id, question, asked_at, answer, "
                "answered_by_id, answered_at) VALUES (3, :tourist, :booking, 1, 'Is it safe?', "
                "'2026-02-01 09:00:00+00', 'No vehicle is.', :ops, '2026-02-01 09:30:00+00')"), ids)
            before = conn.execute(text(f"SELECT {SIGNATURE_COLUMNS} FROM consent_signatures")).all()
            questions_before = conn.execute(text("SELECT * FROM consent_questions")).all()

        upgrade(revision="0011d")
        with db.engine.connect() as conn:
            after = conn.execute(text(
                "SELECT id, booking_id, user_id, version_id, version, text_sha256, signed_name, accepted_at, ip_address, "
                "user_agent, language FROM document_acceptances")).all()
            assert [tuple(row)[:10] for row in after] == [tuple(row) for row in before]
            assert after[0].language == "en"
            texts = conn.execute(text("SELECT version_id, language, body, sha256 FROM document_texts ORDER BY id")).all()
            assert [(t.version_id, t.language) for t in texts] == [(1, "en"), (2, "en")]
            assert all(documents_hash(t.body) == t.sha256 for t in texts)
            assert conn.scalar(text("SELECT count(*) FROM document_events WHERE kind = 'signed'")) == 1
        upgrade()  # the models know the later migrations' columns too
        booking = db.session.get(Booking, ids["booking"])
        status = consent.statuses([booking])[booking.id]
        # Version 2 was a correction: the signature of version 1 still holds.
        assert status.signed and status.signature.id == 7 and status.current.version == 2
        db.session.remove()
        # New rows get new ids after the copied ones.
        version = consent.publish_document(title="Risks", body="A third wording.", resign_required=True,
                                           change_summary="", actor=db.session.get(User, ids["ops"]))
        assert version.id == 3
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0010t")
        with db.engine.connect() as conn:
            assert conn.execute(text(f"SELECT {SIGNATURE_COLUMNS} FROM consent_signatures")).all() == before
            assert conn.execute(text("SELECT * FROM consent_questions")).all() == questions_before
        assert "documents" not in table_names()
        upgrade()


QUESTION_COLUMNS = "id, user_id, booking_id, document_id, version_id, question, asked_at, answer, answered_by_id, answered_at"


def test_questions_about_documents_become_conversations_keeping_every_question_and_answer(fresh_database_url, tmp_path):
    """The desk's migration turns each question about a document into a conversation on the
    documents topic: the question as the tourist's message, the answer as the operator's (then
    resolved), an open one waiting on us; texts encrypted like every message. A downgrade gives
    back exactly the questions there were."""
    from app.desk import escalation
    from app.models import Conversation, ConversationState, DocumentKind, MessageKind, Topic

    with separate_app(fresh_database_url, tmp_path / "instance", empty=False) as app, app.app_context():
        upgrade(revision="0021a")
        make = Factory()
        booking = make.booking()
        ops = make.user(Role.OPERATIONS)
        version = make.document(DocumentKind.WAIVER)
        ids = {"tourist": booking.user_id, "booking": booking.id, "document": version.document_id,
               "version": version.id, "ops": ops.id}
        db.session.commit()
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text(
                f"INSERT INTO document_questions ({QUESTION_COLUMNS}) VALUES "
                "(4, :tourist, :booking, :document, :version, 'Does it cover my family?', '2026-11-02 09:00:00', "
                "'Yes, your companions too.', :ops, '2026-11-02 10:00:00'), "
                "(9, :tourist, :booking, :document, :version, 'And my dog?', '2026-11-03 09:00:00', NULL, NULL, NULL)"),
                ids)
            before = conn.execute(text(f"SELECT {QUESTION_COLUMNS} FROM document_questions ORDER BY id")).all()

        upgrade()
        assert "document_questions" not in table_names()
        answered, open_one = db.session.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert (answered.id, open_one.id) == (4, 9)
        assert all(c.topic is Topic.DOCUMENTS and c.document_id == ids["document"] and c.user_id == ids["tourist"]
                   and c.booking_id == ids["booking"] for c in (answered, open_one))
        assert [(m.kind, m.body) for m in answered.messages] == [
            (MessageKind.TOURIST, "Does it cover my family?"), (MessageKind.STAFF, "Yes, your companions too.")]
        assert answered.state is ConversationState.RESOLVED and answered.messages[1].author_id == ids["ops"]
        assert [(m.kind, m.body) for m in open_one.messages] == [(MessageKind.TOURIST, "And my dog?")]
        assert open_one.state is ConversationState.NEW and open_one.due_at is None
        # Encrypted at rest, like every message.
        assert "dog" not in db.session.scalar(text("SELECT body FROM desk_messages WHERE conversation_id = 9"))
        # The sweep sets the due time the migration could not know; the old question shows as late,
        # but is not escalated now (everyone emailed at once for questions of months ago).
        assert escalation.sweep() == 0
        assert db.session.get(Conversation, 9).due_at is not None
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0021a")
        with db.engine.connect() as conn:
            assert conn.execute(text(f"SELECT {QUESTION_COLUMNS} FROM document_questions ORDER BY id")).all() == before
        assert "desk_conversations" not in table_names()
        upgrade()
