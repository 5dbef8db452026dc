"""Due reminders sent by real Celery worker processes through Redis, each SMS exactly once.

The workers are ``celery worker`` processes (prefork, 4 children each, as the Procfile runs them)
of the app in ``worker/app.py``, made from the environment: the suite's database, Redis database 7
as the broker, a queue of the test's own, and Twilio as the SMS provider. Twilio is the official
SDK talking to a local recording server (pytest-httpserver) through ``TWILIO_API_BASE``, so
"exactly once" is checked from the outside, on what Twilio was asked to send, as well as on our
rows.

Each tourist has a phone number of their own and one due reminder on the SMS channel, so the
number a message went to says which reminder it was. A quarter of the reminders are written by a
rule (``flight_scrubbed``, urgent: sent on every channel the tourist has, quiet hours or not) and
rendered when they are sent; the others are written ready to send (no rule). The test process
only writes rows and sends ``countdown.dispatch_due_messages``, as beat would; the workers claim,
hand out and send.

On SQLite every transaction takes the write lock, so the test never holds a session while it
waits for the workers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import redis
from celery import Celery
from pytest_httpserver import HTTPServer
from sqlalchemy import func, insert, select
from werkzeug import Request, Response

from app.extensions import db
from app.messaging import reminders
from app.models import Booking, BookingState, Channel, MessageStatus, OutboundMessage, Role, User
from app.timeutil import now_utc
from scripts.bench_support import CeleryWorker
from tests.conftest import Factory, make_env, require_service

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/7"
ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "reminder-workers-auth-token"
FROM_NUMBER = "+15005550006"
BASE_URL = "http://countdown.test"  # make_env's
S = MessageStatus

# ``celery worker`` on the app of worker/app.py, sending the tasks it sends itself (dispatch hands
# claimed rows to ``countdown.deliver_messages``) to the test's queue rather than to "celery",
# which another run's worker on the same Redis could take. The rest of the command line is
# Celery's own: ``python -c WORKER_MAIN --pool=prefork ...`` = ``celery -A worker.app worker ...``.
WORKER_MAIN = """\
import os, sys
from worker.app import celery
celery.conf.task_default_queue = os.environ["COUNTDOWN_TEST_QUEUE"]
celery.worker_main(["worker", *sys.argv[1:]])
"""


# -- Twilio, recording ------------------------------------------------------------------------------

def _rfc2822(at: datetime | None) -> str | None:
    return format_datetime(at.astimezone(timezone.utc).replace(microsecond=0), usegmt=True) if at else None


class FakeTwilio:
    """Twilio's Messages API, as far as TwilioSmsProvider uses it, recording every message.

    ``POST .../Messages.json`` records (To, Body) and answers with a message resource of a new
    SID; ``GET .../Messages.json`` lists the recorded ones, newest first, filtered by ``To`` and
    ``DateSent>`` (that is ``DateSent>=``: the SDK's parameter name ends in ">"), in Twilio's page
    format. ``hold_from(n)`` makes the n-th and later sends wait, recorded but unanswered, until
    :meth:`release` (a worker can then be killed while Twilio has its message and it does not
    know).
    """

    PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.messages: list[dict] = []
        self.refused: list[str] = []
        self.lists = 0
        self.holding = 0
        self._hold_from: int | None = None
        self._released = threading.Event()
        self._lock = threading.Lock()
        server.expect_request(self.PATH, method="POST").respond_with_handler(self.create)
        server.expect_request(self.PATH, method="GET").respond_with_handler(self.list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def sent(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def hold_from(self, n: int) -> None:
        self._released.clear()
        self._hold_from = n

    def release(self) -> None:
        self._hold_from = None
        self._released.set()

    @staticmethod
    def _json(payload: dict, status: int) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json")

    def _refuse(self, why: str, status: int, code: int) -> Response:
        with self._lock:
            self.refused.append(why)
        return self._json({"code": code, "message": why, "more_info": "", "status": status}, status)

    def _authorised(self, request: Request) -> bool:
        auth = request.authorization
        return auth is not None and (auth.username, auth.password) == (ACCOUNT_SID, AUTH_TOKEN)

    def _resource(self, m: dict, *, just_created: bool = False) -> dict:
        return {
            "sid": m["sid"], "account_sid": ACCOUNT_SID, "api_version": "2010-04-01",
            "to": m["to"], "from": m["from"], "body": m["body"], "messaging_service_sid": None,
            "status": "queued" if just_created else "sent", "direction": "outbound-api",
            "num_segments": "1", "num_media": "0", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None,
            "date_created": _rfc2822(m["at"]), "date_updated": _rfc2822(m["at"]),
            "date_sent": None if just_created else _rfc2822(m["at"]),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{m['sid']}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{m['sid']}/Media.json"},
        }

    def create(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._refuse("Authenticate", 401, 20003)
        form = request.form
        if not form.get("To") or not form.get("Body") or form.get("From") != FROM_NUMBER:
            return self._refuse(f"bad request: {sorted(form)}", 400, 21604)
        if form.get("StatusCallback") != f"{BASE_URL}/webhooks/twilio/status":
            return self._refuse(f"status callback {form.get('StatusCallback')!r}", 400, 21609)
        with self._lock:
            record = {"sid": f"SM{uuid.uuid4().hex}", "to": form["To"], "from": form["From"],
                      "body": form["Body"], "at": datetime.now(timezone.utc)}
            self.messages.append(record)
            hold = self._hold_from is not None and len(self.messages) >= self._hold_from
            if hold:
                self.holding += 1
        if hold:
            self._released.wait(120)
            with self._lock:
                self.holding -= 1
        return self._json(self._resource(record, just_created=True), 201)

    def list(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._refuse("Authenticate", 401, 20003)
        to, after = request.args.get("To"), request.args.get("DateSent>")
        size = int(request.args.get("PageSize", 50))
        since = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if after else None
        with self._lock:
            self.lists += 1
            found = [m for m in self.messages if (to is None or m["to"] == to)
                     and (since is None or m["at"].replace(microsecond=0) >= since)]
        page = sorted(found, key=lambda m: m["at"], reverse=True)[:size]
        return self._json({
            "messages": [self._resource(m) for m in page], "page": 0, "page_size": size,
            "start": 0, "end": max(len(page) - 1, 0), "uri": request.full_path,
            "first_page_uri": request.full_path, "next_page_uri": None, "previous_page_uri": None,
        }, 200)


# -- worker processes ---------------------------------------------------------------------------------

def _group_alive(pgid: int) -> list[int]:
    """Processes of the group ``pgid`` that still run (zombies waiting to be reaped do not)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


class Worker(CeleryWorker):
    """One ``celery worker`` process (and its pool's children, 4 of them), in a process group of
    its own that gets SIGTERM if pytest dies without stopping it; only ``queue`` is consumed."""

    def __init__(self, name: str, env: dict[str, str], queue: str, log_dir: Path, *options: str) -> None:
        super().__init__(name, ["-c", WORKER_MAIN], 4, env, log_dir, "-Q", queue, *options)

    def failure(self, what: str) -> Exception:
        return AssertionError(f"worker {self.name} {what}:\n{self.log()[-3000:]}")

    def tasks_done(self, name: str) -> int:
        return sum(1 for line in self.log().splitlines() if f"Task {name}[" in line and " succeeded in " in line)

    def kill(self) -> None:
        """SIGKILL to the whole group at once: the worker and every pool process die mid-task."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        deadline = time.monotonic() + 10
        while _group_alive(self.proc.pid):
            assert time.monotonic() < deadline, f"still alive after SIGKILL: {_group_alive(self.proc.pid)}"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the task at hand
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        if _group_alive(self.proc.pid):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self._log.close()


def _purge(broker: redis.Redis, queue: str) -> None:
    """Remove this test's queue, bindings and the tasks a killed worker left unacknowledged."""
    for key in broker.scan_iter(match=f"*{queue}*"):
        broker.delete(key)
    for tag, raw in broker.hscan_iter("unacked"):
        try:
            _message, exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if queue in (exchange, routing_key):
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


@dataclass
class Run:
    """What one test has: its queue, the recording Twilio, its workers and a way to send tasks."""

    database_url: str
    tmp: Path
    queue: str
    twilio: FakeTwilio
    sender: Celery
    workers: list[Worker] = field(default_factory=list)

    def worker_env(self, **settings: str) -> dict[str, str]:
        env = make_env(
            self.database_url, self.tmp / "instance",
            CELERY_TASK_ALWAYS_EAGER="0", REDIS_URL=REDIS_URL, CELERY_BROKER_URL=REDIS_URL,
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_API_BASE=self.twilio.url,
            COUNTDOWN_TEST_QUEUE=self.queue, PYTHONUNBUFFERED="1",
        )
        env.update(settings)
        return env

    def start_workers(self, count: int, *options: str, **settings: str) -> list[Worker]:
        started = [
            Worker(f"reminders-{len(self.workers) + i + 1}-{self.queue}", self.worker_env(**settings),
                   self.queue, self.tmp, *options)
            for i in range(count)
        ]
        self.workers.extend(started)
        for worker in started:
            worker.wait_ready()
        return started

    def dispatch(self, times: int = 1) -> None:
        """``countdown.dispatch_due_messages``, as beat sends it."""
        for _ in range(times):
            self.sender.send_task("countdown.dispatch_due_messages", queue=self.queue)

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} (last lines)\n{w.log()[-4000:]}" for w in self.workers)


