"""Helpers for the integration tests: a second app over the same database, waiting, quick users.

Integration tests run things the ordinary rolled-back transaction cannot see: other threads,
other connections, a real Celery worker, a fresh database. They commit for real.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, TypeVar

from flask import Flask
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from app import create_app
from app.errors import ServiceError
from app.extensions import db
from app.models import Role, User
from app.transactions import commit, rollback
from tests.conftest import PASSWORD, IsolatedClient, empty_tables, make_env

T = TypeVar("T")

_PASSWORD_HASH: list[str] = []


@contextmanager
def separate_app(
    database_url: str, instance: Path, *, config: dict | None = None, empty: bool = True,
    **env: str,
) -> Iterator[Flask]:
    """A second app over ``database_url``; its tables are emptied and its engine closed at the end.
    """
    from celery import current_app as current_celery

    previous_celery = current_celery._get_current_object()
    app = create_app(config=config, env=make_env(database_url, instance, **env))
    app.test_client_class = IsolatedClient
    try:
        yield app
    finally:
        with app.app_context():
            try:
                db.session.remove()
                if empty:
                    empty_tables()
            finally:
                db.engine.dispose()
        # create_app() (and a test worker) make their Celery app the process default.
        previous_celery.set_current()
        previous_celery.set_default()


def wait_for(
    check: Callable[[], T], *, timeout: float = 10.0, what: str = "the expected state"
) -> T:
    """Poll ``check``, each time in a fresh session, until it returns something truthy.

    The session is closed between polls: on SQLite every transaction holds the write lock
    (``BEGIN IMMEDIATE``), so a test sleeping inside one would starve the worker it waits for.
    The session of the successful poll is left open for the caller to read the result.
    """
    deadline = time.monotonic() + timeout
    while True:
        db.session.remove()
        result = check()
        if result:
            return result
        db.session.remove()
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def add_tourists(n: int, prefix: str = "racer") -> list[User]:
    """``n`` tourist accounts, flushed; they share one password hash, to skip n scrypt runs."""
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(generate_password_hash(PASSWORD, method="scrypt"))
    users = [
        User(email=f"{prefix}{i}@example.com", name=f"Racer {i}", password_hash=_PASSWORD_HASH[0],
             date_of_birth=date(1980, 1, 1), role=Role.TOURIST)
        for i in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


class CountingProvider:
    """Wraps a message provider and records the id of each message handed to it."""

    #: Like SMTP and Twilio: the send leaves the database, so delivery commits "sending" first.
    external = True

    def __init__(self, inner, delay: float = 0.0) -> None:
        self.inner, self.name, self.delay, self.sent = inner, inner.name, delay, []
        self._lock = threading.Lock()

    def find_sent(self, message):
        return None

    def send(self, message):
        with self._lock:
            self.sent.append(message.id)
        time.sleep(self.delay)  # a slow provider widens any window for a second send
        return self.inner.send(message)


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` over real HTTP on a free port, one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def open_connections(app: Flask, n: int) -> None:
    """Open ``n`` pooled connections up front, so a race is not a race to connect."""
    with app.app_context():
        connections = [db.engine.connect() for _ in range(n)]
        for connection in connections:
            connection.close()


def race(app: Flask, keys: list[Hashable], act: Callable[[Any], tuple[str, Any]],
         lost: type[Exception], lost_as: str) -> dict[Hashable, tuple[str, Any]]:
    """Run ``act(key)`` for every key at the same moment: each in its own thread, app context,
    session and connection, all released together by a barrier, each committing its own
    transaction. Returns each key's outcome: what ``act`` returned; ``(lost_as, None)`` when it
    raised ``lost`` (sold out, full); ``("refused", message)`` for another rule's refusal; and
    ``("error", repr)`` for anything else, which the caller's assertion then reports."""
    open_connections(app, len(keys))
    barrier = threading.Barrier(len(keys), timeout=30)

    def one(key: Hashable) -> tuple[str, Any]:
        with app.app_context():
            try:
                barrier.wait()
                outcome = act(key)
                commit()
                return outcome
            except lost:
                rollback()
                return lost_as, None
            except ServiceError as exc:
                rollback()
                return "refused", exc.message
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
                rollback()
                return "error", repr(exc)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return dict(zip(keys, pool.map(one, keys)))
