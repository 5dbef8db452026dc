"""A real Celery worker, in a thread, taking tasks from a real broker.

On SQLite every transaction takes the write lock, so these tests close their session before
waiting for the worker.

The app under test is a second app over the suite's database, not eager: tasks go through Redis
(database 7, on a queue of this run's own) or, for the embedded default, kombu's SQLAlchemy transport on a SQLite
file. Everything is committed for real, and the tables are emptied after each test.

Due reminders sent by real worker processes (two at once, one killed mid-batch) through Twilio's
SDK are in test_reminder_workers.py.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from sqlalchemy import func, select

from app.booking import bookings
from app.desk import conversations
from app.extensions import db
from app.messaging import delivery, outbox
from app.models import (
    Booking,
    BookingState,
    Channel,
    Conversation,
    MessageStatus,
    OutboundMessage,
    PlaceState,
    Role,
    SessionPlace,
    Topic,
    WaitlistEntry,
    WaitlistState,
)
from app.timeutil import now_utc
from app.training import places as training_places
from app.transactions import commit
from tests.conftest import Factory, empty_tables, require_service
from tests.integration.support import CountingProvider, separate_app, wait_for

REDIS_URL = "redis://127.0.0.1:6379/7"


class TaskRuns:
    """Every task the worker finished: (name, args, return value, state), in order."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, tuple, object, str]] = []
        self._lock = threading.Lock()

    def __call__(self, sender=None, task=None, args=None, retval=None, state=None, **_) -> None:
        with self._lock:
            self.runs.append((task.name, tuple(args or ()), retval, state))

    def of(self, name: str, *args) -> list[tuple[object, str]]:
        with self._lock:
            return [(r, s) for n, a, r, s in self.runs if n == name and (not args or a == args)]

    def wait(self, name: str, *args, count: int = 1, timeout: float = 15.0) -> list[object]:
        """Wait until ``name`` (with ``args``) ran ``count`` times; return the return values."""
        deadline = time.monotonic() + timeout
        while len(self.of(name, *args)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}{args} ran {len(self.of(name, *args))} times, "
                                     f"expected {count}; all runs: {self.runs}")
            time.sleep(0.02)
        runs = self.of(name, *args)
        assert [state for _, state in runs] == ["SUCCESS"] * len(runs), runs
        return [retval for retval, _ in runs]


@pytest.fixture
def task_runs():
    runs = TaskRuns()
    task_postrun.connect(runs, weak=False)
    yield runs
    task_postrun.disconnect(runs)


@pytest.fixture(scope="module")
def redis_app(app, database_url, tmp_path_factory):
    """An app whose tasks go through Redis, with a worker consuming them in a thread.

    ``app`` is asked for first: it migrates the suite's database, which this app shares.
    """
    require_service("Redis", "127.0.0.1", 6379)
    # A queue of this run's own: two runs at once (a developer's and the lead's, or both halves)
    # would otherwise take each other's tasks to workers on other databases. Only its keys are
    # cleared, not the whole Redis database, which another run may be using.
    queue = f"countdown-test-{os.getpid()}"
    broker = redis.Redis.from_url(REDIS_URL)

    def clear_queue() -> None:
        for key in broker.scan_iter(match=f"*{queue}*"):
            broker.delete(key)

    clear_queue()
    with separate_app(
        database_url, tmp_path_factory.mktemp("worker-instance"),
        REDIS_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="0",
    ) as worker_app:
        celery = worker_app.extensions["celery"]
        assert not celery.conf.task_always_eager and celery.conf.broker_url == REDIS_URL
        celery.conf.task_default_queue = queue
        celery.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            assert broker.exists(f"_kombu.binding.{queue}")
            yield worker_app
    clear_queue()
    broker.close()


@pytest.fixture
def worker_app(redis_app, task_runs, monkeypatch):
    providers = redis_app.extensions["countdown_messaging"]
    monkeypatch.setitem(providers, Channel.EMAIL, CountingProvider(providers[Channel.EMAIL]))
    with redis_app.app_context():
        try:
            yield redis_app
        finally:
            db.session.remove()
            empty_tables()


def send(app, task_name: str, *args) -> None:
    app.extensions["celery"].tasks[task_name].apply_async(args=args)


def emailed(app) -> list[int]:
    return app.extensions["countdown_messaging"][Channel.EMAIL].sent


