"""``make bench``: seed PostgreSQL at scale, serve the app with gunicorn, load every page users work in, report.

1. Drop and re-create the bench database, run the real migrations, and seed it with bulk inserts
   (10,000 tourists, 200 flights, bookings in every state, documents signed and acknowledged, briefings in two
   languages opened by some, a waiting list, 1,000 medical cases in every state with their answers, events,
   assessments and access log, training sessions with their places, and 5,000 desk conversations).
2. Start gunicorn (2 sync workers, production settings) on a free loopback port; wait for /healthz.
3. Log a few seeded tourists and the staff in, then load every page of ``PAGES`` (the tourists'
   /journey, /documents and /training; the medic's review queue, list of tourists and a
   questionnaire's translation; the instructor's roster; operations' documents, a document and an
   80-seat flight's documents table and readiness matrix; the coordinator's day; the desk's inbox) with a
   closed loop of client threads (each sends its next request when the previous one is answered): a warm-up per
   page, then a fixed measuring time per page, cut into slices that the pages take in turns so
   that other work on the machine disturbs all of them alike.
4. Print requests per second, p50/p95/p99 latency, each page's throughput as a share of /healthz's,
   the SQL statements each page runs, the server's CPU time per request and how busy the rest of
   the machine was, and pass/fail against the targets. Exits 0 when a target is missed: this is a
   measurement, not a test. Exits 1 only when the bench itself could not run.
5. Stop gunicorn and remove the temporary directory, also on Ctrl-C and errors.
6. Then measure how many due reminders two Celery workers send per second, none twice
   (``scripts/bench_reminders.py``; ``--skip-reminders`` leaves it out).

Every setting has an option and an environment variable (``python -m scripts.bench --help``;
the reminders' in ``python -m scripts.bench_reminders --help``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from scripts.bench_support import (
    DEFAULT_REDIS_URL,
    REPO,
    TICK,
    add_seed_option,
    bench_parser,
    bulk_insert,
    children,
    die_with_parent,
    interrupt_on_signals,
    machine_jiffies,
    migrate,
    pg_connect,
    process_jiffies,
    production_env,
    redis_answers,
    reset_database,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/countdown_bench"
BENCH_PASSWORD = "countdown-bench-password"
EMAIL_DOMAIN = "bench.example.com"

TARGET_RATIO = 0.30      # each page at least 30% of /healthz's throughput
TARGET_P95_MS = 50.0     # and a p95 latency under 50 ms

#: The flight whose operations pages are measured: 80 seats, most of them sold.
BIG_FLIGHT_ID = 1
#: The big flight's launch-day briefing (the first document after the three for every flight).
BRIEFING_ID = 4
PAGES = ("/healthz", "/flights", "/journey", "/documents", "/training", "/travel", "/medical/queue",
         "/medical/tourists", "/medical/questionnaires/1/translations/de", "/instructor",
         f"/ops/flights/{BIG_FLIGHT_ID}/documents", "/ops/documents", f"/ops/documents/{BRIEFING_ID}", "/logistics",
         f"/ops/flights/{BIG_FLIGHT_ID}/readiness", "/launch/<token>/live", "/desk", "/desk/1", "/conversations",
         "/account/privacy", "/account/privacy/erasure", "/ops/privacy", "/ops/privacy/erasure/1")
#: The launch page's live part (polled by every tourist and family on launch day): its address
#: holds a token made from the server's secret key, put in when the bench knows it (see ``resolve``).
LIVE_PAGE = "/launch/<token>/live"
#: Pages with a target of their own, as a share of /healthz's throughput (polled: it must be cheap).
TARGET_RATIOS = {LIVE_PAGE: 0.50}
#: Pages of the logged-in tourists (each client thread cycles through its own).
TOURIST_PAGES = ("/journey", "/documents", "/training", "/travel", "/conversations", "/account/privacy",
                 "/account/privacy/erasure")
MEDIC_EMAIL = f"medic@{EMAIL_DOMAIN}"
INSTRUCTOR_EMAIL = f"instructor@{EMAIL_DOMAIN}"
OPS_EMAIL = f"ops@{EMAIL_DOMAIN}"
COORDINATOR_EMAIL = f"coordinator@{EMAIL_DOMAIN}"
#: The bench instructor's roster: this many sessions in the coming weeks.
ROSTER_SESSIONS = 20


# -- settings -------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = bench_parser("python -m scripts.bench", __doc__, "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    p.add_argument("--tourists", type=int, default=int(env.get("BENCH_TOURISTS", 10_000)),
                   help="tourist accounts to seed (env BENCH_TOURISTS)")
    p.add_argument("--flights", type=int, default=int(env.get("BENCH_FLIGHTS", 200)),
                   help="flights to seed (env BENCH_FLIGHTS)")
    p.add_argument("--workers", type=int, default=int(env.get("BENCH_WORKERS", 2)),
                   help="gunicorn workers (env BENCH_WORKERS)")
    p.add_argument("--concurrency", type=int, default=int(env.get("BENCH_CONCURRENCY", 4)),
                   help="client threads, each with one request in flight (env BENCH_CONCURRENCY)")
    p.add_argument("--warmup", type=float, default=float(env.get("BENCH_WARMUP", 3)),
                   help="seconds of unmeasured load before each page (env BENCH_WARMUP)")
    p.add_argument("--duration", type=float, default=float(env.get("BENCH_DURATION", 15)),
                   help="seconds measured per page (env BENCH_DURATION)")
    p.add_argument("--rounds", type=int, default=int(env.get("BENCH_ROUNDS", 3)),
                   help="the measured time of each page is cut into this many slices, the pages "
                        "taking turns (env BENCH_ROUNDS)")
    p.add_argument("--journey-tourists", type=int, default=int(env.get("BENCH_JOURNEY_TOURISTS", 24)),
                   help="distinct logged-in tourists whose /journey is loaded (env BENCH_JOURNEY_TOURISTS)")
    p.add_argument("--medical-cases", type=int, default=int(env.get("BENCH_MEDICAL_CASES", 1_000)),
                   help="medical cases (tourists with bookings, mixed states) behind /medical/queue "
                        "(env BENCH_MEDICAL_CASES)")
    p.add_argument("--conversations", type=int, default=int(env.get("BENCH_CONVERSATIONS", 5_000)),
                   help="desk conversations (every state and topic) behind /desk (env BENCH_CONVERSATIONS)")
    p.add_argument("--broker", choices=("auto", "redis", "sqlite"), default=env.get("BENCH_BROKER", "auto"),
                   help="Celery broker the server's /healthz checks: Redis db 15, or the embedded "
                        "sqla+sqlite broker in the temp dir; auto = Redis when it answers (env BENCH_BROKER)")
    add_seed_option(p)
    p.add_argument("--keep-logs", action="store_true",
                   help="keep the temporary directory with the gunicorn log (the server is stopped anyway)")
    p.add_argument("--skip-reminders", action="store_true",
                   default=env.get("BENCH_SKIP_REMINDERS", "") not in ("", "0"),
                   help="measure the pages only, not the reminders sent per second (env BENCH_SKIP_REMINDERS=1)")
    return p.parse_args(argv)


# -- database: reset, migrate, seed ---------------------------------------------------------------

def server_env(args: argparse.Namespace, tmp: Path, broker: str) -> dict[str, str]:
    """The environment of the served app (and of the app this script migrates and seeds with)."""
    if broker == "redis":
        broker_url = DEFAULT_REDIS_URL
    else:
        broker_url = f"sqla+sqlite:///{tmp / 'instance' / 'celery-broker.sqlite'}"
    return production_env(
        args.database_url, tmp, broker_url,
        SESSION_COOKIE_SECURE="0",   # plain http on loopback
        RATELIMIT_ENABLED="0",       # the bench logs many tourists in from one address
    )


def choose_broker(choice: str) -> str:
    if choice != "auto":
        return choice
    return "redis" if redis_answers(DEFAULT_REDIS_URL) else "sqlite"


FIRST_NAMES = ("Ada", "Yuri", "Valentina", "Sally", "Mae", "Chris", "Peggy", "Tim", "Samantha", "Luca",
               "Sunita", "Koichi", "Ilan", "Anousheh", "Dennis", "Mark", "Helen", "Guy", "Richard",
               "Wally", "Jared", "Hayley", "Sian", "Laura", "Raja", "Nora", "Thomas", "Aisha", "Mei",
               "Omar", "Ingrid", "Pablo", "Zara", "Kenji", "Amara", "Felix", "Lena", "Marco", "Priya")
LAST_NAMES = ("Lovelace", "Gagarin", "Tereshkova", "Ride", "Jemison", "Hadfield", "Whitson", "Peake",
              "Cristoforetti", "Parmitano", "Williams", "Wakata", "Ramon", "Ansari", "Tito", "Shuttleworth",
              "Sharman", "Laliberte", "Garriott", "Funk", "Isaacman", "Arceneaux", "Proctor", "Shepard",
              "Chari", "Okafor", "Pesquet", "Haddad", "Zhang", "Nakamura", "Lindqvist", "Moreno")
LANGUAGES = ("en",) * 14 + ("de", "es", "fr", "it", "pt", "de")
TIMEZONES = ("UTC", "America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
             "Europe/Madrid", "Asia/Tokyo", "Asia/Dubai", "Australia/Sydney", "America/Sao_Paulo")
# vehicle, spaceport, seats (min, max), price in minor units, currency, window hours
VEHICLES = (
    ("Suborbital spaceplane SV-2", "Spaceport America, New Mexico", (6, 8), 450_000_00, "USD", 72),
    ("Suborbital capsule New Horizon", "Launch Site One, Texas", (6, 6), 500_000_00, "USD", 48),
    ("Stratospheric balloon Neptune", "Space Coast Spaceport, Florida", (8, 16), 125_000_00, "USD", 48),
    ("Stratospheric balloon Boreas", "Esrange Space Center, Sweden", (8, 16), 110_000_00, "EUR", 72),
    ("Stratospheric airship Zephyr", "Spaceport Cornwall, United Kingdom", (40, 80), 60_000_00, "GBP", 96),
    ("Suborbital shuttle SV-8", "Mohammed bin Rashid Space Centre, Dubai", (12, 24), 1_650_000_00, "AED", 72),
    ("Orbital cruiser Halcyon", "Kennedy Space Center LC-39A, Florida", (24, 48), 8_000_000_00, "USD", 96),
    ("Crew capsule Aurora", "Kennedy Space Center LC-39A, Florida", (4, 4), 55_000_000_00, "USD", 96),
)
FLIGHT_NAMES = ("Kármán Dawn", "Stratos Sunrise", "Aurora Orbit", "Polar Light", "Kármán Twilight",
                "Blue Marble", "Night Side", "Terminator Line", "Perigee", "High Frontier",
                "Solstice", "Equinox", "Mesosphere", "Zenith", "Cupola View", "Noctilucent")


@dataclass
class SeedResult:
    counts: dict[str, int]
    live_per_tourist: Counter
    journey_emails: list[str]
    seconds: float


def seed(app, args: argparse.Namespace) -> SeedResult:
    """Bulk-insert realistic data through Core ``insert()`` on the models' tables."""
    from werkzeug.security import generate_password_hash

    from app.documents.documents import text_hash
    from app.models import (
        Acceptance,
        Booking,
        BookingEvent,
        BookingState,
        Document,
        DocumentEvent,
        DocumentKind,
        DocumentScope,
        DocumentText,
        DocumentVersion,
        Flight,
        FlightStatus,
        Role,
        User,
        WaitlistEntry,
        WaitlistState,
    )
    from app.models.desk import Conversation, ConversationMessage
    from app.models.medical import Answer, Assessment, MedicalAccess, MedicalCase
    from app.models.training import SessionPlace, TrainingSession
    from app.models.travel import Segment, TravelDocument
    from app.seed import CONSENT_TEXT, CONSENT_TITLE
    from app.timeutil import now_utc

    started = time.perf_counter()
    rng = random.Random(args.seed)
    now = now_utc()
    password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")  # once, for everyone

    # Users: tourists 1..N, then one operations account that published the consent document.
    users: list[dict[str, Any]] = []
    names: dict[int, str] = {}
    for i in range(1, args.tourists + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        names[i] = name
        created = now - timedelta(days=rng.uniform(1, 900))
        users.append({
            "id": i, "email": f"tourist{i:05d}@{EMAIL_DOMAIN}", "password_hash": password_hash,
            "name": name, "phone": f"+1 555 {rng.randint(1000000, 9999999)}",
            "date_of_birth": date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            "language": rng.choice(LANGUAGES), "timezone": rng.choice(TIMEZONES),
            "role": Role.TOURIST, "active": True, "created_at": created, "password_changed_at": created,
        })
    ops_id = args.tourists + 1
    users.append({
        "id": ops_id, "email": OPS_EMAIL, "password_hash": password_hash,
        "name": "Gene Kranz", "phone": None, "date_of_birth": None, "language": "en",
        "timezone": "UTC", "role": Role.OPERATIONS, "active": True,
        "created_at": now - timedelta(days=1000), "password_changed_at": now - timedelta(days=1000),
    })

    doc_published = now - timedelta(days=950)
    # The consent, the waiver and the prohibited items for every flight, in English: each booking
    # that signed the consent has accepted all three (the journey shows every document gate).
    kinds = (DocumentKind.INFORMED_CONSENT, DocumentKind.WAIVER, DocumentKind.PROHIBITED_ITEMS)
    documents = [{"id": n, "kind": kind, "scope": DocumentScope.ALL, "scope_name": "", "flight_id": None,
                  "default_language": "en", "position": 0, "created_at": doc_published, "created_by_id": ops_id,
                  "archived_at": None} for n, kind in enumerate(kinds, 1)]
    versions = [{"id": d["id"], "document_id": d["id"], "version": 1, "material": True, "change_summary": "",
                 "published_at": doc_published, "published_by_id": ops_id} for d in documents]
    texts = [{"id": d["id"], "version_id": d["id"], "language": "en",
              "title": CONSENT_TITLE if d["kind"] is DocumentKind.INFORMED_CONSENT else d["kind"].value,
              "body": CONSENT_TEXT.strip(), "sha256": text_hash(CONSENT_TEXT), "change_summary": ""} for d in documents]

    flights: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    signatures: list[dict[str, Any]] = []
    waitlist: list[dict[str, Any]] = []
    references: set[str] = set()
    live_per_tourist: Counter = Counter()
    tourist_ids = range(1, args.tourists + 1)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

    def reference() -> str:
        while True:
            ref = "CD-" + "".join(rng.choice(alphabet) for _ in range(6))
            if ref not in references:
                references.add(ref)
                return ref

    def add_booking(flight_id: int, user_id: int, state: BookingState, created: datetime,
                    hold_expires: datetime | None, history: list[tuple[BookingState | None, BookingState]],
                    signed: bool) -> None:
        bid = len(bookings) + 1
        at = created
        for from_state, to_state in history:
            events.append({"id": len(events) + 1, "booking_id": bid, "from_state": from_state,
                           "to_state": to_state, "actor_id": None if to_state is BookingState.EXPIRED else user_id,
                           "reason": "bench seed", "created_at": at})
            at += timedelta(minutes=rng.uniform(1, 14))
        bookings.append({"id": bid, "reference": reference(), "flight_id": flight_id, "user_id": user_id,
                         "state": state, "hold_expires_at": hold_expires, "created_at": created,
                         "updated_at": at})
        if signed:
            for d in documents:
                signatures.append({
                    "id": len(signatures) + 1, "booking_id": bid, "user_id": user_id, "document_id": d["id"],
                    "version_id": d["id"], "version": 1, "language": "en", "text_sha256": texts[0]["sha256"],
                    "signed_name": names[user_id] if d["kind"].signed else "",
                    "accepted_at": created + timedelta(minutes=2),
                    "ip_address": "203.0.113.%d" % rng.randint(1, 254),
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) countdown-bench",
                })
        # A seat on a flight still to fly: the tourist's pages have work to show for it.
        if (state is BookingState.CONFIRMED or (
            state is BookingState.HELD and hold_expires is not None and hold_expires > now
        )) and status is not FlightStatus.FLOWN:
            live_per_tourist[user_id] += 1

    S = BookingState
    for fid in range(1, args.flights + 1):
        vehicle, spaceport, (lo, hi), price, currency, window = rng.choice(VEHICLES)
        seats = rng.randint(lo, hi)
        r = rng.random()
        if fid == BIG_FLIGHT_ID:  # the operations pages of a whole flight: an 80-seat airship, selling
            vehicle, spaceport, (lo, hi), price, currency, window = VEHICLES[4]
            seats, r = 80, 1.0
        if r < 0.12:
            status, launch = FlightStatus.FLOWN, now - timedelta(days=rng.uniform(5, 400))
        elif r < 0.15:
            status, launch = FlightStatus.CANCELLED, now + timedelta(days=rng.uniform(-100, 300))
        elif r < 0.18:
            status, launch = FlightStatus.SCRUBBED, now + timedelta(days=rng.uniform(3, 200))
        elif r < 0.25:
            status, launch = FlightStatus.DELAYED, now + timedelta(days=rng.uniform(3, 540))
        else:
            status, launch = FlightStatus.SCHEDULED, now + timedelta(days=rng.uniform(3, 540))
        launch = launch.replace(minute=0, second=0, microsecond=0)
        deposit = price // 4
        flights.append({
            "id": fid, "name": f"{rng.choice(FLIGHT_NAMES)} {fid}", "vehicle": vehicle,
            "spaceport": spaceport, "description": f"{vehicle} from {spaceport}.",
            "launch_at": launch, "window_closes_at": launch + timedelta(hours=window),
            "seat_count": seats, "price_minor": price, "currency": currency, "deposit_minor": deposit,
            "deposit_nonrefundable_minor": deposit // 5, "balance_due_days": rng.choice((30, 60, 90)),
            "status": status, "created_at": launch - timedelta(days=600),
            "updated_at": launch - timedelta(days=rng.uniform(1, 300)),
        })

        sold_out = False
        if status in (FlightStatus.SCHEDULED, FlightStatus.DELAYED):
            sold_out = rng.random() < 0.2
            live = seats if sold_out else round(seats * rng.uniform(0.15, 0.9))
            held = round(live * rng.uniform(0.05, 0.25))
            confirmed, expired, cancelled = live - held, rng.randint(0, seats), rng.randint(0, seats // 6 + 1)
        elif status is FlightStatus.FLOWN:
            live = round(seats * rng.uniform(0.6, 1.0))
            held, confirmed, expired, cancelled = 0, live, rng.randint(0, seats // 3 + 1), rng.randint(0, 2)
        elif status is FlightStatus.SCRUBBED:
            held, confirmed, expired, cancelled = 0, round(seats * rng.uniform(0.3, 0.9)), rng.randint(0, 3), rng.randint(0, 3)
        else:  # cancelled by the operator: every booking went with it
            held, confirmed, expired, cancelled = 0, 0, rng.randint(0, 3), round(seats * rng.uniform(0.3, 0.9))
        stale = 1 if status is FlightStatus.SCHEDULED and rng.random() < 0.1 else 0  # not yet swept by beat
        people = rng.sample(tourist_ids, confirmed + held + expired + cancelled + stale)
        opened = launch - timedelta(days=600)

        def booked_at() -> datetime:
            return opened + (min(now, launch) - opened) * rng.random()

        for uid in people[:confirmed]:
            add_booking(fid, uid, S.CONFIRMED, booked_at(), None, [(None, S.HELD), (S.HELD, S.CONFIRMED)], True)
        for uid in people[confirmed:confirmed + held]:
            # Holds last 15 minutes in the app, waiting-list offers a day; these end hours after the
            # run starts so that they are live for the whole measurement.
            created = now - timedelta(minutes=rng.uniform(0, 10))
            add_booking(fid, uid, S.HELD, created, now + timedelta(hours=rng.uniform(1, 24)),
                        [(None, S.HELD)], rng.random() < 0.4)
        rest = people[confirmed + held:]
        for uid in rest[:expired]:
            created = booked_at()
            add_booking(fid, uid, S.EXPIRED, created, created + timedelta(minutes=15),
                        [(None, S.HELD), (S.HELD, S.EXPIRED)], False)
        for uid in rest[expired:expired + cancelled]:
            if status is FlightStatus.CANCELLED:
                history = [(None, S.HELD), (S.HELD, S.CONFIRMED), (S.CONFIRMED, S.CANCELLED)]
            else:
                history = [(None, S.HELD), (S.HELD, S.CANCELLED)]
            add_booking(fid, uid, S.CANCELLED, booked_at(), None, history, len(history) == 3)
        for uid in rest[expired + cancelled:]:
            created = now - timedelta(hours=rng.uniform(1, 3))
            add_booking(fid, uid, S.HELD, created, created + timedelta(minutes=15), [(None, S.HELD)], False)

        if sold_out:
            on_flight = set(people)
            for _ in range(rng.randint(1, 4)):
                uid = rng.choice(tourist_ids)
                if uid in on_flight:
                    continue
                on_flight.add(uid)
                waitlist.append({"id": len(waitlist) + 1, "flight_id": fid, "user_id": uid,
                                 "state": WaitlistState.WAITING, "booking_id": None,
                                 "created_at": now - timedelta(days=rng.uniform(0, 30)), "offered_at": None})

    document_events = seed_briefings(rng, ops_id, doc_published, documents, versions, texts, bookings, signatures,
                                     now)
    tables = [
        (User.__table__, users), (Flight.__table__, flights), (Document.__table__, documents),
        (DocumentVersion.__table__, versions), (DocumentText.__table__, texts),
        (Booking.__table__, bookings), (BookingEvent.__table__, events),
        (Acceptance.__table__, signatures), (DocumentEvent.__table__, document_events),
        (WaitlistEntry.__table__, waitlist),
    ]
    medical_id = args.tourists + 2
    users.append({
        "id": medical_id, "email": MEDIC_EMAIL, "password_hash": password_hash,
        "name": "Stephanie Wilson", "phone": None, "date_of_birth": None, "language": "en",
        "timezone": "UTC", "role": Role.MEDICAL, "active": True,
        "created_at": now - timedelta(days=1000), "password_changed_at": now - timedelta(days=1000),
    })
    medical_rows = seed_medical(args, medical_id, flights, bookings, live_per_tourist, now)
    tables += medical_rows
    instructor_id = args.tourists + 3
    users.append({
        "id": instructor_id, "email": INSTRUCTOR_EMAIL, "password_hash": password_hash,
        "name": "Chris Hadfield", "phone": None, "date_of_birth": None, "language": "en",
        "timezone": "America/Denver", "role": Role.INSTRUCTOR, "active": True,
        "created_at": now - timedelta(days=1000), "password_changed_at": now - timedelta(days=1000),
    })
    users.append({**users[-1], "id": instructor_id + 1, "email": f"instructor2@{EMAIL_DOMAIN}",
                  "name": "Sunita Williams", "timezone": "UTC"})  # teaches the sessions not on the roster
    training_rows = seed_training(rng, instructor_id, ops_id, flights, bookings, now)
    tables += training_rows
    coordinator_id = instructor_id + 2
    users.append({**users[-1], "id": coordinator_id, "email": COORDINATOR_EMAIL, "name": "Valentina Rossi",
                  "role": Role.LOGISTICS, "timezone": "UTC"})
    travel_rows = seed_travel(rng, coordinator_id, flights, bookings, names, now)
    tables += travel_rows
    desk_rows = seed_desk(rng, args.conversations, [ops_id, coordinator_id, medical_id, instructor_id],
                          args.tourists, bookings, now)
    tables += desk_rows
    privacy_rows = seed_privacy(rng, ops_id, args.tourists, set(live_per_tourist), now)
    tables += privacy_rows
    bulk_insert(app, tables)

    # Tourists for /journey: 1-3 live bookings each, so the checklist has real work to do, taken
    # in turn from those with 1, 2 and 3 (most tourists have one; the others cost more to show).
    by_count = {n: sorted(uid for uid, c in live_per_tourist.items() if c == n) for n in (1, 2, 3)}
    for group in by_count.values():
        rng.shuffle(group)
    chosen: list[int] = []
    while len(chosen) < args.journey_tourists and any(by_count.values()):
        for n in (1, 2, 3):
            if by_count[n] and len(chosen) < args.journey_tourists:
                chosen.append(by_count[n].pop())
    if len(chosen) < args.journey_tourists:
        raise SystemExit("bench: not enough tourists with 1-3 live bookings; seed more flights")
    return SeedResult(
        counts={"tourists": args.tourists, "staff": 5, "flights": len(flights),
                "bookable upcoming flights": sum(
                    1 for f in flights if f["launch_at"] > now
                    and f["status"] in (FlightStatus.SCHEDULED, FlightStatus.DELAYED)),
                "bookings": len(bookings),
                "live bookings": sum(live_per_tourist.values()),
                "booking events": len(events), "document acceptances": len(signatures),
                "document events": len(document_events),
                "waiting-list entries": len(waitlist),
                "tourists with a live booking": len(live_per_tourist),
                **{name: len(rows) for name, rows in (
                    ("medical cases", dict(medical_rows)[MedicalCase.__table__]),
                    ("questionnaire answers", dict(medical_rows)[Answer.__table__]),
                    ("assessments", dict(medical_rows)[Assessment.__table__]),
                    ("medical access log rows", dict(medical_rows)[MedicalAccess.__table__]),
                    ("training sessions", dict(training_rows)[TrainingSession.__table__]),
                    ("training places", dict(training_rows)[SessionPlace.__table__]),
                    ("itinerary segments", dict(travel_rows)[Segment.__table__]),
                    ("travel documents", dict(travel_rows)[TravelDocument.__table__]),
                    ("desk conversations", dict(desk_rows)[Conversation.__table__]),
                    ("desk messages", dict(desk_rows)[ConversationMessage.__table__]),
                )}},
        live_per_tourist=Counter(live_per_tourist[uid] for uid in chosen),
        journey_emails=[f"tourist{uid:05d}@{EMAIL_DOMAIN}" for uid in chosen],
        seconds=time.perf_counter() - started,
    )


BRIEFING_TEXTS = {
    "en": ("Launch-day timeline", "\n".join(f"T-{h} h: step {h} of the launch day, where to be and what to bring."
                                            for h in range(12, 0, -1))),
    "de": ("Ablauf am Starttag", "\n".join(f"T-{h} Std.: Schritt {h} des Starttags, wo Sie sein sollen und was Sie "
                                           f"mitbringen." for h in range(12, 0, -1))),
}


def seed_briefings(rng: random.Random, ops_id: int, published: datetime, documents: list[dict],
                   versions: list[dict], texts: list[dict], bookings: list[dict], signatures: list[dict],
                   now: datetime) -> list[dict]:
    """Briefings in English and German: the big flight's launch-day timeline (a first version, then
    a correction with what changed in both languages) and one for every flight of its vehicle. Of
    the big flight's live bookings, half acknowledged the timeline, a quarter opened it. Appends to
    the lists given; returns the document events (opened, acknowledged)."""
    from app.documents.documents import text_hash
    from app.models import BookingState, DocumentEventKind, DocumentKind, DocumentScope

    big_vehicle = VEHICLES[4][0]
    for scope, scope_name, flight_id, n_versions in ((DocumentScope.FLIGHT, "", BIG_FLIGHT_ID, 2),
                                                     (DocumentScope.VEHICLE, big_vehicle, None, 1)):
        doc_id = len(documents) + 1
        documents.append({"id": doc_id, "kind": DocumentKind.BRIEFING, "scope": scope, "scope_name": scope_name,
                          "flight_id": flight_id, "default_language": "en", "position": doc_id, "created_at": published,
                          "created_by_id": ops_id, "archived_at": None})
        for number in range(1, n_versions + 1):
            version_id = len(versions) + 1
            summary = {"en": "Suit-up moves half an hour earlier.", "de": "Das Anlegen des Anzugs ist eine halbe "
                       "Stunde früher."} if number > 1 else {"en": "", "de": ""}
            versions.append({"id": version_id, "document_id": doc_id, "version": number, "material": number == 1,
                             "change_summary": summary["en"], "published_at": published + timedelta(days=number),
                             "published_by_id": ops_id})
            for language, (title, body) in BRIEFING_TEXTS.items():
                body = body + ("" if number == 1 else "\n" + summary[language])
                texts.append({"id": len(texts) + 1, "version_id": version_id, "language": language, "title": title,
                              "body": body, "sha256": text_hash(body), "change_summary": summary[language]})
    timeline = documents[-2]["id"]
    first_version = next(v for v in versions if v["document_id"] == timeline and v["version"] == 1)
    events: list[dict] = []
    live = [b for b in bookings if b["flight_id"] == BIG_FLIGHT_ID and (
        b["state"] is BookingState.CONFIRMED or (b["state"] is BookingState.HELD and b["hold_expires_at"] > now))]
    for n, b in enumerate(live):
        if n % 4 == 3:
            continue  # not opened yet
        at = now - timedelta(days=rng.uniform(1, 20))
        events.append({"id": len(events) + 1, "booking_id": b["id"], "document_id": timeline,
                       "version_id": first_version["id"], "kind": DocumentEventKind.OPENED, "language": "en",
                       "at": at, "actor_id": None})
        if n % 4 in (0, 1):
            signatures.append({
                "id": len(signatures) + 1, "booking_id": b["id"], "user_id": b["user_id"], "document_id": timeline,
                "version_id": first_version["id"], "version": 1, "language": "en",
                "text_sha256": text_hash(BRIEFING_TEXTS["en"][1]), "signed_name": "",
                "accepted_at": at + timedelta(minutes=3), "ip_address": "203.0.113.%d" % rng.randint(1, 254),
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) countdown-bench",
            })
            events.append({"id": len(events) + 1, "booking_id": b["id"], "document_id": timeline,
                           "version_id": first_version["id"], "kind": DocumentEventKind.ACKNOWLEDGED,
                           "language": "en", "at": at + timedelta(minutes=3), "actor_id": b["user_id"]})
    return events


DESK_QUESTIONS = ("When is my balance due?", "Can my family watch the launch?", "Which hotel is it?",
                  "May I take my medication on board?", "Can I move my centrifuge session?",
                  "Where do I sign the waiver?", "What time is the pick-up?")


def seed_desk(rng: random.Random, count: int, staff_ids: list[int], tourists: int, bookings: list[dict],
              now: datetime) -> list[tuple[Any, list[dict]]]:
    """Desk conversations of random tourists, in every state and topic (a tenth about a
    booking), each with the tourist's question, an answer for those past "new", and a note for
    some: the inbox of an operator some years in."""
    from app.models import Channel, ConversationState, DeskEventKind, MessageKind, Topic
    from app.models.desk import Conversation, ConversationMessage, DeskEvent

    S = ConversationState
    by_user: dict[int, dict] = {}
    for b in bookings:
        by_user.setdefault(b["user_id"], b)
    conversations, messages, events = [], [], []
    states = [S.NEW] * 3 + [S.WAITING_ON_US] * 2 + [S.WAITING_ON_TOURIST] * 2 + [S.RESOLVED] * 13
    for n in range(1, count + 1):
        user_id = rng.randint(1, tourists)
        state, topic = rng.choice(states), rng.choice(list(Topic))
        if n == 1:  # the conversation page measured: operations' topic, a booking, a full thread
            state, topic = S.WAITING_ON_US, Topic.BOOKING
        created = now - timedelta(hours=rng.uniform(1, 24 * 400))
        waiting = created if state is S.NEW else now - timedelta(hours=rng.uniform(0.5, 72)) \
            if state is S.WAITING_ON_US else None
        answered = state is not S.NEW
        booking = by_user.get(user_id) if rng.random() < 0.1 or n == 1 else None
        conversations.append({
            "id": n, "user_id": user_id, "phone": None, "topic": topic, "booking_id": booking["id"] if booking else None,
            "document_id": None, "document_version_id": None, "subject": rng.choice(DESK_QUESTIONS),
            "state": state, "owner_id": rng.choice(staff_ids) if answered or rng.random() < 0.3 else None,
            "last_channel": Channel.SMS if rng.random() < 0.2 else Channel.IN_APP, "created_at": created,
            "updated_at": waiting or created + timedelta(hours=2), "waiting_since": waiting,
            "due_at": waiting + timedelta(hours=4) if waiting else None, "breached_at": None,
            "first_response_at": created + timedelta(hours=2) if answered else None,
            "first_response_seconds": 7200 if answered else None,
            "tourist_turn_since": created + timedelta(hours=2) if state is S.WAITING_ON_TOURIST else None,
            "resolved_at": created + timedelta(days=1) if state is S.RESOLVED else None,
            "rating": rng.randint(3, 5) if state is S.RESOLVED and rng.random() < 0.5 else None,
            "rated_at": created + timedelta(days=1) if state is S.RESOLVED else None,
        })
        said = [(MessageKind.TOURIST, user_id, conversations[-1]["subject"], created)]
        if answered:
            said.append((MessageKind.STAFF, staff_ids[0], "Thank you for asking: here is the answer.",
                         created + timedelta(hours=2)))
        if n == 1:
            said += [(MessageKind.TOURIST, user_id, "And one more thing, please.", created + timedelta(hours=3))] * 3
        if rng.random() < 0.2 or n == 1:
            said.append((MessageKind.NOTE, staff_ids[0], "Checked with the flight team.", created + timedelta(hours=1)))
        for kind, author, body, at in said:
            messages.append({"conversation_id": n, "kind": kind, "author_id": author, "channel": Channel.IN_APP,
                             "body": body, "provider_id": None, "created_at": at})
        events.append({"conversation_id": n, "kind": DeskEventKind.CREATED, "actor_id": user_id, "from_value": "",
                       "to_value": "new", "topic": topic, "at": created})
    return [(Conversation.__table__, conversations), (ConversationMessage.__table__, messages),
            (DeskEvent.__table__, events)]


def seed_privacy(rng: random.Random, ops_id: int, tourists: int, booked: set[int],
                 now: datetime) -> list[tuple[Any, list[dict]]]:
    """An operator's privacy work some years in: 20 erasure requests to answer, 300 answered
    (confirmed and carried out, or refused), and 5,000 rows of the privacy log. Those who asked
    have no live booking (the tourists the bench logs in all have one)."""
    from app.models import ErasureRequest, ErasureState, PrivacyLog, PrivacyLogKind

    requests, log = [], []
    people = rng.sample(sorted(set(range(1, tourists + 1)) - booked), 320)
    for n, user_id in enumerate(people, start=1):
        asked = now - timedelta(days=rng.uniform(1, 29) if n <= 20 else rng.uniform(30, 1000))
        state = ErasureState.REQUESTED if n <= 20 else rng.choice([ErasureState.DONE] * 4 + [ErasureState.REFUSED])
        decided = asked + timedelta(days=rng.uniform(1, 20)) if n > 20 else None
        requests.append({
            "id": n, "user_id": user_id, "state": state, "reason": "Please delete my data." if n % 3 else "",
            "live_bookings": 0, "requested_at": asked, "due_at": asked + timedelta(days=30), "decided_at": decided,
            "decided_by_id": ops_id if decided else None,
            "decision_reason": "A refund is still pending." if state is ErasureState.REFUSED else "",
            "started_at": decided, "finished_at": decided if state is ErasureState.DONE else None,
        })
    kinds = list(PrivacyLogKind)
    for _ in range(5_000):
        kind = rng.choice(kinds)
        log.append({"kind": kind, "actor_id": ops_id if kind.value.startswith("erasure_c") else None,
                    "subject_id": None if kind is PrivacyLogKind.RETENTION else rng.randint(1, tourists),
                    "rows": rng.randint(0, 400), "detail": {}, "ip_address": "",
                    "at": now - timedelta(hours=rng.uniform(1, 24 * 1000))})
    return [(ErasureRequest.__table__, requests), (PrivacyLog.__table__, log)]


def seed_travel(rng: random.Random, coordinator_id: int, flights: list[dict], bookings: list[dict],
                names: dict[int, str], now: datetime) -> list[tuple[Any, list[dict]]]:
    """Travel for the live bookings of every flight launching in the next 90 days: arrival details,
    an emergency contact and a passport for most (the rest still owe something), a hotel and a
    pick-up for each, some not yet confirmed. The 80-seat flight's tourists all land today, on
    their own flights or on flights the coordinator booked: ``/logistics`` shows a day of 80
    arrivals. The bench's journey tourists have their travel page too."""
    from app.models import BookingState, FlightStatus
    from app.models.travel import (
        Arrival,
        ArrivalMode,
        EmergencyContact,
        Segment,
        SegmentKind,
        SegmentStatus,
        Sex,
        TravelDocument,
        TravelDocumentType,
    )

    by_id = {f["id"]: f for f in flights}
    soon = {f["id"] for f in flights if now < f["launch_at"] <= now + timedelta(days=90)
            and f["status"] in (FlightStatus.SCHEDULED, FlightStatus.DELAYED)} | {BIG_FLIGHT_ID}
    live = [b for b in bookings if b["flight_id"] in soon and (b["state"] is BookingState.CONFIRMED or (
        b["state"] is BookingState.HELD and b["hold_expires_at"] and b["hold_expires_at"] > now))]
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    arrivals, contacts, documents, segments = [], [], [], []
    seen_users: set[int] = set()
    for n, b in enumerate(live):
        flight = by_id[b["flight_id"]]
        launch = flight["launch_at"]
        big = b["flight_id"] == BIG_FLIGHT_ID
        landing = today + timedelta(minutes=20 + 15 * (n % 80)) if big else launch - timedelta(days=3, hours=rng.uniform(0, 10))
        if big and n % 2:  # the coordinator booked their inbound flight
            segments.append({"id": len(segments) + 1, "booking_id": b["id"], "template_id": None, "customised": False,
                             "flag": "", "sequence": 0, "created_at": now, "updated_at": now,
                             "kind": SegmentKind.FLIGHT, "status": SegmentStatus.CONFIRMED,
                             "confirmation_code": f"PNR{b['id']:05d}", "title": "", "carrier": "British Airways",
                             "number": f"BA {1000 + n}", "from_place": "London Heathrow (LHR)",
                             "to_place": "Newquay (NQY)", "address": "", "vehicle": "", "phone": "",
                             "starts_at": landing - timedelta(hours=1, minutes=10), "start_timezone": "Europe/London",
                             "ends_at": landing, "end_timezone": "Europe/London", "notes": ""})
        elif rng.random() < 0.85:
            arrivals.append({"booking_id": b["id"], "mode": ArrivalMode.OWN, "flight_number": f"U2 {2000 + n % 7000}",
                             "airport": "Newquay (NQY)" if big else "Arrivals airport", "arrives_at": landing,
                             "timezone": "Europe/London" if big else "UTC", "updated_at": now})
        for kind, starts, ends, title in ((SegmentKind.TRANSFER, landing + timedelta(minutes=45), None, ""),
                                          (SegmentKind.HOTEL, landing + timedelta(hours=2), launch + timedelta(days=1),
                                           "Harbour Hotel")):
            segments.append({"id": len(segments) + 1, "booking_id": b["id"], "template_id": None, "customised": False,
                             "flag": "", "sequence": 0, "created_at": now, "updated_at": now, "kind": kind,
                             "status": SegmentStatus.CONFIRMED if rng.random() < 0.8 else SegmentStatus.PENDING,
                             "confirmation_code": f"C{b['id']:06d}", "title": title, "carrier": "", "number": "",
                             "from_place": "Arrivals hall" if kind is SegmentKind.TRANSFER else "",
                             "to_place": "Harbour Hotel" if kind is SegmentKind.TRANSFER else "",
                             "address": "1 Quay Road" if kind is SegmentKind.HOTEL else "",
                             "vehicle": "Minibus" if kind is SegmentKind.TRANSFER else "",
                             "phone": "+441637555010" if kind is SegmentKind.TRANSFER else "",
                             "starts_at": starts, "start_timezone": "Europe/London", "ends_at": ends,
                             "end_timezone": "Europe/London", "notes": ""})
        user_id = b["user_id"]
        if user_id in seen_users:
            continue
        seen_users.add(user_id)
        if rng.random() < 0.9:
            contacts.append({"id": len(contacts) + 1, "user_id": user_id, "name": f"Contact of {names[user_id]}",
                             "relation": "spouse", "phone": f"+4477009{rng.randint(10000, 99999)}", "email": "",
                             "created_at": now})
        if rng.random() < 0.9:
            documents.append({"user_id": user_id, "name_as_printed": names[user_id].upper(), "nationality": "GB",
                              "document_type": TravelDocumentType.PASSPORT, "number": f"5{rng.randint(10**7, 10**8 - 1)}",
                              "issuing_country": "GB", "expires_on": (now + timedelta(days=rng.uniform(100, 3000))).date(),
                              "date_of_birth": date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                              "sex": rng.choice(list(Sex)), "updated_at": now})
    return [(TravelDocument.__table__, documents), (EmergencyContact.__table__, contacts),
            (Arrival.__table__, arrivals), (Segment.__table__, segments)]


MEDICAL_QUESTIONS = (
    # key, kind, text, choices / (unit, min, max)
    ("conditions", "multiple_choice", "Have you ever had any of these conditions?",
     ["Heart disease", "High blood pressure", "Asthma", "Epilepsy", "Diabetes", "None of these"]),
    ("medications", "yes_no", "Do you take any medication?", None),
    ("medication_list", "text", "Which medications do you take, and how much?", None),
    ("surgery", "yes_no", "Have you had surgery in the last five years?", None),
    ("surgery_details", "text", "What surgery, and when?", None),
    ("resting_hr", "number", "Your resting heart rate, if you know it", ("bpm", 30, 200)),
    ("last_checkup", "date", "When was your last medical check-up?", None),
    ("ecg", "file", "Your most recent ECG (PDF, JPEG or PNG)", None),
)
MEDICATIONS = ("Lisinopril 10 mg daily", "Atorvastatin 20 mg", "Salbutamol inhaler as needed",
               "Levothyroxine 50 µg", "Metformin 500 mg twice a day", "Sertraline 50 mg")
NOTES = ("Fit, athletic; no concerns.", "Well-controlled hypertension on one drug.",
         "Mild motion sickness reported on the centrifuge at 4 g.", "BMI at the upper limit; discussed.",
         "Asthma, mild and intermittent; spirometry normal.", "ECG: incomplete right bundle branch block.")


def seed_medical(args: argparse.Namespace, medical_id: int, flights: list[dict], bookings: list[dict],
                 live_per_tourist: Counter, now: datetime) -> list[tuple[Any, list[dict]]]:
    """Medical cases in every state for tourists with live bookings: a questionnaire, answers,
    events, assessments, the access log. A random stream of its own, so the rest of the data is
    the same with or without it."""
    from app.models import CaseState, EcgResult, QuestionKind
    from app.models.medical import (
        Answer,
        Assessment,
        CaseEvent,
        MedicalAccess,
        MedicalCase,
        Question,
        Questionnaire,
    )

    rng = random.Random(args.seed + 4)
    S = CaseState
    published = now - timedelta(days=700)
    questionnaire = {"id": 1, "version": 1, "title": "Health questionnaire", "published_at": published,
                     "intro": "Answer for yourself; medical staff read every answer.",
                     "created_by_id": medical_id, "created_at": published}
    questions = []
    for position, (key, kind, text_, extra) in enumerate(MEDICAL_QUESTIONS, start=1):
        unit, low, high = extra if kind == "number" else ("", None, None)
        questions.append({
            "id": position, "questionnaire_id": 1, "position": position, "key": key, "text": text_,
            "help": "", "kind": QuestionKind(kind), "required": kind not in ("file", "number"),
            "unit": unit, "min_value": low, "max_value": high,
            "choices": extra if kind == "multiple_choice" else [],
            "show_if_key": {"medication_list": "medications", "surgery_details": "surgery"}.get(key),
            "show_if_values": ["yes"] if key in ("medication_list", "surgery_details") else [],
        })

    # The earliest live booking of each tourist who has one: their cases are about that launch.
    launches = {f["id"]: f["launch_at"] for f in flights}
    first_launch: dict[int, datetime] = {}
    for b in bookings:
        uid = b["user_id"]
        if uid in live_per_tourist and b["state"].value in ("confirmed", "held"):
            launch = launches[b["flight_id"]]
            if launch > now and (uid not in first_launch or launch < first_launch[uid]):
                first_launch[uid] = launch
    people = sorted(first_launch)
    rng.shuffle(people)
    people = people[:args.medical_cases]

    cases, answers, events, assessments, access = [], [], [], [], []
    # state, share: most waiting for review or cleared, some asked for more, a few not cleared
    states = ((S.SUBMITTED, 0.35), (S.INFO_REQUESTED, 0.10), (S.CLEARED, 0.30), (S.RESTRICTED, 0.08),
              (S.NOT_CLEARED, 0.05), (S.ANSWERING, 0.12))
    for uid in people:
        roll, state = rng.random(), S.SUBMITTED
        for candidate, share in states:
            if roll < share:
                state = candidate
                break
            roll -= share
        cid = len(cases) + 1
        created = now - timedelta(days=rng.uniform(20, 300))
        submitted = created + timedelta(days=rng.uniform(0.1, 10)) if state is not S.ANSWERING else None
        decided = submitted + timedelta(days=rng.uniform(1, 10)) if state in (S.CLEARED, S.RESTRICTED, S.NOT_CLEARED) else None
        valid_until = None
        if state in (S.CLEARED, S.RESTRICTED):
            # a third end before the tourist's launch: the queue's "expiring" group
            launch_day = first_launch[uid].date()
            valid_until = (launch_day - timedelta(days=rng.randint(1, 60)) if rng.random() < 1 / 3
                           else launch_day + timedelta(days=rng.randint(1, 200)))
        cases.append({
            "id": cid, "user_id": uid, "questionnaire_id": 1, "state": state, "submitted_at": submitted,
            "decided_at": decided, "decided_by_id": medical_id if decided else None, "valid_until": valid_until,
            "restrictions": "No flights above 3.5 g; aisle seat." if state is S.RESTRICTED else "",
            "info_request": "Please upload your cardiologist's letter." if state is S.INFO_REQUESTED else "",
            "info_response": "", "created_at": created, "updated_at": decided or submitted or created,
        })
        history = [(None, S.ANSWERING, created)]
        if submitted:
            history.append((S.ANSWERING, S.SUBMITTED, submitted))
        if state is S.INFO_REQUESTED:
            history.append((S.SUBMITTED, S.INFO_REQUESTED, submitted + timedelta(days=2)))
        if decided:
            history.append((S.SUBMITTED, state, decided))
        for from_state, to_state, at in history:
            events.append({"id": len(events) + 1, "case_id": cid, "from_state": from_state, "to_state": to_state,
                           "actor_id": medical_id if to_state not in (S.ANSWERING, S.SUBMITTED) else uid,
                           "note": "", "created_at": at})
        takes_medication, had_surgery = rng.random() < 0.4, rng.random() < 0.2
        values = {
            "conditions": rng.sample(MEDICAL_QUESTIONS[0][3][:5], rng.randint(0, 2)) or ["None of these"],
            "medications": takes_medication,
            "medication_list": rng.choice(MEDICATIONS) if takes_medication else None,
            "surgery": had_surgery,
            "surgery_details": "Knee arthroscopy, 2022" if had_surgery else None,
            "resting_hr": rng.randint(48, 90) if rng.random() < 0.6 else None,
            "last_checkup": (now - timedelta(days=rng.randint(30, 700))).date().isoformat(),
        }
        answered = list(values.items())
        if state is S.ANSWERING:
            answered = answered[:rng.randint(0, len(answered))]
        for position, (key, value) in enumerate(answered, start=1):
            if value is not None:
                answers.append({"id": len(answers) + 1, "case_id": cid, "question_id": position,
                                "value": value, "updated_at": submitted or created})
        if decided:
            assessments.append({
                "id": len(assessments) + 1, "case_id": cid, "recorded_by_id": medical_id,
                "systolic_mmhg": rng.randint(105, 150), "diastolic_mmhg": rng.randint(60, 95),
                "heart_rate_bpm": rng.randint(48, 95), "height_cm": round(rng.uniform(155, 192), 1),
                "weight_kg": round(rng.uniform(52, 100), 1), "ecg_result": EcgResult.NORMAL,
                "centrifuge_g": round(rng.uniform(3, 6), 1), "other_tests": "Spirometry normal.",
                "notes": rng.choice(NOTES), "flags": [], "created_at": decided - timedelta(hours=2),
            })
        for _ in range(rng.randint(1, 4)):
            access.append({"id": len(access) + 1, "actor_id": medical_id, "case_id": cid, "action": "view",
                           "what": "case", "ip_address": "203.0.113.7",
                           "at": (submitted or created) + timedelta(days=rng.uniform(0, 5))})
    return [
        (Questionnaire.__table__, [questionnaire]), (Question.__table__, questions),
        (MedicalCase.__table__, cases), (CaseEvent.__table__, events), (Answer.__table__, answers),
        (Assessment.__table__, assessments), (MedicalAccess.__table__, access),
    ]


def seed_training(rng: random.Random, instructor_id: int, ops_id: int, flights: list[dict], bookings: list[dict],
                  now: datetime) -> list[tuple[Any, list[dict]]]:
    """The demo's six modules, a published plan per vehicle, a session of each module every three
    days from two months ago to the last launch (the bench instructor teaches ROSTER_SESSIONS of
    the coming weeks, a colleague the rest), and places: per live confirmed booking, the
    emergency class passed and the centrifuge run booked; the roster's sessions full of tourists."""
    from app.models import (
        Attendance,
        BookingState,
        PlaceState,
        PlanItem,
        Result,
        SessionPlace,
        SessionStatus,
        TrainingEvent,
        TrainingModule,
        TrainingPlan,
        TrainingSession,
        session_instructors,
    )
    from app.seed_training import MODULES, PLANS

    modules, prerequisites = [], []
    ids = {}
    for n, (key, (kind, minutes, topics, validity, pass_mark, needs, texts)) in enumerate(MODULES.items(), 1):
        ids[key] = n
        modules.append({"id": n, "kind": kind, "duration_minutes": minutes, "topics": sorted(t.value for t in topics),
                        "validity_days": validity, "pass_mark": pass_mark, "default_language": "en",
                        "texts": {lang: {"name": a, "description": b} for lang, (a, b) in texts.items()},
                        "archived_at": None, "created_at": now - timedelta(days=900), "updated_at": now})
        prerequisites += [{"module_id": n, "requires_id": ids[k]} for k in needs]
    minutes = {ids[k]: v[1] for k, v in MODULES.items()}
    items_spec = PLANS["Suborbital spaceplane SV-2"]
    plans, items = [], []
    for n, vehicle in enumerate(sorted({f["vehicle"] for f in flights}), 1):
        plans.append({"id": n, "vehicle": vehicle, "flight_id": None, "published_at": now - timedelta(days=800),
                      "published_by_id": ops_id, "created_at": now - timedelta(days=800)})
        items += [{"id": len(items) + i, "plan_id": n, "module_id": ids[k], "deadline_days": d}
                  for i, (k, d) in enumerate(items_spec, 1)]
    colleague = instructor_id + 1
    sessions, teachers = [], []
    last_launch = max(f["launch_at"] for f in flights)
    by_module: dict[int, list[dict]] = {m: [] for m in minutes}
    roster_left = ROSTER_SESSIONS
    day = -60
    while now + timedelta(days=day) < last_launch:
        for module_id, length in minutes.items():
            start = (now + timedelta(days=day + module_id % 3)).replace(hour=15, minute=0, second=0, microsecond=0)
            session = {"id": len(sessions) + 1, "module_id": module_id, "starts_at": start,
                       "ends_at": start + timedelta(minutes=length), "timezone": "America/Denver",
                       "place": "Spaceport America training centre", "capacity": 8,
                       "status": SessionStatus.SCHEDULED, "sequence": 0, "series": None, "cancel_reason": "",
                       "created_at": now - timedelta(days=100), "updated_at": now - timedelta(days=100)}
            sessions.append(session)
            by_module[module_id].append(session)
            mine = roster_left > 0 and now < start < now + timedelta(days=14)  # the roster's two weeks
            roster_left -= mine
            teachers.append({"session_id": session["id"], "user_id": instructor_id if mine else colleague})
        day += 3
    places, events = [], []
    taken: Counter = Counter()

    def place(session: dict, booking: dict, passed: bool) -> None:
        pid = len(places) + 1
        taken[session["id"]] += 1
        places.append({
            "id": pid, "session_id": session["id"], "user_id": booking["user_id"], "booking_id": booking["id"],
            "state": PlaceState.BOOKED, "offer_expires_at": None,
            "attendance": Attendance.PRESENT if passed else None, "result": Result.PASSED if passed else None,
            "score": None, "note": "", "signed_off_at": session["ends_at"] if passed else None,
            "signed_off_by_id": colleague if passed else None, "created_at": session["starts_at"] - timedelta(days=20),
            "updated_at": session["ends_at"]})
        events.append({"id": len(events) + 1, "place_id": pid, "kind": "booked", "value": "", "score": None,
                       "note": "", "actor_id": booking["user_id"], "created_at": session["starts_at"] - timedelta(days=20)})

    past_class = [s for s in by_module[ids["emergencies"]] if s["ends_at"] < now]
    upcoming_centrifuge = [s for s in by_module[ids["centrifuge"]] if s["starts_at"] > now + timedelta(days=2)]
    roster = [s for s in sessions if teachers[s["id"] - 1]["user_id"] == instructor_id]
    live = [b for b in bookings if b["state"] is BookingState.CONFIRMED]
    rng.shuffle(live)
    seen_users: set[int] = set()
    for booking in live:
        if booking["user_id"] in seen_users:
            continue
        seen_users.add(booking["user_id"])
        free_class = [s for s in past_class if taken[s["id"]] < s["capacity"]]
        if free_class:
            place(rng.choice(free_class), booking, True)
        free_run = [s for s in upcoming_centrifuge[:40] if taken[s["id"]] < s["capacity"]]
        if free_run:
            place(rng.choice(free_run), booking, False)
        roster_open = [s for s in roster if taken[s["id"]] < 6]
        if roster_open and rng.random() < 0.3:
            place(roster_open[0], booking, False)
    return [
        (TrainingModule.__table__, modules),
        (TrainingModule.prerequisites.property.secondary, prerequisites), (TrainingPlan.__table__, plans),
        (PlanItem.__table__, items), (TrainingSession.__table__, sessions), (session_instructors, teachers),
        (SessionPlace.__table__, places), (TrainingEvent.__table__, events),
    ]


# -- SQL queries per page (in process, same database and settings) -------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def resolve(secret_key: str) -> dict[str, str]:
    """Each page's address as requested: the launch page's live part with the token of the big
    flight under this run's secret key."""
    from app.flightops.updates import token_of

    return {path: path.replace("<token>", token_of(BIG_FLIGHT_ID, 0, secret_key)) for path in PAGES}


def queries_per_page(app, email: str, urls: dict[str, str]) -> dict[str, int]:
    """How many SQL statements one request of each page runs (second request, caches warm)."""
    from sqlalchemy import event

    from app.extensions import db

    counted = {"n": 0}

    def count(*_args) -> None:
        counted["n"] += 1

    result: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    # No app context is held across the requests: each gets its own database session, as served.
    event.listen(engine, "before_cursor_execute", count)
    try:
        # Plain http like the served app (the test client would use PREFERRED_URL_SCHEME, https).
        http = {"base_url": "http://localhost"}
        client = app.test_client()
        token = _CSRF.search(client.get("/login", **http).get_data(as_text=True)).group(1)
        login = client.post("/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": token},
                            **http)
        if login.status_code != 302:
            raise RuntimeError(f"in-process login failed with {login.status_code}")
        anonymous = app.test_client()
        staff = {}
        for email in (MEDIC_EMAIL, INSTRUCTOR_EMAIL, OPS_EMAIL, COORDINATOR_EMAIL):
            staff[email] = app.test_client()
            token = _CSRF.search(staff[email].get("/login", **http).get_data(as_text=True)).group(1)
            if staff[email].post("/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": token},
                                 **http).status_code != 302:
                raise RuntimeError(f"in-process login of {email} failed")
        for path in PAGES:
            c = client if path in TOURIST_PAGES else staff[STAFF_PAGES[path]] if path in STAFF_PAGES else anonymous
            c.get(urls[path], **http)
            counted["n"] = 0
            response = c.get(urls[path], **http)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code} in process")
            result[path] = counted["n"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    return result


# -- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], workers: int, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--error-logfile", "-", "--capture-output",
             "--graceful-timeout", "5", "app:create_app()"],
            cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                r = requests.get(self.base + "/healthz", timeout=5)
                if r.status_code == 200:
                    return r.json()
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise RuntimeError(f"/healthz not ready after {timeout:.0f}s (last: {last}); see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group this script started
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._log.close()


def _logged_in(base: str, email: str) -> requests.Session:
    """A session of ``email`` (password ``BENCH_PASSWORD``), logged in through the form."""
    s = requests.Session()
    s.headers["User-Agent"] = "countdown-bench"
    page = s.get(base + "/login", timeout=10)
    match = _CSRF.search(page.text)
    if page.status_code != 200 or match is None:
        raise RuntimeError(f"GET /login answered {page.status_code} without a CSRF token")
    r = s.post(base + "/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": match.group(1)},
               allow_redirects=False, timeout=10)
    if r.status_code != 302:
        raise RuntimeError(f"login of {email} answered {r.status_code}, not a redirect")
    return s