@pytest.fixture
def run(app, database_url, committed_db, tmp_path):
    """``app`` migrates the suite's database first; ``committed_db`` empties it after the workers
    have stopped."""
    require_service("Redis", "127.0.0.1", 6379)
    queue = f"countdown-reminders-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(REDIS_URL)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    sender = Celery("countdown-reminder-tests", broker=REDIS_URL, set_as_current=False)
    sender.conf.task_default_queue = queue
    this = Run(database_url, tmp_path, queue, FakeTwilio(server), sender)
    try:
        yield this
    finally:
        this.twilio.release()
        for worker in this.workers:
            worker.stop()
        server.clear()
        server.stop()
        sender.close()
        _purge(broker, queue)
        broker.close()
        db.session.remove()


# -- data ---------------------------------------------------------------------------------------------

@dataclass
class Seeded:
    due: dict[str, int]                         # phone -> id of its due reminder
    later: dict[str, int]                       # phone -> id of a reminder not due yet
    rule_based: set[int]                        # ids written by a rule, rendered when sent


def seed(due: int, *, rule_based: int, later: int = 0) -> Seeded:
    """``due + later`` tourists, each with a phone number of their own and one reminder on the
    SMS channel: ``rule_based`` of the due ones are ``flight_scrubbed`` reminders about the
    tourist's confirmed booking (urgent: every channel, any hour), the others ready to send.
    Written in bulk and committed; no task is sent (the workers find them by dispatching)."""
    now = now_utc()
    run_id = uuid.uuid4().hex[:6]
    total = due + later
    assert total <= 10_000
    flight = Factory().flight(seat_count=max(total, 1))
    users = db.session.execute(
        insert(User).returning(User.id, User.phone, sort_by_parameter_order=True),
        [{"email": f"sms{i}-{run_id}@example.com", "name": f"SMS Tourist {i}", "password_hash": "!",
          "phone": f"+1415555{i:04d}", "date_of_birth": date(1980, 1, 1), "role": Role.TOURIST,
          "language": "en", "timezone": "UTC"} for i in range(total)],
    ).all()
    ruled = users[:rule_based]
    bookings = db.session.execute(
        insert(Booking).returning(Booking.id, sort_by_parameter_order=True),
        [{"reference": f"RW-{run_id}-{i:04d}", "flight_id": flight.id, "user_id": user_id,
          "state": BookingState.CONFIRMED} for i, (user_id, _phone) in enumerate(ruled)],
    ).scalars().all() if ruled else []
    rule = reminders.RULES["flight_scrubbed"]
    rows = []
    for i, (user_id, phone) in enumerate(users):
        send_at = now - timedelta(minutes=1) if i < due else now + timedelta(hours=1)
        row = {"channel": Channel.SMS, "user_id": user_id, "send_at": send_at, "status": S.QUEUED,
               "subject_type": None, "subject_id": None, "rule": None, "category": "",
               "urgent": False, "context": {}}
        if i < rule_based:
            row.update(rule=rule.name, kind=rule.template, category=rule.category, urgent=True,
                       subject_type="booking", subject_id=bookings[i], recipient="", body="",
                       key=reminders.make_key(rule, bookings[i], "test-scrub", Channel.SMS))
        else:
            row.update(kind="test_reminder", recipient=phone, key=f"test-reminder:{run_id}:{i}",
                       body=f"Countdown test reminder {i} of run {run_id}: T-minus {total - i}.")
        rows.append(row)
    ids = db.session.execute(
        insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True), rows
    ).scalars().all()
    db.session.commit()
    db.session.remove()
    phones = [phone for _id, phone in users]
    return Seeded(
        due=dict(zip(phones[:due], ids[:due])), later=dict(zip(phones[due:], ids[due:])),
        rule_based=set(ids[:rule_based]),
    )


