"""Reminders sent per second by two Celery workers with the outbox providers, none sent twice.

Run by ``make bench`` after the pages (``python -m scripts.bench``), or on its own with
``python -m scripts.bench_reminders``.

1. Drop and re-create its own PostgreSQL database, run the real migrations and bulk-insert
   tourists (six languages, ten time zones), their confirmed bookings on scrubbed or delayed
   flights, and one due reminder per channel each tourist has (email, SMS when they have a
   number, in the app): the rows ``reminders.notify`` writes for the urgent rules
   ``flight_scrubbed`` and ``flight_delayed``, rendered only when they are sent.
2. Start two ``celery -A worker.app worker`` processes (prefork, production settings, outbox
   providers) on Redis database 15 and wait until both are ready.
3. Send ``countdown.dispatch_due_messages`` as beat does (every ``dispatch-due-messages``
   interval of ``worker/schedule.py``) until every reminder is sent, and time it: from the first
   dispatch to the last ``sent_at``.
4. Check that none was sent twice: every row is ``sent`` after one attempt, and the workers'
   ``countdown.deliver_messages`` tasks reported exactly as many sends as there are reminders.
5. Stop the workers (also on Ctrl-C and errors) and remove the temporary directory.

Exits 0 with the figure; 1 when the bench could not run or a reminder was lost or sent twice.
Without Redis it says so and exits 0 (``make bench`` still measures the pages).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scripts.bench import EMAIL_DOMAIN, FIRST_NAMES, LANGUAGES, LAST_NAMES, TIMEZONES
from scripts.bench_support import (
    DEFAULT_REDIS_URL,
    TICK,
    CeleryWorker,
    add_seed_option,
    bench_parser,
    bulk_insert,
    children,
    interrupt_on_signals,
    machine_jiffies,
    migrate,
    pg_connect,
    process_jiffies,
    production_env,
    redis_answers,
    reset_database,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/countdown_bench_reminders"
RULES = ("flight_scrubbed", "flight_delayed")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from worker.schedule import BEAT_SCHEDULE

    env = os.environ
    p = bench_parser("python -m scripts.bench_reminders", __doc__, "BENCH_REMINDERS_DATABASE_URL",
                     DEFAULT_DATABASE_URL)
    p.add_argument("--redis-url", default=env.get("BENCH_REMINDERS_REDIS_URL", DEFAULT_REDIS_URL),
                   help="Celery broker; its queue keys are cleared first (env BENCH_REMINDERS_REDIS_URL)")
    p.add_argument("--reminders", type=int, default=int(env.get("BENCH_REMINDERS", 50_000)),
                   help="due reminders to send (env BENCH_REMINDERS)")
    p.add_argument("--workers", type=int, default=int(env.get("BENCH_REMINDER_WORKERS", 2)),
                   help="celery worker processes (env BENCH_REMINDER_WORKERS)")
    p.add_argument("--concurrency", type=int, default=int(env.get("BENCH_REMINDER_CONCURRENCY", 2)),
                   help="pool processes per worker, as in the Procfile (env BENCH_REMINDER_CONCURRENCY)")
    p.add_argument("--dispatch-interval", type=float,
                   default=float(env.get("BENCH_DISPATCH_INTERVAL",
                                         BEAT_SCHEDULE["dispatch-due-messages"]["schedule"])),
                   help="seconds between dispatch tasks, beat's schedule by default (env BENCH_DISPATCH_INTERVAL)")
    p.add_argument("--timeout", type=float, default=float(env.get("BENCH_REMINDERS_TIMEOUT", 1800)),
                   help="give up after this many seconds of sending (env BENCH_REMINDERS_TIMEOUT)")
    add_seed_option(p)
    p.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the worker logs")
    return p.parse_args(argv)


def clear_broker(url: str) -> None:
    """The default queue, its bindings and unacknowledged tasks of an earlier, interrupted run."""
    import redis

    r = redis.Redis.from_url(url)
    try:
        keys = [k for pattern in ("celery", "_kombu.binding.*", "unacked*") for k in r.scan_iter(match=pattern)]
        if keys:
            r.delete(*keys)
    finally:
        r.close()


def worker_env(database_url: str, redis_url: str, tmp: Path) -> dict[str, str]:
    return production_env(database_url, tmp, redis_url, BASE_URL="https://countdown.example.com")


# -- data -----------------------------------------------------------------------------------------

@dataclass
class Seeded:
    reminders: int
    by_channel: Counter
    by_rule: Counter
    tourists: int
    seconds: float


def seed(app, args: argparse.Namespace) -> Seeded:
    """Bulk-insert tourists, bookings and their due reminders through Core ``insert()``."""

    from app.messaging import reminders
    from app.models import (
        Booking,
        BookingState,
        Channel,
        Flight,
        FlightStatus,
        MessageStatus,
        OutboundMessage,
        Role,
        User,
    )
    from app.timeutil import now_utc

    started = time.perf_counter()
    rng = random.Random(args.seed)
    now = now_utc()
    n_flights = 200
    flights = []
    for fid in range(1, n_flights + 1):
        launch = (now + timedelta(days=rng.uniform(3, 300))).replace(minute=0, second=0, microsecond=0)
        scrubbed = fid % 2 == 1
        flights.append({
            "id": fid, "name": f"Bench Flight {fid}", "vehicle": "Suborbital spaceplane SV-2",
            "spaceport": "Spaceport America, New Mexico", "description": "",
            "launch_at": launch, "window_closes_at": launch + timedelta(hours=72), "seat_count": 400,
            "price_minor": 450_000_00, "currency": "USD", "deposit_minor": 112_500_00,
            "deposit_nonrefundable_minor": 22_500_00, "balance_due_days": 90,
            "status": FlightStatus.SCRUBBED if scrubbed else FlightStatus.DELAYED,
            "created_at": now - timedelta(days=400), "updated_at": now - timedelta(hours=1),
        })

    users: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    by_channel: Counter = Counter()
    by_rule: Counter = Counter()
    uid = 0
    while len(messages) < args.reminders:
        uid += 1
        phone = f"+1415{uid:07d}" if rng.random() < 0.5 else None
        users.append({
            "id": uid, "email": f"tourist{uid:06d}@{EMAIL_DOMAIN}", "password_hash": "!",
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "phone": phone,
            "date_of_birth": date(1980, 1, 1), "language": rng.choice(LANGUAGES),
            "timezone": rng.choice(TIMEZONES), "role": Role.TOURIST, "active": True,
            "created_at": now - timedelta(days=100), "password_changed_at": now - timedelta(days=100),
        })
        flight = flights[(uid - 1) % n_flights]
        bookings.append({
            "id": uid, "reference": f"CD-B{uid:06d}", "flight_id": flight["id"], "user_id": uid,
            "state": BookingState.CONFIRMED, "hold_expires_at": None,
            "created_at": now - timedelta(days=90), "updated_at": now - timedelta(days=90),
        })
        rule = reminders.RULES["flight_scrubbed" if flight["status"] is FlightStatus.SCRUBBED else "flight_delayed"]
        context = {} if rule.name == "flight_scrubbed" else {
            "previous_launch_at": (flight["launch_at"] - timedelta(days=7)).isoformat()}
        # Urgent: every channel the tourist has, whatever their preferences and the hour.
        for channel in (Channel.EMAIL, Channel.SMS, Channel.IN_APP):
            if (channel is Channel.SMS and not phone) or len(messages) >= args.reminders:
                continue
            messages.append({
                "id": len(messages) + 1, "channel": channel, "user_id": uid, "recipient": "",
                "subject": "", "body": "", "html_body": "", "link_url": "", "kind": rule.template,
                "key": reminders.make_key(rule, uid, "bench", channel), "rule": rule.name,
                "category": rule.category, "subject_type": "booking", "subject_id": uid,
                "context": context, "urgent": True, "send_at": now - timedelta(seconds=rng.uniform(1, 600)),
                "status": MessageStatus.QUEUED, "attempts": 0, "created_at": now - timedelta(minutes=10),
            })
            by_channel[channel.value] += 1
            by_rule[rule.name] += 1

    bulk_insert(app, ((User.__table__, users), (Flight.__table__, flights),
                      (Booking.__table__, bookings), (OutboundMessage.__table__, messages)), chunk=10_000)
    return Seeded(len(messages), by_channel, by_rule, len(users), time.perf_counter() - started)


# -- workers --------------------------------------------------------------------------------------

_SUCCEEDED = re.compile(r"Task (countdown\.[a-z_]+)\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\d+)")


class Worker(CeleryWorker):
    """``celery -A worker.app worker`` with the bench's production settings."""

    def __init__(self, index: int, env: dict[str, str], concurrency: int, tmp: Path) -> None:
        super().__init__(f"bench-reminders-{index}", ["-m", "celery", "-A", "worker.app", "worker"], concurrency,
                         {**os.environ, **env, "PYTHONUNBUFFERED": "1"}, tmp)

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def results(self, task: str) -> list[int]:
        """Return values of the ``task`` runs that succeeded, from the worker's log."""
        return [int(value) for name, value in _SUCCEEDED.findall(self.log()) if name == task]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this script started
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._log.close()