def log_in_staff(base: str, email: str, page: str) -> requests.Session:
    """A staff member's session, checked on ``page``."""
    s = _logged_in(base, email)
    checked = s.get(base + page, allow_redirects=False, timeout=10)
    if checked.status_code != 200 or MARKERS[page] not in checked.text:
        raise RuntimeError(f"{page} of {email} answered {checked.status_code} without {MARKERS[page]!r}")
    return s


def log_in(base: str, email: str) -> requests.Session:
    """A tourist's session, checked on /journey."""
    s = _logged_in(base, email)
    journey = s.get(base + "/journey", allow_redirects=False, timeout=10)
    if journey.status_code != 200 or "journey-booking" not in journey.text:
        raise RuntimeError(f"/journey of {email} answered {journey.status_code} without bookings")
    return s


# -- the load -------------------------------------------------------------------------------------

class CpuMeter:
    """CPU used by this script, by the server (gunicorn and its PostgreSQL backends) and by the
    rest of the machine, so that a run disturbed by other work shows it."""

    def __init__(self, server: Server, database_url: str) -> None:
        self.server_pids = [server.proc.pid, *children(server.proc.pid)]
        self.pg_pids: list[int] = []
        self._database_url = database_url

    def find_backends(self) -> None:
        """PostgreSQL backends of the bench database (the workers' pooled connections)."""
        import psycopg

        try:
            with pg_connect(self._database_url) as conn:
                self.pg_pids = [row[0] for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )]
        except psycopg.Error:
            self.pg_pids = []

    def snapshot(self) -> dict[str, int]:
        busy, total = machine_jiffies()
        return {
            "busy": busy, "total": total, "client": process_jiffies("self"),
            "server": sum(process_jiffies(p) for p in self.server_pids + self.pg_pids),
        }


