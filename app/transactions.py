"""One commit per request or task, and work that must wait for it.

Services change the session and never commit; the route (or task) that called them commits once at
the end through :func:`commit`. Celery tasks asked for during the request are sent only after that
commit succeeds, so a task never looks for a row that does not exist yet.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

log = logging.getLogger(__name__)
_PENDING = "countdown_after_commit"


def after_commit(task_name: str, *args: Any) -> None:
    """Send the Celery task ``task_name`` with ``args`` once the current transaction commits."""
    db.session.info.setdefault(_PENDING, []).append((task_name, args))


def commit() -> None:
    db.session.commit()
    pending = db.session.info.pop(_PENDING, [])
    celery = current_app.extensions["celery"]
    for name, args in pending:
        try:
            celery.tasks[name].apply_async(args=args)
        except Exception:  # the broker is down: the periodic sweep picks the work up later
            if current_app.config["CELERY"].get("task_always_eager"):
                raise
            log.warning("could not send task %s; it will be retried by the periodic sweep", name)


def rollback() -> None:
    db.session.rollback()
    db.session.info.pop(_PENDING, None)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for a web app with a worker beside it.

    pysqlite's own transaction handling starts transactions late and never for SELECTs, so two
    requests could both count the last free seat. We start every transaction ourselves with
    ``BEGIN IMMEDIATE``, which takes SQLite's single write lock up front: transactions serialise,
    and a seat is never sold twice. WAL lets readers outside a transaction carry on meanwhile.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