@dataclass
class Outcome:
    elapsed: float                 # first dispatch -> last sent_at
    statuses: dict[str, int]
    attempts: dict[int, int]
    sends_reported: int            # sum of what the deliver tasks said they sent
    deliver_tasks: list[int]       # per worker
    sends_per_worker: list[int]
    dispatches: int
    worker_cpu_ms: float           # per reminder: workers and their PostgreSQL backends
    other_load: float


def send_all(args: argparse.Namespace, workers: list[Worker], seeded: Seeded, stop_check) -> Outcome:
    from celery import Celery

    sender = Celery("countdown-bench-reminders", broker=args.redis_url, set_as_current=False)
    conn = pg_connect(args.database_url)
    try:
        pids = [p for w in workers for p in w.pids()]
        pg_pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        cpu_before = sum(process_jiffies(p) for p in pids + pg_pids)
        busy_before, total_before = machine_jiffies()
        start_wall = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        started = time.monotonic()
        next_dispatch, dispatches, last_report = started, 0, started
        while True:
            stop_check()
            now = time.monotonic()
            if now >= next_dispatch:
                sender.send_task("countdown.dispatch_due_messages")
                dispatches += 1
                next_dispatch = now + args.dispatch_interval
            sent = conn.execute("SELECT count(*) FROM outbound_messages WHERE status = 'sent'").fetchone()[0]
            if sent >= seeded.reminders:
                break
            if now - last_report >= 10:
                print(f"bench: reminders: {sent:,} of {seeded.reminders:,} sent after {now - started:.0f}s")
                last_report = now
            if now - started > args.timeout:
                raise RuntimeError(f"only {sent:,} of {seeded.reminders:,} sent after {args.timeout:.0f}s")
            # New PostgreSQL backends appear as pool processes connect.
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ):
                if pid not in pg_pids:
                    pg_pids.append(pid)
            time.sleep(0.25)
        last_sent = conn.execute("SELECT max(sent_at) FROM outbound_messages").fetchone()[0]
        cpu = sum(process_jiffies(p) for p in pids + pg_pids) - cpu_before
        busy_after, total_after = machine_jiffies()
        time.sleep(1.0)  # the last deliver tasks log their result
        statuses = dict(conn.execute("SELECT status, count(*) FROM outbound_messages GROUP BY status").fetchall())
        attempts = dict(conn.execute("SELECT attempts, count(*) FROM outbound_messages GROUP BY attempts").fetchall())
    finally:
        conn.close()
        sender.close()
    sends = [sum(w.results("countdown.deliver_messages")) for w in workers]
    total = (total_after - total_before) or 1
    return Outcome(
        elapsed=(last_sent - start_wall).total_seconds(), statuses=statuses, attempts=attempts,
        sends_reported=sum(sends), deliver_tasks=[len(w.results("countdown.deliver_messages")) for w in workers],
        sends_per_worker=sends, dispatches=dispatches,
        worker_cpu_ms=cpu / TICK * 1000 / max(seeded.reminders, 1),
        other_load=max(0, (busy_after - busy_before) - cpu) / total,
    )