@pytest.mark.redis
def test_worker_expires_a_lapsed_hold_and_offers_the_seat(worker_app, task_runs):
    make = Factory()
    flight = make.flight(seat_count=1)
    holder, waiting = make.user(), make.user()
    hold = bookings.hold_seat(flight.id, holder)
    entry = bookings.join_waitlist(flight.id, waiting)
    ids = dict(flight=flight.id, hold=hold.id, entry=entry.id, waiting=waiting.id)
    waiting_email = waiting.email
    hold.hold_expires_at = now_utc() - timedelta(minutes=1)
    commit()
    db.session.remove()
    assert db.session.get(Booking, ids["hold"]).state is BookingState.HELD
    assert db.session.scalar(select(OutboundMessage.id).where(
        OutboundMessage.user_id == ids["waiting"])) is None
    db.session.remove()

    send(worker_app, "countdown.expire_holds")

    def offer_message(channel: Channel) -> OutboundMessage | None:
        return db.session.scalar(select(OutboundMessage).where(
            OutboundMessage.user_id == ids["waiting"], OutboundMessage.rule == "waitlist_offer",
            OutboundMessage.channel == channel,
        ))

    def offered():
        entry = db.session.get(WaitlistEntry, ids["entry"])
        message, in_app = offer_message(Channel.EMAIL), offer_message(Channel.IN_APP)
        sent = all(m is not None and m.status is MessageStatus.SENT for m in (message, in_app))
        if entry.state is WaitlistState.OFFERED and sent:
            return entry, message, in_app

    entry, message, in_app = wait_for(offered, what="the waiting tourist's offer to be sent")
    assert task_runs.wait("countdown.expire_holds") == [1]
    expired = db.session.get(Booking, ids["hold"])
    assert expired.state is BookingState.EXPIRED
    assert [(e.from_state, e.to_state, e.reason) for e in expired.events] == [
        (None, BookingState.HELD, "seat held"),
        (BookingState.HELD, BookingState.EXPIRED, "hold expired"),
    ]
    offer = entry.booking
    assert offer.user_id == ids["waiting"] and offer.flight_id == ids["flight"]
    assert offer.hold_is_live() and offer.hold_expires_at > now_utc() + timedelta(hours=23)
    assert bookings.seats_taken(ids["flight"]) == 1
    assert (message.kind, message.recipient, message.provider) == (
        "waitlist_offer", waiting_email, "outbox"
    )
    assert message.attempts == 1 and message.sent_at is not None
    assert f"http://countdown.test/bookings/{offer.reference}" in message.body
    assert (in_app.provider, in_app.attempts) == ("in_app", 1)
    # The offer is told on the channels of the "bookings" category: email and in the app (no
    # phone number, so no SMS), in one send task, written after the commit.
    assert task_runs.wait("countdown.deliver_messages", sorted([message.id, in_app.id])) == [2]
    assert emailed(worker_app) == [message.id]


@pytest.mark.redis
def test_worker_passes_a_lapsed_training_offer_to_the_next_in_line(worker_app, task_runs):
    make = Factory()
    booking = make.booking(days=60)
    t = make.training(vehicle=booking.flight.vehicle, capacity=1)
    holder = make.booking(days=60, vehicle=booking.flight.vehicle)
    second = make.booking(days=60, vehicle=booking.flight.vehicle)
    taken = training_places.book_place(t.classroom_session.id, holder, holder.user)
    offered = training_places.join_waitlist(t.classroom_session.id, booking, booking.user)
    behind = training_places.join_waitlist(t.classroom_session.id, second, second.user)
    training_places.cancel_place(taken, holder.user)
    offered.offer_expires_at = now_utc() - timedelta(minutes=1)  # not taken in time
    ids = dict(offered=offered.id, behind=behind.id, user=second.user_id)
    commit()
    db.session.remove()

    send(worker_app, "countdown.expire_training_offers")

    def passed_on():
        place = db.session.get(SessionPlace, ids["behind"])
        db.session.refresh(place)
        message = db.session.scalar(select(OutboundMessage).where(
            OutboundMessage.user_id == ids["user"], OutboundMessage.rule == "training_place_offered",
            OutboundMessage.channel == Channel.EMAIL))
        if place.state is PlaceState.OFFERED and message is not None and message.status is MessageStatus.SENT:
            return place, message

    place, message = wait_for(passed_on, what="the next tourist's training offer to be sent")
    assert task_runs.wait("countdown.expire_training_offers") == [1]
    assert db.session.get(SessionPlace, ids["offered"]).state is PlaceState.LAPSED
    assert place.offer_expires_at > now_utc() and message.attempts == 1