def count(*statuses: MessageStatus) -> int:
    db.session.remove()
    n = db.session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.status.in_(statuses)))
    db.session.remove()
    return n


def wait_until_sent(run: Run, n: int, *, timeout: float, dispatch_every: float | None = None) -> None:
    """Until ``n`` rows are sent, looking at the database only once Twilio has had ``n`` sends;
    with ``dispatch_every``, sending the dispatch task that often meanwhile, as beat would."""
    deadline = time.monotonic() + timeout
    next_dispatch = time.monotonic()
    while True:
        if dispatch_every is not None and time.monotonic() >= next_dispatch:
            run.dispatch()
            next_dispatch = time.monotonic() + dispatch_every
        if run.twilio.count() >= n and count(S.SENT) >= n:
            return
        if time.monotonic() > deadline:
            by_status = {s.value: count(s) for s in S}
            raise AssertionError(
                f"gave up after {timeout:.0f} s: Twilio had {run.twilio.count()} of {n} sends, rows "
                f"by status {by_status}, refused {run.twilio.refused[:5]}\n{run.logs()}"
            )
        time.sleep(0.2)


def check_each_sent_once(run: Run, seeded: Seeded) -> dict[int, OutboundMessage]:
    """Twilio was asked exactly once for each due reminder and for nothing else, and every row
    says so: sent, through Twilio, with the SID and text Twilio has. Returns the rows by id."""
    sent = run.twilio.sent()
    assert run.twilio.refused == []
    times = Counter(m["to"] for m in sent)
    assert {to: n for to, n in times.items() if n > 1} == {}, "sent more than once"
    assert set(times) == set(seeded.due), "sends missing, or sent to a number that was not due"
    assert Counter(m["body"] for m in sent).most_common(1)[0][1] == 1
    by_to = {m["to"]: m for m in sent}
    db.session.remove()
    rows = {m.id: m for m in db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.id.in_(list(seeded.due.values())))
    )}
    for phone, message_id in seeded.due.items():
        row, twilio = rows[message_id], by_to[phone]
        assert (row.status, row.provider, row.recipient) == (S.SENT, "twilio", phone), row
        assert (row.provider_message_id, row.body) == (twilio["sid"], twilio["body"]), row
        assert row.sent_at is not None and row.error == ""
    return rows


