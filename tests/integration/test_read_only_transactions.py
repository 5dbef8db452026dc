"""On PostgreSQL a transaction that only read ends with COMMIT, so that the connection keeps the
statements psycopg prepared (it deallocates them all on ROLLBACK, and nearly every request ended
with one); a transaction that wrote anything is still rolled back unless the code committed it.

Each test runs a second app over the suite's database with a pool of one connection, so every
request and check below goes through the same server session."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Flight, Role, User
from tests.conftest import Factory, login
from tests.integration.support import separate_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection_app(app, database_url, tmp_path):
    """(The suite's ``app`` has migrated the database.)"""
    pool = {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 10}
    with separate_app(database_url, tmp_path, config={"SQLALCHEMY_ENGINE_OPTIONS": pool}) as second:
        yield second


def _prepared_on_server(app) -> int:
    """How many statements the pool's one connection holds prepared on the server."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            count = cursor.fetchone()[0]
            raw.commit()  # (a rollback, as the pool's on return, would deallocate them)
            return count
        finally:
            raw.close()


def test_pages_that_only_read_keep_their_prepared_statements(one_connection_app):
    app = one_connection_app
    with app.app_context():
        email = Factory().user(Role.TOURIST, name="Ada Reader").email
        Factory().flight(name="Prepared Dawn")
        db.session.commit()
    client = app.test_client()
    login(client, email)
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        page = client.get("/flights")
        assert page.status_code == 200 and "Prepared Dawn" in page.get_data(as_text=True)
    kept = _prepared_on_server(app)
    assert kept >= 2  # the session's user, the flights: still there after eight requests
    page = client.get("/account")
    assert page.status_code == 200 and "Ada Reader" in page.get_data(as_text=True)
    assert _prepared_on_server(app) >= kept


def test_a_transaction_that_wrote_is_still_rolled_back(one_connection_app):
    app = one_connection_app
    with app.app_context():
        db.session.execute(select(func.count(Flight.id))).scalar()  # reads first, then writes
        user = Factory().user(Role.TOURIST, email="never-kept@example.com")
        assert user.id is not None  # flushed: the INSERT reached the server
        db.session.remove()  # no commit: closing the session rolls the transaction back
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "never-kept@example.com")) is None
        # A write in plain SQL (not through the ORM) counts too.
        db.session.execute(text("UPDATE flights SET name = 'changed' WHERE false"))
        db.session.execute(text("CREATE TEMPORARY TABLE scratch (n int)"))
        db.session.remove()
    with app.app_context():
        assert db.session.scalar(text("SELECT to_regclass('pg_temp.scratch')")) is None
        # A write the statements' check cannot see (a raw cursor, after SELECTs): the server's
        # transaction id tells it, and it is rolled back too.
        db.session.execute(select(func.count(User.id))).scalar()
        raw = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute("INSERT INTO throttle_hits (key, at) VALUES ('raw-write', now())")
        db.session.remove()
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM throttle_hits WHERE key = 'raw-write'")) == 0


def test_a_failed_transaction_is_rolled_back_and_the_connection_goes_on(one_connection_app):
    app = one_connection_app
    with app.app_context():
        with pytest.raises(Exception):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.remove()  # the transaction failed: only a rollback ends it
    with app.app_context():
        assert db.session.scalar(text("SELECT 41 + 1")) == 42
        assert db.session.connection().connection.dbapi_connection.info.transaction_status.name == "INTRANS"
        db.session.remove()