@dataclass
class PageResult:
    path: str
    ok: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    cpu: Counter = field(default_factory=Counter)   # jiffies: busy, total, client, server

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = math.ceil(q * len(ordered))
        return ordered[min(len(ordered), max(rank, 1)) - 1] * 1000

    @property
    def server_ms_per_request(self) -> float:
        """CPU milliseconds gunicorn and PostgreSQL spent per answered request (noise-resistant)."""
        return self.cpu["server"] / TICK * 1000 / self.ok if self.ok else float("nan")

    @property
    def client_cores(self) -> float:
        return self.cpu["client"] / TICK / self.elapsed if self.elapsed else float("nan")

    @property
    def other_share(self) -> float:
        """Share of the whole machine busy with work that is neither this script nor the server."""
        if not self.cpu["total"]:
            return float("nan")
        return max(0, self.cpu["busy"] - self.cpu["client"] - self.cpu["server"]) / self.cpu["total"]


def _client(sessions: list[requests.Session], url: str, marker: str, stop_at: float,
            latencies: list[float], errors: list[int], stop: threading.Event) -> None:
    i = 0
    while not stop.is_set():
        started = time.perf_counter()
        if started >= stop_at:
            return
        session = sessions[i % len(sessions)]
        i += 1
        try:
            r = session.get(url, allow_redirects=False, timeout=30)
            ok = r.status_code == 200 and marker in r.text
        except requests.RequestException:
            ok = False
        if ok:
            latencies.append(time.perf_counter() - started)
        else:
            errors[0] += 1