def rendered_scrub_notice(row: OutboundMessage) -> bool:
    return (row.body.startswith("Countdown: The launch of Mission ")
            and f"{BASE_URL}/bookings/RW-" in row.body and row.html_body == "")


# -- the tests ----------------------------------------------------------------------------------------

def test_a_worker_sends_due_reminders_and_keeps_the_others(run):
    seeded = seed(40, rule_based=10, later=10)
    run.start_workers(1)

    run.dispatch()

    wait_until_sent(run, 40, timeout=60)
    rows = check_each_sent_once(run, seeded)
    assert all(row.attempts == 1 for row in rows.values())
    assert all(rendered_scrub_notice(rows[i]) for i in seeded.rule_based)
    assert all(rows[i].body.startswith("Countdown test reminder ") for i in set(rows) - seeded.rule_based)
    time.sleep(0.5)  # anything the worker would still (wrongly) send
    assert run.twilio.count() == 40
    db.session.remove()
    later = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.id.in_(list(seeded.later.values())))).all()
    assert [(m.status, m.attempts, m.provider_message_id) for m in later] == [(S.QUEUED, 0, None)] * 10
    assert run.twilio.lists == 0  # nothing was interrupted, so nothing was looked up
    db.session.remove()


def test_beat_dispatches_due_reminders_without_being_asked(run):
    """The worker runs beat inside it (``worker -B``, as ``make run`` does): beat's schedule sends
    the dispatch task by itself, and the due reminders go out; the test sends no task."""
    from worker.schedule import BEAT_SCHEDULE

    interval = next(e["schedule"] for e in BEAT_SCHEDULE.values() if e["task"] == "countdown.dispatch_due_messages")
    assert interval <= 10  # a due reminder waits at most this long for its dispatcher
    seeded = seed(12, rule_based=4, later=3)
    [worker] = run.start_workers(1, "-B", f"--schedule={run.tmp / 'celerybeat-schedule'}")

    wait_until_sent(run, 12, timeout=interval * 3 + 30)
    rows = check_each_sent_once(run, seeded)
    assert all(rendered_scrub_notice(rows[i]) for i in seeded.rule_based)
    assert worker.tasks_done("countdown.dispatch_due_messages") >= 1
    assert run.twilio.count() == 12  # the three not due yet wait
    db.session.remove()


