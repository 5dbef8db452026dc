"""What the benches (``scripts/bench.py``, ``scripts/bench_reminders.py``) share: their common
options, the production settings they run the app with, the bench database, Redis, Celery worker
processes, CPU accounting from ``/proc`` and Ctrl-C handling.

Light to import (the database and Redis clients are imported where they are used), so that tests
may use it too.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


# -- settings -------------------------------------------------------------------------------------

def bench_parser(prog: str, doc: str, database_env: str, default_database_url: str) -> argparse.ArgumentParser:
    """The parser of a bench, described by the first paragraph of ``doc``, with ``--database-url``."""
    p = argparse.ArgumentParser(
        prog=prog, description=doc.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--database-url", default=os.environ.get(database_env, default_database_url),
                   help=f"database to DROP and re-create (env {database_env})")
    return p


def add_seed_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 20260101)),
                   help="random seed of the generated data (env BENCH_SEED)")


def production_env(database_url: str, tmp: Path, broker_url: str, **extra: str) -> dict[str, str]:
    """Production settings with the outbox and sandbox providers, a fresh secret key and medical
    encryption key, the instance folder in ``tmp`` and ``broker_url`` as the Celery broker."""
    return {
        "COUNTDOWN_ENV": "production",
        "COUNTDOWN_INSTANCE": str(tmp / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "MEDICAL_ENCRYPTION_KEYS": Fernet.generate_key().decode("ascii"),
        "ALLOW_SANDBOX_PROVIDERS": "1",
        "PAYMENTS_PROVIDER": "sandbox",
        "SMS_PROVIDER": "outbox",
        "EMAIL_PROVIDER": "outbox",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CELERY_BROKER_URL": broker_url,
        **extra,
    }


# -- PostgreSQL -----------------------------------------------------------------------------------

def pg_connect(url: str, dbname: str | None = None):
    """An autocommit psycopg connection to the database of ``url`` (or to ``dbname`` on its server)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    params = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username or "postgres",
              "dbname": dbname or u.database, "autocommit": True}
    if u.password:
        params["password"] = u.password
    return psycopg.connect(**params)


def reset_database(url: str) -> None:
    """DROP (forcing other sessions off) and CREATE the database named in ``url``."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"bench: refusing to reset database {name!r} (letters, digits and _ only)")
    if name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"bench: refusing to reset the system database {name!r}")
    with pg_connect(url, dbname="postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def bulk_insert(app, tables, chunk: int | None = None) -> None:
    """Insert each ``(table, rows)`` of ``tables`` through Core ``insert()`` in one transaction, in
    executes of ``chunk`` rows (all of a table's at once by default), move each table's id sequence
    past its rows, then VACUUM ANALYZE. In an app context: encrypted columns need the app's key."""
    from sqlalchemy import insert, text

    from app.extensions import db

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            for table, rows in tables:
                for start in range(0, len(rows), chunk or max(len(rows), 1)):
                    conn.execute(insert(table), rows[start:start + (chunk or len(rows))])
                if "id" not in table.c:  # an association table: no sequence
                    continue
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                ))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()


def migrate(env: dict[str, str]):
    """Run the real Alembic migrations; return the app (for seeding and query counting)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(env=env)
    with app.app_context():
        upgrade()
    return app


# -- Redis ----------------------------------------------------------------------------------------

def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at the host and port of ``url`` within half a second."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# -- processes ------------------------------------------------------------------------------------

def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if its parent dies without stopping it (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort only
        pass


class CeleryWorker:
    """A prefork ``celery worker`` process (``python <entry> worker-options``) in a process group of
    its own, its output in ``log_dir/<name>.log``."""

    def __init__(self, name: str, entry: list[str], concurrency: int, env: dict[str, str], log_dir: Path,
                 *options: str) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, *entry, "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO",
             f"--hostname={name}@%h", *options, "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def failure(self, what: str) -> Exception:
        """What ``wait_ready`` raises when the worker ``what`` (exited, or is not ready in time)."""
        return RuntimeError(f"{self.name} {what}; see {self.log_path}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.proc.poll() is not None:
                raise self.failure(f"exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise self.failure(f"not ready after {timeout:.0f}s")
            time.sleep(0.1)


# -- CPU time, from /proc -------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores together, from /proc/stat; (0, 0) elsewhere."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def process_jiffies(pid: int | str) -> int:
    """utime + stime of one process (all its threads); 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


# -- Ctrl-C ---------------------------------------------------------------------------------------

def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def interrupt_on_signals() -> None:
    """Ctrl-C and kill both raise KeyboardInterrupt, so that a bench's ``finally`` cleans up. SIGINT
    is set explicitly because a shell starts background jobs with it ignored."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