def run_load(url: str, sessions: list[list[requests.Session]], marker: str, seconds: float,
             stop: threading.Event, meter: CpuMeter | None = None, into: PageResult | None = None) -> None:
    """One client thread per entry of ``sessions``, each looping on ``url`` for ``seconds``.

    Closed loop: a thread sends its next request when the previous one is answered, cycling
    through its own sessions. Results are added to ``into`` (warm-up passes none).
    """
    per_thread = [([], [0]) for _ in sessions]
    before = meter.snapshot() if meter else None
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_client, args=(group, url, marker, started + seconds, lat, err, stop), daemon=True)
        for group, (lat, err) in zip(sessions, per_thread)
    ]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)
    elapsed = time.perf_counter() - started
    if into is None:
        return
    if meter and before:
        after = meter.snapshot()
        into.cpu.update({k: after[k] - before[k] for k in after})
    into.elapsed += elapsed
    for lat, err in per_thread:
        into.latencies.extend(lat)
        into.ok += len(lat)
        into.errors += err[0]


# Something each good answer contains (/healthz answers 200 only when the database and broker are up).
MARKERS = {"/healthz": '"status"', "/flights": "flight-card", "/journey": "journey-booking",
           "/documents": "documents-booking",
           "/training": "training-module", "/instructor": 'class="roster-session"',
           "/medical/queue": 'href="/medical/cases/',  # a row of the queue
           "/medical/tourists": 'class="tourist-email"',  # a row of the list of tourists
           f"/ops/flights/{BIG_FLIGHT_ID}/documents": 'class="striped matrix"',
           "/medical/questionnaires/1/translations/de": 'class="translation-question"',
           "/ops/documents": 'href="/ops/documents/4"',  # a row of the list
           f"/ops/documents/{BRIEFING_ID}": 'href="/ops/documents/versions/',  # a row of its versions
           "/travel": 'class="travel-booking"', "/logistics": 'class="arrival"',  # a tourist's booking; an arrival
           f"/ops/flights/{BIG_FLIGHT_ID}/readiness": 'class="gate-cell',  # a cell of the matrix
           LIVE_PAGE: 'class="countdown-clock"', "/desk": 'href="/desk/',  # a row of the inbox
           "/desk/1": 'class="desk-thread"', "/conversations": 'href="/conversations/new"',
           "/account/privacy": 'class="kept-rule"', "/account/privacy/erasure": 'class="erasure-preview"',
           "/ops/privacy": 'class="privacy-request', "/ops/privacy/erasure/1": 'id="confirm-heading"'}
