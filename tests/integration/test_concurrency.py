"""Many tourists at the last seats at once: exactly the free seats are held, never one more.

Each attempt runs in its own thread, app context, session and database connection, and all are
released together by a barrier. On PostgreSQL they queue on the flight row's ``FOR UPDATE`` lock;
on SQLite on the write lock that ``BEGIN IMMEDIATE`` takes. Data is committed for real
(``committed_db``), and the attempts run through a second app over the same database whose
connection pool is wide enough for every thread to hold a connection at the same moment.

The same goes for a message that several workers try to deliver at once: it is sent once.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from app.accounts import accounts
from app.booking import bookings
from app.extensions import db
from app.messaging import delivery, outbox
from app.models import (
    Booking,
    BookingEvent,
    BookingState,
    Channel,
    Flight,
    MessageStatus,
    OutboundMessage,
    User,
)
from tests.conftest import Factory
from tests.integration.support import (
    CountingProvider,
    add_tourists,
    live_server,
    open_connections,
    race,
    separate_app,
)

RACES = [
    pytest.param(60, 3, marks=pytest.mark.postgres, id="60-tourists-3-seats"),
    pytest.param(12, 2, id="12-tourists-2-seats"),
]
MAX_THREADS = 60


@pytest.fixture(scope="module")
def wide_app(app, database_url, tmp_path_factory):
    """A second app over the suite's (already migrated) database with a wide connection pool."""
    pool = {
        "pool_pre_ping": True, "pool_size": MAX_THREADS + 5, "max_overflow": 0, "pool_timeout": 30
    }
    with separate_app(
        database_url, tmp_path_factory.mktemp("wide-instance"),
        config={"SQLALCHEMY_ENGINE_OPTIONS": pool}, empty=False,  # committed_db empties the tables
    ) as wide:
        yield wide


def _setup(attempts: int, seats: int) -> tuple[int, list[int]]:
    flight = Factory().flight(seat_count=seats)
    ids = flight.id, [u.id for u in add_tourists(attempts)]
    db.session.commit()
    # Nothing of this session may stay open: on SQLite an open transaction holds the write lock.
    db.session.remove()
    return ids


def _check_database(flight_id: int, seats: int, winners: dict[int, int]) -> None:
    """``winners`` maps user id -> booking id, as the threads saw it."""
    db.session.remove()
    rows = db.session.execute(
        select(Booking.id, Booking.user_id, Booking.state).where(Booking.flight_id == flight_id)
    ).all()
    assert len(rows) == seats, f"{len(rows)} bookings for {seats} seats: {rows}"
    assert all(state is BookingState.HELD for _, _, state in rows)
    assert {user_id: booking_id for booking_id, user_id, _ in rows} == winners
    assert bookings.seats_taken(flight_id) == seats
    flight = db.session.get(Flight, flight_id)
    assert bookings.seat_counts([flight])[flight_id].free == 0

    events = db.session.execute(
        select(BookingEvent.booking_id, BookingEvent.from_state, BookingEvent.to_state,
               BookingEvent.actor_id)
        .join(Booking, Booking.id == BookingEvent.booking_id).where(Booking.flight_id == flight_id)
    ).all()
    assert sorted(events) == sorted(
        (booking_id, None, BookingState.HELD, user_id) for user_id, booking_id in winners.items()
    ), "each hold writes exactly one event, new -> held, by the tourist"


@pytest.mark.parametrize("attempts, seats", RACES)
def test_concurrent_holds_never_oversell(committed_db, wide_app, attempts, seats):
    flight_id, user_ids = _setup(attempts, seats)

    def hold(user_id: int) -> tuple[str, int]:
        # The user is loaded only now: on SQLite the first query takes the write lock.
        return "held", bookings.hold_seat(flight_id, db.session.get(User, user_id)).id

    outcomes = race(wide_app, user_ids, hold, bookings.SoldOut, "sold out")

    kinds = Counter(kind for kind, _ in outcomes.values())
    assert kinds == {"held": seats, "sold out": attempts - seats}, [
        o for o in outcomes.values() if o[0] not in ("held", "sold out")
    ] or kinds
    winners = {uid: booking_id for uid, (kind, booking_id) in outcomes.items() if kind == "held"}
    _check_database(flight_id, seats, winners)


# -- the same through real HTTP requests ----------------------------------------------------------

def _logged_in(app, user: User, session_token: str) -> tuple[str, str]:
    """A signed session cookie of ``user`` and its CSRF token, as after a real login.

    Made directly, without the login form, to skip one scrypt check per tourist.
    """
    with app.test_request_context():
        session[accounts.SESSION_KEY] = session_token
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return cookie, token


def _flashes(app, response: requests.Response) -> list[tuple[str, str]]:
    cookie = response.cookies.get("session")
    if cookie is None:
        return []
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    return [tuple(f) for f in data.get("_flashes", [])]