@pytest.mark.redis
def test_worker_escalates_a_late_desk_conversation_once(worker_app, task_runs):
    """The beat's sweep on a real worker: a question past its response target is escalated to
    operations by email (delivered after the commit), once however often the sweep runs."""
    make = Factory()
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    late = conversations.start(tourist, topic=Topic.BOOKING, subject="Refund?", body="Where is my refund?",
                               now=now_utc() - timedelta(days=3))
    on_time = conversations.start(tourist, topic=Topic.TRAVEL, subject="Hotel", body="Which hotel?")
    ids = dict(late=late.id, on_time=on_time.id, ops=ops.id)
    commit()
    db.session.remove()

    send(worker_app, "countdown.escalate_desk_breaches")
    assert task_runs.wait("countdown.escalate_desk_breaches") == [1]

    def told():
        mail = db.session.scalar(select(OutboundMessage).where(
            OutboundMessage.user_id == ids["ops"], OutboundMessage.kind == "desk_escalated"))
        if mail is not None and mail.status is MessageStatus.SENT:
            return mail

    mail = wait_for(told, what="operations' escalation email to be sent")
    assert f"#{ids['late']}" in mail.subject and "Where is my refund?" not in mail.body
    assert f"http://countdown.test/desk/{ids['late']}" in mail.body
    assert db.session.get(Conversation, ids["late"]).breached_at is not None
    assert db.session.get(Conversation, ids["on_time"]).breached_at is None
    db.session.remove()
    send(worker_app, "countdown.escalate_desk_breaches")
    assert task_runs.wait("countdown.escalate_desk_breaches", count=2) == [1, 0]
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.kind == "desk_escalated")) == 1


@pytest.mark.redis
def test_a_worker_builds_a_data_export_and_carries_out_an_erasure(worker_app, task_runs):
    """Privacy on a real worker: the export asked for in a request is built after the commit and
    the tourist emailed its link; a confirmed erasure is carried out part by part to the end."""
    from app.models import DataExport, ErasureRequest, ErasureState, ExportState, User
    from app.privacy import erasure, exports

    make = Factory()
    with worker_app.test_request_context("/account/privacy/export", method="POST"):
        tourist, ops = make.user(name="Vera Export"), make.user(Role.OPERATIONS)
        make.booking(tourist)
        export_id, ops_id = exports.request_export(tourist).id, ops.id
        commit()
    db.session.remove()
    assert task_runs.wait("countdown.build_data_export", export_id) == [True]
    export = db.session.get(DataExport, export_id)
    assert export.state is ExportState.READY and export.size > 0
    link = wait_for(lambda: db.session.scalar(select(OutboundMessage).where(
        OutboundMessage.kind == "privacy_export_ready", OutboundMessage.channel == Channel.EMAIL,
        OutboundMessage.status == MessageStatus.SENT)), what="the export's email to be sent")
    assert f"/account/privacy/exports/{export_id}/" in link.body
    tourist_id = export.user_id
    db.session.remove()

    with worker_app.test_request_context("/ops/privacy", method="POST"):
        request_id = erasure.request_erasure(db.session.get(User, tourist_id), "", agreed=True).id
        erasure.confirm(request_id, db.session.get(User, ops_id))
        commit()
    db.session.remove()
    parts = task_runs.wait("countdown.erase_personal_data", request_id, timeout=30)
    assert parts[0] >= 10  # every part, in one run
    assert db.session.get(ErasureRequest, request_id).state is ErasureState.DONE
    erased = db.session.get(User, tourist_id)
    assert erased.name != "Vera Export" and not erased.active
    assert db.session.scalar(select(Booking.state).where(Booking.user_id == tourist_id)) is BookingState.CANCELLED


@pytest.mark.redis
def test_a_message_queued_in_a_request_is_delivered_once_after_commit(worker_app, task_runs):
    make = Factory()
    with worker_app.test_request_context("/forgot-password", method="POST"):
        user = make.user()
        message = outbox.queue_email(
            "password_reset", user=user, url="http://countdown.test/reset/token", minutes=60
        )
        message_id = message.id
        assert message.status is MessageStatus.QUEUED
        # A task sent before the commit would run now, find no row and deliver nothing (on
        # PostgreSQL; on SQLite the worker would wait for this transaction's write lock).
        time.sleep(0.3)
        commit()
        # The same task once more, at once, as a broker redelivery would send it.
        send(worker_app, "countdown.deliver_messages", [message_id])

    # The first run delivers; the second finds the message settled and sends nothing.
    assert task_runs.wait("countdown.deliver_messages", [message_id], count=2) == [1, 0]
    db.session.remove()
    message = db.session.get(OutboundMessage, message_id)
    assert message.status is MessageStatus.SENT
    assert message.attempts == 1 and message.provider == "outbox" and message.sent_at is not None
    assert message.subject == "Choose a new Countdown password"
    assert emailed(worker_app) == [message_id]