#: Pages loaded by a logged-in medic (one session per client thread).
STAFF_PAGES = {"/medical/queue": MEDIC_EMAIL, "/medical/tourists": MEDIC_EMAIL, "/instructor": INSTRUCTOR_EMAIL,
               f"/ops/flights/{BIG_FLIGHT_ID}/documents": OPS_EMAIL,
               "/medical/questionnaires/1/translations/de": MEDIC_EMAIL, "/ops/documents": OPS_EMAIL,
               f"/ops/documents/{BRIEFING_ID}": OPS_EMAIL, "/logistics": COORDINATOR_EMAIL,
               f"/ops/flights/{BIG_FLIGHT_ID}/readiness": OPS_EMAIL, "/desk": OPS_EMAIL, "/desk/1": OPS_EMAIL,
               "/ops/privacy": OPS_EMAIL, "/ops/privacy/erasure/1": OPS_EMAIL}


# -- report ---------------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, PageResult], queries: dict[str, int]) -> list[str]:
    base = results["/healthz"].rps
    lines = [
        f"{'page':<14} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'vs /healthz':>11} {'SQL/req':>7} {'server CPU ms/req':>17} {'client cores':>12} {'other load':>10}",
    ]
    for path in PAGES:
        r = results[path]
        lines.append(
            f"{path:<14} {r.ok:>8} {r.errors:>6} {r.rps:>7.1f} {r.percentile(0.50):>7.1f} {r.percentile(0.95):>7.1f} "
            f"{r.percentile(0.99):>7.1f} {r.rps / base:>11.0%} {queries.get(path, 0):>7} "
            f"{r.server_ms_per_request:>17.2f} {r.client_cores:>12.2f} {r.other_share:>10.0%}"
        )
    lines.append("")
    lines.append(f"Targets: each page at least {TARGET_RATIO:.0%} of /healthz's throughput (the live launch "
                 f"update {TARGET_RATIOS[LIVE_PAGE]:.0%}), p95 under {TARGET_P95_MS:.0f} ms")
    for path in PAGES:
        r = results[path]
        checks = []
        if path != "/healthz":
            ratio = r.rps / base
            target = TARGET_RATIOS.get(path, TARGET_RATIO)
            checks.append(f"throughput {ratio:.0%} of /healthz (target {target:.0%}): {_verdict(ratio >= target)}")
        p95 = r.percentile(0.95)
        checks.append(f"p95 {p95:.1f} ms: {_verdict(p95 < TARGET_P95_MS)}")
        if r.errors:
            checks.append(f"{r.errors} failed requests: FAIL")
        lines.append(f"  {path:<14} " + "; ".join(checks))
    other = max((r.other_share for r in results.values()), default=0.0)
    if other == other and other > 0.10:  # not NaN, and noticeable
        lines.append("")
        lines.append(f"Note: other programs kept up to {other:.0%} of the machine busy during the run; "
                     "throughput and latency are worse than on a quiet machine (server CPU ms/req is "
                     "less affected, but also inflated).")
    return lines


