"""One commit per request or task, and work that must wait for it.

Services change the session and never commit; the route (or task) that called them commits once at
the end through :func:`commit`. Celery tasks asked for during the request are sent only after that
commit succeeds, so a task never looks for a row that does not exist yet.
"""

from __future__ import annotations

import logging
import select
import sqlite3
from typing import Any

import psycopg
import psycopg.errors
from flask import current_app
from psycopg.pq import TransactionStatus
from sqlalchemy import event, exc
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


_WROTE = "countdown_wrote"
_COMMIT_IF_READ_ONLY = "SELECT 1 / (pg_current_xact_id_if_assigned() IS NULL)::int; COMMIT"


def keep_prepared_statements(engine: Engine) -> None:
    """On PostgreSQL, end a transaction that only read with COMMIT rather than ROLLBACK.

    psycopg prepares a statement on the server once it has run it a few times, so PostgreSQL
    parses and plans it only once per connection; but it deallocates every prepared statement on
    ROLLBACK (an object the transaction dropped may come back, its old plans wrong). And almost
    every request ends with a rollback: a page that only reads never commits, and closing the
    session rolls its transaction back. So every statement of every page was parsed and planned
    again on every request: half of PostgreSQL's time on some pages.

    For a transaction that wrote nothing, COMMIT and ROLLBACK are the same thing. Whether it wrote
    is told twice: by its statements, every one a SELECT (anything else, a data-modifying WITH or
    a SET LOCAL included, counts as a write, and the transaction is rolled back as before); and
    then by the server, which gives a transaction an id as soon as it changes anything, by any
    path. Both the server's check and the COMMIT go in one round trip, one query of two
    statements: the check divides by zero when the transaction has an id, and PostgreSQL runs
    nothing after a statement that failed, so the COMMIT only ever ends a transaction that changed
    nothing (a failed one waits for SQLAlchemy's ROLLBACK, as a transaction that wrote did before).
    The commit goes to the driver's connection only, before SQLAlchemy's rollback (which
    then finds nothing to roll back): no flush, no session event, no after-commit task, exactly as
    a rollback. (A SELECT that changes a session setting for good, ``set_config(..., false)``, or
    sends ``pg_notify`` would be kept by a COMMIT: the app uses neither.)
    """
    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
        if not conn.info.get(_WROTE) and statement.lstrip()[:6].upper() != "SELECT":
            conn.info[_WROTE] = True

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn) -> None:
        if conn.info.get(_WROTE, True) or conn.closed or conn.invalidated:
            return
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None or dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
            return  # idle (nothing to end) or failed (only a rollback ends it)
        try:
            # And the server agrees: a transaction that changed anything, by any path (a raw
            # cursor, a function that writes), has been given a transaction id, and then the
            # division fails and the COMMIT after it never runs. (Without parameters psycopg sends
            # the simple query protocol, which takes several statements and stops at a failure;
            # the divisor is not a constant, so the planner cannot fold the division beforehand.)
            with dbapi_connection.cursor() as cursor:
                cursor.execute(_COMMIT_IF_READ_ONLY)
        except psycopg.errors.DivisionByZero:  # it wrote: the rollback that follows ends it
            pass
        except psycopg.Error:  # a broken connection: the rollback that follows fails and discards it
            log.debug("could not end a read-only transaction with COMMIT", exc_info=True)


def drop_closed_connections(engine: Engine) -> None:
    """On PostgreSQL, a pooled connection the server has closed is replaced before a request uses it.

    SQLAlchemy's ``pool_pre_ping`` asks the server with a ``SELECT 1`` on every checkout: a round
    trip on every request. But a server that ends a connection while it sits idle in the pool (a
    restart, ``pg_terminate_backend``, ``idle_session_timeout``) says so on its socket, with an
    error message or the end of the stream, so the socket has something to read; a healthy idle
    connection's has nothing. So the checkout looks at the socket without waiting, and only when
    there is something to read does it ping the server as ``pool_pre_ping`` would (a message the
    driver has not read yet, such as a TLS ticket, is read by the ping and the connection goes on).
    A failed ping discards the connection and the pool takes another, as ``pool_pre_ping`` does.
    A connection lost without a word (a cable pulled) is not seen by either until it times out.
    """
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy) -> None:
        try:
            poller = select.poll()
            poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
            if not poller.poll(0):
                return
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.commit()  # (a rollback would deallocate the prepared statements)
        except psycopg.Error as error:
            raise exc.DisconnectionError(f"the server closed this connection: {error}") from error
