"""On PostgreSQL the pool does not ping the server on every checkout: a connection that the server
closed while it sat in the pool is seen on its socket and replaced, and the request goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Role
from tests.conftest import Factory, login
from tests.integration.support import separate_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection_app(app, database_url, tmp_path):
    """The app's own engine options (no pre-ping) with a pool of one connection."""
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_size": 1, "max_overflow": 0, "pool_timeout": 10}
    assert not options["pool_pre_ping"]
    with separate_app(database_url, tmp_path, config={"SQLALCHEMY_ENGINE_OPTIONS": options}) as second:
        yield second


def _backend_pid(app) -> int:
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
        return pid


def _terminate(app, pid: int) -> None:
    with app.app_context():  # the suite's own app: another connection
        assert db.session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        db.session.remove()


def test_a_connection_the_server_closed_is_replaced(app, one_connection_app):
    second = one_connection_app
    with second.app_context():
        email = Factory().user(Role.TOURIST, name="Ada Dropped").email
        db.session.commit()
    client = second.test_client()
    login(client, email)
    assert client.get("/account").status_code == 200
    first = _backend_pid(second)
    assert _backend_pid(second) == first  # the pool keeps its one connection
    _terminate(app, first)
    page = client.get("/account")  # no error: the pool saw the closed socket and connected again
    assert page.status_code == 200 and "Ada Dropped" in page.get_data(as_text=True)
    assert _backend_pid(second) != first


def test_a_healthy_connection_is_kept_without_a_round_trip(one_connection_app, monkeypatch):
    second = one_connection_app
    first = _backend_pid(second)
    with second.app_context():
        cursor_class = type(db.session.connection().connection.dbapi_connection.cursor())
        db.session.remove()
    sent = []
    execute = cursor_class.execute

    def watched(cursor, query, *args, **kwargs):
        sent.append(str(query).strip())
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(cursor_class, "execute", watched)
    with second.app_context():
        assert db.session.scalar(text("SELECT 41 + 1")) == 42
        db.session.remove()
    monkeypatch.undo()
    assert _backend_pid(second) == first
    assert sent[0] == "SELECT 41 + 1"  # no ping before it