# -- main -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    if not redis_answers(args.redis_url):
        print(f"bench: reminders: skipped, Redis does not answer at {args.redis_url} "
              "(the two workers need a real broker)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="countdown-bench-reminders-"))
    workers: list[Worker] = []
    keep_tmp = args.keep_logs

    def check_workers() -> None:
        for w in workers:
            if w.proc.poll() is not None:
                raise RuntimeError(f"{w.name} exited with {w.proc.returncode}; see {w.log_path}")

    try:
        env = worker_env(args.database_url, args.redis_url, tmp)
        t0 = time.perf_counter()
        reset_database(args.database_url)
        app = migrate(env)
        seeded = seed(app, args)
        print(f"bench: reminders: database reset, migrated and seeded in {time.perf_counter() - t0:.1f}s: "
              f"{seeded.reminders:,} due reminders for {seeded.tourists:,} tourists ("
              + ", ".join(f"{n:,} {c}" for c, n in sorted(seeded.by_channel.items())) + "; "
              + ", ".join(f"{n:,} {r}" for r, n in sorted(seeded.by_rule.items())) + ")")
        clear_broker(args.redis_url)
        workers = [Worker(i + 1, env, args.concurrency, tmp) for i in range(args.workers)]
        for w in workers:
            w.wait_ready()
        print(f"bench: reminders: {args.workers} workers ready (prefork, {args.concurrency} processes each); "
              f"dispatching every {args.dispatch_interval:g}s")
        out = send_all(args, workers, seeded, check_workers)

        rate = seeded.reminders / out.elapsed if out.elapsed > 0 else math.nan
        once = (out.statuses == {"sent": seeded.reminders} and out.attempts == {1: seeded.reminders}
                and out.sends_reported == seeded.reminders)
        print()
        print(f"Countdown reminders bench: {args.workers} Celery workers (prefork, {args.concurrency} processes "
              f"each), outbox providers, Redis broker, PostgreSQL")
        print(f"  {seeded.reminders:,} due reminders sent in {out.elapsed:.1f}s: {rate:,.0f} reminders/s")
        print(f"  rows: {out.statuses}; attempts per row: {out.attempts}")
        print("  sends reported by the deliver tasks: "
              + " + ".join(f"{s:,} ({t} tasks)" for s, t in zip(out.sends_per_worker, out.deliver_tasks))
              + f" = {out.sends_reported:,}; dispatch tasks sent: {out.dispatches}")
        print(f"  CPU of the workers and their PostgreSQL backends: {out.worker_cpu_ms:.2f} ms per reminder; "
              f"other load {out.other_load:.0%}")
        print("  none sent twice, none lost." if once else "  FAIL: a reminder was lost or sent more than once.")
        return 0 if once else 1
    except KeyboardInterrupt:
        print("\nbench: reminders: interrupted; stopping the workers", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, clean up, fail
        print(f"bench: reminders: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        keep_tmp = True
        print(f"bench: reminders: worker logs kept in {tmp}", file=sys.stderr)
        return 1
    finally:
        for w in workers:
            w.stop()
        if workers:
            clear_broker(args.redis_url)
        if keep_tmp:
            print(f"bench: reminders: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