@pytest.mark.redis
def test_the_dispatcher_sends_what_is_due_and_what_a_dead_worker_left(worker_app, task_runs):
    """``countdown.dispatch_due_messages`` (beat runs it every few seconds) first puts back what
    a dead worker left (claims and sends older than the lease), then claims the due rows and
    hands them to ``countdown.deliver_messages``."""
    user = Factory().user()
    now = now_utc()
    lease = timedelta(seconds=worker_app.config["MESSAGE_LEASE_SECONDS"])
    long_ago = now - lease - timedelta(minutes=1)

    def row(**kw) -> OutboundMessage:
        message = OutboundMessage(channel=Channel.EMAIL, user_id=user.id, recipient=user.email,
                                  subject="Hello", body="Hello\n", kind="test", **kw)
        db.session.add(message)
        return message

    rows = {
        # Due, but its send task never came (the broker was down at commit time).
        "lost": row(send_at=now - timedelta(minutes=5), created_at=now - timedelta(minutes=5)),
        # A reminder for later: not due yet.
        "later": row(send_at=now + timedelta(hours=1)),
        # Claimed by a dispatcher that died before handing it to a send task.
        "stale claim": row(send_at=long_ago, status=MessageStatus.CLAIMED, claimed_at=long_ago),
        # Claimed just now by another dispatcher: its send task is on its way.
        "fresh claim": row(send_at=now, status=MessageStatus.CLAIMED, claimed_at=now),
        # A send cut off by a dead worker: the provider cannot say it has it, so it is sent again.
        "interrupted": row(send_at=long_ago, status=MessageStatus.SENDING, claimed_at=long_ago, attempts=1),
        # Cut off too often: given up, for operations to look at.
        "given up": row(send_at=long_ago, status=MessageStatus.SENDING, claimed_at=long_ago,
                        attempts=delivery.MAX_ATTEMPTS),
    }
    db.session.flush()
    ids = {name: message.id for name, message in rows.items()}
    db.session.commit()  # no task sent
    db.session.remove()  # on SQLite an open transaction would hold the worker up

    send(worker_app, "countdown.dispatch_due_messages")

    assert task_runs.wait("countdown.dispatch_due_messages") == [3]
    delivered = sorted([ids["lost"], ids["stale claim"], ids["interrupted"]])
    assert task_runs.wait("countdown.deliver_messages", delivered) == [3]
    db.session.remove()
    status = {name: db.session.get(OutboundMessage, i) for name, i in ids.items()}
    assert {name: m.status for name, m in status.items()} == {
        "lost": MessageStatus.SENT, "later": MessageStatus.QUEUED,
        "stale claim": MessageStatus.SENT, "fresh claim": MessageStatus.CLAIMED,
        "interrupted": MessageStatus.SENT, "given up": MessageStatus.FAILED,
    }
    assert {name: m.attempts for name, m in status.items()} == {
        "lost": 1, "later": 0, "stale claim": 1, "fresh claim": 0, "interrupted": 2,
        "given up": delivery.MAX_ATTEMPTS,
    }
    assert status["interrupted"].note == "delivery was interrupted; sending again"
    assert status["given up"].error == "delivery was interrupted too many times"
    assert emailed(worker_app) == delivered

    # Nothing else is due: the next run claims nothing.
    db.session.remove()
    send(worker_app, "countdown.dispatch_due_messages")
    assert task_runs.wait("countdown.dispatch_due_messages", count=2) == [3, 0]
    db.session.remove()


def test_the_embedded_broker_carries_tasks_to_a_worker(app, database_url, tmp_path, task_runs):
    """No Redis: the default broker is kombu's SQLAlchemy transport on a SQLite file."""
    instance = tmp_path / "instance"
    with separate_app(database_url, instance, CELERY_TASK_ALWAYS_EAGER="0") as embedded:
        celery = embedded.extensions["celery"]
        assert celery.conf.broker_url == f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
        celery.conf.worker_hijack_root_logger = False
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            with embedded.app_context():
                user = Factory().user()
                message_id = outbox.queue_email(
                    "password_reset", user=user, url="http://countdown.test/reset/t", minutes=60
                ).id
                commit()
                message = wait_for(
                    lambda: db.session.scalar(select(OutboundMessage).where(
                        OutboundMessage.id == message_id,
                        OutboundMessage.status == MessageStatus.SENT,
                    )),
                    timeout=20, what="the message to be delivered through the embedded broker",
                )
                assert message.attempts == 1
                assert task_runs.wait("countdown.deliver_messages", [message_id]) == [1]
                db.session.remove()