@pytest.mark.parametrize("attempts, seats", RACES)
def test_concurrent_hold_requests_never_oversell(committed_db, wide_app, attempts, seats):
    flight_id, user_ids = _setup(attempts, seats)
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    session_tokens = {u.id: accounts.open_session(u) for u in users}
    db.session.commit()
    credentials = {u.id: _logged_in(wide_app, u, session_tokens[u.id]) for u in users}
    db.session.remove()
    open_connections(wide_app, attempts)
    barrier = threading.Barrier(attempts, timeout=30)

    with live_server(wide_app) as base_url:
        def attempt(user_id: int) -> requests.Response:
            cookie, token = credentials[user_id]
            with requests.Session() as http:
                http.cookies.set("session", cookie, domain="127.0.0.1")
                barrier.wait()
                return http.post(
                    f"{base_url}/flights/{flight_id}/hold", data={"csrf_token": token},
                    allow_redirects=False, timeout=60,
                )

        with ThreadPoolExecutor(max_workers=attempts) as pool:
            responses = dict(zip(user_ids, pool.map(attempt, user_ids)))

    assert {r.status_code for r in responses.values()} == {302}
    db.session.remove()
    references = dict(db.session.execute(
        select(Booking.user_id, Booking.reference).where(Booking.flight_id == flight_id)
    ).all())
    winners, losers = {}, []
    for user_id, response in responses.items():
        location = response.headers["Location"]
        if location.endswith("/consent"):
            assert location.endswith(f"/bookings/{references[user_id]}/consent")
            winners[user_id] = references[user_id]
        else:
            assert location.endswith(f"/flights/{flight_id}"), location
            losers.append(user_id)
            assert _flashes(wide_app, response) == [
                ("warning", "This flight is sold out. You can join the waiting list.")
            ]
    assert len(winners) == seats and len(losers) == attempts - seats
    assert set(references) == set(winners)
    booking_ids = dict(db.session.execute(
        select(Booking.user_id, Booking.id).where(Booking.flight_id == flight_id)
    ).all())
    _check_database(flight_id, seats, booking_ids)
    assert db.session.scalar(select(func.count(Booking.id))) == seats


# -- one message, many deliverers -----------------------------------------------------------------

def test_concurrent_deliveries_hand_a_message_over_once(committed_db, wide_app, monkeypatch):
    """Redelivered tasks and the sweep may run ``deliver`` at the same moment on several workers."""
    deliverers = 8
    user = add_tourists(1, prefix="reader")[0]
    message_id = outbox.queue_email(
        "password_reset", user=user, url="http://countdown.test/reset/token", minutes=60
    ).id
    db.session.commit()  # committed_db: not app.transactions.commit(), so no task is sent
    db.session.remove()
    providers = wide_app.extensions["countdown_messaging"]
    provider = CountingProvider(providers[Channel.EMAIL], delay=0.2)
    monkeypatch.setitem(providers, Channel.EMAIL, provider)
    open_connections(wide_app, deliverers)
    barrier = threading.Barrier(deliverers, timeout=30)

    def deliver(_) -> MessageStatus | None:
        with wide_app.app_context():
            try:
                barrier.wait()
                return delivery.deliver(message_id)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=deliverers) as pool:
        results = list(pool.map(deliver, range(deliverers)))

    assert Counter(results) == {MessageStatus.SENT: 1, None: deliverers - 1}
    assert provider.sent == [message_id]
    message = db.session.get(OutboundMessage, message_id)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


# -- many STOPs from one number at the same moment ------------------------------------------------

def test_stops_from_one_number_at_the_same_moment_record_one_opt_out(committed_db, wide_app, monkeypatch):
    """Twilio may deliver several STOPs (and retries) from one phone at once: each is answered,
    and the number is opted out once (before, all but one failed on the opt-out's primary key)."""
    from twilio.request_validator import RequestValidator

    from app.models import SmsOptOut

    token, phone, attempts = "twilio-test-auth-token-0123456789", "+12025550123", 8
    monkeypatch.setitem(wide_app.config, "TWILIO_AUTH_TOKEN", token)
    url = wide_app.config["BASE_URL"].rstrip("/") + "/webhooks/twilio/inbound"
    open_connections(wide_app, attempts)
    barrier = threading.Barrier(attempts, timeout=30)

    with live_server(wide_app) as base_url:
        def attempt(i: int) -> requests.Response:
            sid = f"SM{i:032d}"
            params = {"MessageSid": sid, "SmsSid": sid, "From": phone, "To": "+15005550006",
                      "Body": "STOP" if i % 2 else "stop", "AccountSid": "AC" + "0" * 32}
            signature = RequestValidator(token).compute_signature(url, params)
            barrier.wait()
            return requests.post(f"{base_url}/webhooks/twilio/inbound", data=params,
                                 headers={"X-Twilio-Signature": signature}, timeout=60)

        with ThreadPoolExecutor(max_workers=attempts) as pool:
            responses = list(pool.map(attempt, range(attempts)))

    assert [r.status_code for r in responses] == [200] * attempts, [r.text[:200] for r in responses]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(SmsOptOut).where(SmsOptOut.phone == phone)) == 1