def test_two_workers_send_each_of_1000_due_reminders_exactly_once(run):
    seeded = seed(1000, rule_based=250)
    # Claims of 100 rows at a time, so the dispatchers running at once take turns.
    first, second = run.start_workers(2, MESSAGE_BATCH_SIZE="100")
    started = time.monotonic()

    run.dispatch(times=6)  # six beat runs at once, on both workers

    wait_until_sent(run, 1000, timeout=120)
    elapsed = time.monotonic() - started
    rows = check_each_sent_once(run, seeded)
    assert Counter(row.attempts for row in rows.values()) == {1: 1000}
    assert all(rendered_scrub_notice(rows[i]) for i in seeded.rule_based)
    assert count(S.QUEUED, S.CLAIMED, S.SENDING, S.FAILED, S.DROPPED) == 0
    assert run.twilio.lists == 0
    # Both workers sent some: the send tasks were shared out.
    assert first.tasks_done("countdown.deliver_messages") > 0, run.logs()
    assert second.tasks_done("countdown.deliver_messages") > 0, run.logs()
    print(f"two workers sent 1,000 reminders in {elapsed:.1f} s")


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(run):
    seeded = seed(1000, rule_based=250)
    # A short lease, so what the dead worker held is picked up again within seconds.
    settings = {"MESSAGE_LEASE_SECONDS": "3", "MESSAGE_BATCH_SIZE": "100"}
    [doomed] = run.start_workers(1, **settings)
    # From the 300th send on, Twilio takes each message and does not answer: the worker is
    # killed while at least one message is with Twilio and its row still says "sending".
    run.twilio.hold_from(300)

    run.dispatch()

    deadline = time.monotonic() + 60
    while run.twilio.holding < 1:
        assert time.monotonic() < deadline, f"Twilio had {run.twilio.count()} sends\n{run.logs()}"
        time.sleep(0.02)
    doomed.kill()
    run.twilio.release()
    before = run.twilio.count()
    db.session.remove()
    left = dict(Counter(m.status for m in db.session.scalars(select(OutboundMessage))))
    db.session.remove()
    assert left.get(S.SENDING, 0) >= 1 and left.get(S.SENT, 0) < 1000, left
    assert 300 <= before < 1000

    # A new worker; beat goes on sending the dispatch task every second.
    run.start_workers(1, **settings)
    wait_until_sent(run, 1000, timeout=120, dispatch_every=1.0)

    rows = check_each_sent_once(run, seeded)
    assert all(rendered_scrub_notice(rows[i]) for i in seeded.rule_based)
    assert count(S.QUEUED, S.CLAIMED, S.SENDING, S.FAILED, S.DROPPED) == 0
    # What the kill cut off: sends Twilio had got were confirmed by asking it (not sent again);
    # sends it had not got were sent again, once.
    confirmed = [m for m in rows.values()
                 if m.note == "delivery was interrupted; the provider confirmed it had the message"]
    again = [m for m in rows.values() if m.note == "delivery was interrupted; sending again"]
    assert len(confirmed) >= 1 and run.twilio.lists >= len(confirmed) + len(again)
    assert all(m.attempts == 1 for m in confirmed) and all(m.attempts == 2 for m in again)
    others = [m for m in rows.values() if m not in confirmed and m not in again]
    assert Counter(m.attempts for m in others) == {1: len(others)}
    print(f"killed after {before} sends; {left}; confirmed with Twilio: {len(confirmed)}, "
          f"sent again: {len(again)}")