def targets_met(results: dict[str, PageResult]) -> bool:
    base = results["/healthz"].rps
    return all(
        r.errors == 0 and r.percentile(0.95) < TARGET_P95_MS
        and (path == "/healthz" or r.rps / base >= TARGET_RATIOS.get(path, TARGET_RATIO))
        for path, r in results.items()
    )


# -- main -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()  # Ctrl-C and kill both end in the ``finally`` below, which stops gunicorn
    tmp = Path(tempfile.mkdtemp(prefix="countdown-bench-"))
    server: Server | None = None
    stop = threading.Event()
    keep_tmp = False
    try:
        broker = choose_broker(args.broker)
        env = server_env(args, tmp, broker)
        print(f"bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
              f"database {args.database_url}; Celery broker {broker}")

        t0 = time.perf_counter()
        reset_database(args.database_url)
        app = migrate(env)
        print(f"bench: database reset and migrated in {time.perf_counter() - t0:.1f}s")
        seeded = seed(app, args)
        print(f"bench: seeded in {seeded.seconds:.1f}s: "
              + ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items()))
        urls = resolve(env["SECRET_KEY"])
        queries = queries_per_page(app, seeded.journey_emails[0], urls)

        server = Server(env, args.workers, tmp / "gunicorn.log")
        health = server.wait_ready()
        print(f"bench: gunicorn ({args.workers} sync workers) ready on {server.base}; /healthz: {health}")

        journey_sessions = [log_in(server.base, email) for email in seeded.journey_emails]
        print(f"bench: {len(journey_sessions)} tourists logged in, with "
              + ", ".join(f"{n} live booking(s) x{c}" for n, c in sorted(seeded.live_per_tourist.items())))

        sessions: dict[str, list[list[requests.Session]]] = {}
        for path in PAGES:
            if path in STAFF_PAGES:
                sessions[path] = [[log_in_staff(server.base, STAFF_PAGES[path], path)]
                                  for _ in range(args.concurrency)]
            elif path in TOURIST_PAGES:
                # Deal the logged-in tourists out to the client threads; each cycles through its own.
                sessions[path] = [journey_sessions[i::args.concurrency] or journey_sessions[:1]
                                  for i in range(args.concurrency)]
            else:
                sessions[path] = []
                for _ in range(args.concurrency):
                    s = requests.Session()
                    s.headers["User-Agent"] = "countdown-bench"
                    sessions[path].append([s])

        for path in PAGES:
            run_load(server.base + urls[path], sessions[path], MARKERS[path], args.warmup, stop)
        meter = CpuMeter(server, args.database_url)  # the workers and their connections exist now
        meter.find_backends()

        # The pages take turns, a slice each per round, so that other work on the machine
        # disturbs all of them alike rather than whichever page happened to run at the time.
        results = {path: PageResult(path) for path in PAGES}
        slice_seconds = args.duration / args.rounds
        for round_no in range(1, args.rounds + 1):
            for path in PAGES:
                run_load(server.base + urls[path], sessions[path], MARKERS[path], slice_seconds, stop, meter,
                         results[path])
            print(f"bench: round {round_no}/{args.rounds}: "
                  + ", ".join(f"{p} {results[p].rps:.0f} req/s" for p in PAGES))
        for group in sessions.values():
            for session_list in group:
                for s in session_list:
                    s.close()

        print()
        print(f"Countdown bench: gunicorn with {args.workers} sync workers; {args.concurrency} closed-loop client "
              f"threads; per page {args.warmup:g}s warm-up, then {args.duration:g}s measured in {args.rounds} "
              f"interleaved slices; Celery broker {broker}")
        for line in report(results, queries):
            print(line)
        print()
        print("All targets met." if targets_met(results) else "TARGETS MISSED (see FAIL above).")
        if args.keep_logs:
            keep_tmp = True
            print(f"bench: kept {tmp} (gunicorn log: {server.log_path})")
        return 0
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopping gunicorn", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, clean up, fail
        print(f"bench: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if server is not None and server.log_path.exists():
            keep_tmp = True
            tail = server.log_path.read_text(errors="replace")[-3000:]
            print(f"bench: last lines of {server.log_path}:\n{tail}", file=sys.stderr)
        return 1
    finally:
        stop.set()
        if server is not None:
            server.stop()
        if not keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run_all(argv: list[str] | None = None) -> int:
    """``make bench``: the pages, then the reminders (``scripts/bench_reminders.py``)."""
    args = parse_args(argv)
    code = main(argv)
    if code == 0 and not args.skip_reminders:
        from scripts import bench_reminders

        print()
        code = bench_reminders.main([])
    return code


if __name__ == "__main__":
    sys.exit(run_all())
