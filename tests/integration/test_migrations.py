"""The migrations build exactly the models' schema, undo cleanly, and guard consent evidence.

Runs on the suite's database kind: a fresh SQLite file, or a fresh PostgreSQL database made with
CREATE DATABASE through the admin URL.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.booking import bookings
from app.config import BASE_DIR
from app.consent import consent
from app.extensions import db
from app.models import ConsentSignature
from tests.conftest import make_env
from tests.integration.support import separate_app

GUARDS = {
    "consent_signatures_no_update", "consent_signatures_no_delete", "consent_documents_no_update",
}
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
def signature(make) -> ConsentSignature:
    document = make.consent_document()
    tourist = make.user()
    booking = bookings.hold_seat(make.flight().id, tourist)
    signed = consent.sign(
        booking, tourist, document_id=document.id, signed_name=tourist.name,
        ip_address="192.0.2.10", user_agent="pytest",
    )
    db.session.flush()
    return signed


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE consent_signatures SET signed_name = 'Someone Else' WHERE id = :id",
                 id="update-signature"),
    pytest.param("UPDATE consent_signatures SET signed_at = signed_at WHERE id = :id",
                 id="update-signature-to-same-value"),
    pytest.param("DELETE FROM consent_signatures WHERE id = :id", id="delete-signature"),
    pytest.param("UPDATE consent_documents SET body = 'softer wording' "
                 "WHERE id = (SELECT document_id FROM consent_signatures WHERE id = :id)",
                 id="update-signed-document"),
])
def test_the_database_refuses_to_change_consent_evidence(db_session, signature, statement):
    """Raw SQL, past the ORM's own guard: the triggers made by the migration refuse it."""
    with pytest.raises(sa.exc.DBAPIError, match=IMMUTABLE):
        with db_session.begin_nested():
            db_session.execute(text(statement), {"id": signature.id})
    row = db_session.execute(
        text("SELECT s.signed_name, d.body FROM consent_signatures s "
             "JOIN consent_documents d ON d.id = s.document_id WHERE s.id = :id"),
        {"id": signature.id},
    ).one()
    assert row.signed_name == signature.signed_name
    assert row.body == signature.document.body
