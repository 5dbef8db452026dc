"""Where each bench page spends its time, in process: CPU per request, SQL statements, a profile.

The bench (``scripts/bench.py``) measures pages under gunicorn, which says how fast but not why.
This script seeds the same data in a database of its own (``countdown_bench_profile``; dropped and
re-created with ``--seed-db``, kept otherwise so that runs before and after a change compare on
the same rows), then loads each page of the bench through the app's test client, as the same
users, and prints per page the CPU time of this process per request (no gunicorn, no network; the
database's own CPU is not in it) and the SQL statements of one request. With ``--profile PAGE`` it
prints a pyinstrument profile of that page; with ``--snapshot DIR`` it writes each page's HTML
(CSRF tokens and the countdown clock's text blanked) so that a change can be shown not to alter what a page shows.

    python -m scripts.bench_profile --seed-db             # once: reset, migrate and seed (about 10 s)
    python -m scripts.bench_profile                       # every page, 30 requests each
    python -m scripts.bench_profile --pages /instructor --profile /instructor
    python -m scripts.bench_profile --snapshot /tmp/before   # then change, run with /tmp/after, diff -r

The secret key and the medical encryption key are fixed here (this database holds made-up data
only), so that a later run decrypts what ``--seed-db`` encrypted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from scripts import bench
from scripts.bench_support import migrate, production_env, reset_database

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/countdown_bench_profile"
#: Fixed (made-up data only): a run after ``--seed-db`` must decrypt what the seeding encrypted.
SECRET_KEY = "countdown-bench-profile-" + "k" * 40
ENCRYPTION_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"countdown-bench-profile").digest()).decode("ascii")
#: CSRF tokens (in forms, the meta tag and htmx's headers) differ per session and second: blanked.
_CSRF_VALUE = re.compile(r'(name="[\w-]*csrf_token"[^>]*value="|name="csrf-token" content="|"X-CSRFToken": ")[^"]*')
#: The countdown clock's text is the time left at the second the page was made.
_CLOCK = re.compile(r'(class="countdown-clock">)[^<]*')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_profile", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("BENCH_PROFILE_DATABASE_URL", DEFAULT_DATABASE_URL),
                   help="database of the profile (env BENCH_PROFILE_DATABASE_URL)")
    p.add_argument("--seed-db", action="store_true", help="drop, re-create, migrate and seed the database first")
    p.add_argument("--pages", nargs="*", default=None, help="pages to load (default: every page of the bench)")
    p.add_argument("--requests", type=int, default=30, help="measured requests per page")
    p.add_argument("--profile", default=None, help="print a pyinstrument profile of this page")
    p.add_argument("--sql", action="store_true", help="print the SQL statements of one request of each page")
    p.add_argument("--cprofile", action="store_true", help="with --profile: cProfile's functions by own time instead")
    p.add_argument("--all-frames", action="store_true", help="show the libraries' frames in the profile too")
    p.add_argument("--snapshot", type=Path, default=None, help="write each page's HTML into this folder")
    return p.parse_args(argv)


def environment(database_url: str, tmp: Path) -> dict[str, str]:
    env = production_env(database_url, tmp, "memory://", SESSION_COOKIE_SECURE="0", RATELIMIT_ENABLED="0")
    env.update(SECRET_KEY=SECRET_KEY, MEDICAL_ENCRYPTION_KEYS=ENCRYPTION_KEY)
    return env


def snapshot_name(path: str) -> str:
    return path.strip("/").replace("/", "_") or "root"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="countdown-profile-"))
    env = environment(args.database_url, tmp)
    if args.seed_db:
        reset_database(args.database_url)
        app = migrate(env)
        seeded = bench.seed(app, bench.parse_args([]))
        print(f"seeded in {seeded.seconds:.1f}s; journey tourist {seeded.journey_emails[0]}", file=sys.stderr)
    else:
        app = create_app(env=env)
    urls = bench.resolve(SECRET_KEY)
    pages = args.pages or [p for p in bench.PAGES if p != "/healthz"] + ["/healthz"]
    http = {"base_url": "http://localhost"}

    with app.app_context():
        engine = db.engine
        tourist = _journey_tourist()
    counted = {"n": 0, "log": None}

    def count(_conn, _cursor, statement, *_args) -> None:
        counted["n"] += 1
        if counted["log"] is not None:
            counted["log"].append(" ".join(statement.split())[:300])

    event.listen(engine, "before_cursor_execute", count)
    clients = {}

    def client_for(path: str):
        who = (tourist if path in bench.TOURIST_PAGES else bench.STAFF_PAGES.get(path))
        if who not in clients:
            c = app.test_client()
            if who is not None:
                body = c.get("/login", **http).get_data(as_text=True)
                token = bench._CSRF.search(body).group(1)
                r = c.post("/login", data={"email": who, "password": bench.BENCH_PASSWORD, "csrf_token": token},
                           **http)
                if r.status_code != 302:
                    raise RuntimeError(f"log-in of {who} failed with {r.status_code}")
            clients[who] = c
        return clients[who]

    if args.snapshot:
        args.snapshot.mkdir(parents=True, exist_ok=True)
    print(f"{'page':<44} {'CPU ms/req':>10} {'PG ms':>6} {'SQL':>4}")
    for path in pages:
        c = client_for(path)
        url = urls.get(path, path)
        for _ in range(3):
            response = c.get(url, **http)
        if response.status_code != 200:
            print(f"{path:<44} answered {response.status_code}")
            continue
        counted["n"], counted["log"] = 0, [] if args.sql else None
        response = c.get(url, **http)
        statements = counted["n"]
        for line in counted["log"] or ():
            print("   ", line)
        counted["log"] = None
        if args.snapshot:
            html = _CLOCK.sub(r"\1-", _CSRF_VALUE.sub(r"\1-", response.get_data(as_text=True)))
            (args.snapshot / f"{snapshot_name(path)}.html").write_text(html)
        backends = _backend_pids(engine)
        database_before = _backends_cpu(backends)
        started = time.process_time()
        for _ in range(args.requests):
            c.get(url, **http)
        cpu = (time.process_time() - started) * 1000 / args.requests
        database = (_backends_cpu(backends) - database_before) * 1000 / args.requests
        shown = f"{database:>6.2f}" if backends else "     -"
        print(f"{path:<44} {cpu:>10.2f} {shown} {statements:>4}", flush=True)
        # pyinstrument is a developer's tool, not one of the project's dependencies.
        if args.profile == path and not args.cprofile and importlib.util.find_spec("pyinstrument") is None:
            print("pyinstrument is not installed (.venv/bin/pip install pyinstrument): cProfile instead",
                  file=sys.stderr)
            args.cprofile = True
        if args.profile == path and args.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU, not the waits for the database
            profiler.enable()
            for _ in range(args.requests):
                c.get(url, **http)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(45)
        elif args.profile == path:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(args.requests):
                c.get(url, **http)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=args.all_frames))
    event.remove(engine, "before_cursor_execute", count)
    return 0


def _backend_pids(engine) -> list[int]:
    """The PostgreSQL server processes of the pool's connections (the test client uses the pool's
    connections, so their CPU is the database's share of the requests); empty elsewhere."""
    if engine.dialect.name != "postgresql":
        return []
    held = []
    try:
        for _ in range(engine.pool.size()):
            held.append(engine.raw_connection())
        pids = set()
        for connection in held:
            cursor = connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])
            cursor.close()
        return sorted(pids)
    finally:
        for connection in held:
            connection.close()


def _backends_cpu(pids: list[int]) -> float:
    """CPU seconds (user and system) the processes have used, from /proc (the database runs on
    this machine, as the bench's does)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _journey_tourist() -> str:
    """A tourist with three live bookings, as the bench's first journey tourists are."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Booking, BookingState, User

    row = db.session.execute(
        select(User.email).join(Booking, Booking.user_id == User.id)
        .where(Booking.state == BookingState.CONFIRMED, User.email.like(f"%@{bench.EMAIL_DOMAIN}"))
        .group_by(User.id, User.email).having(func.count() >= 3).order_by(User.id).limit(1)
    ).scalar_one()
    return row


if __name__ == "__main__":
    sys.exit(main())
