"""Settings from the environment, with embedded defaults for a single machine.

Every setting can be given as an environment variable of the same name. Without any, the app runs
on a SQLite file, an embedded Celery broker (kombu's SQLAlchemy transport on a second SQLite file),
sandbox payments and an outbox for SMS and email. In production (``COUNTDOWN_ENV=production``) it
refuses to start on settings that are only fit for a laptop, and says which.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "countdown-development-secret-key-do-not-use-in-production"

LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "pt": "Português",
    "fr": "Français",
    "it": "Italiano",
}


# The form of a throttle limit, as app.throttle.Limit reads it: "5 per 5 minutes", "20/minute".
LIMIT_PATTERN = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.I)


class ConfigError(RuntimeError):
    """Raised when the configuration is not safe to run with."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _words(value: str) -> tuple[str, ...]:
    """A comma-separated list, each word trimmed, empty ones left out."""
    return tuple(word.strip() for word in value.split(",") if word.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config from an environment mapping (``os.environ`` by default)."""
    env = dict(os.environ if env is None else env)
    mode = env.get("COUNTDOWN_ENV", "development").strip().lower()
    if mode not in {"development", "production", "testing"}:
        raise ConfigError("COUNTDOWN_ENV must be development, production or testing")
    production = mode == "production"

    instance = Path(env.get("COUNTDOWN_INSTANCE", str(DEFAULT_INSTANCE)))
    database_url = _normalise_db_url(
        env.get("DATABASE_URL") or f"sqlite:///{instance / 'countdown.sqlite'}"
    )
    redis_url = env.get("REDIS_URL", "")
    broker_url = env.get("CELERY_BROKER_URL") or redis_url or (
        f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
    )

    stripe_secret = env.get("STRIPE_SECRET_KEY", "")
    twilio_sid = env.get("TWILIO_ACCOUNT_SID", "")
    smtp_host = env.get("SMTP_HOST", "")
    # Email over SMTP: STARTTLS on the submission port (587) by default, or implicit TLS (465).
    smtp_ssl = _bool(env.get("SMTP_USE_SSL"))
    smtp_starttls = _bool(env.get("SMTP_STARTTLS"), not smtp_ssl)
    if smtp_ssl and smtp_starttls:
        raise ConfigError("SMTP_USE_SSL and SMTP_STARTTLS exclude each other: set only one")
    smtp = {
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": _int(env, "SMTP_PORT", 465 if smtp_ssl else 587),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": smtp_starttls,
        "SMTP_USE_SSL": smtp_ssl,
        "SMTP_TIMEOUT": _int(env, "SMTP_TIMEOUT", 30),
        "MAIL_FROM": env.get("MAIL_FROM", "Countdown <no-reply@countdown.invalid>"),
    }

    cfg: dict[str, Any] = {
        "COUNTDOWN_ENV": mode,
        "TESTING": mode == "testing",
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            # On PostgreSQL a connection the server closed is found without a round trip
            # (app.transactions.drop_closed_connections) instead.
            "pool_pre_ping": not database_url.startswith("postgresql"),
            # PostgreSQL's JIT compiler pays off for long analytic queries, not for a web page's:
            # a list whose plan it misjudged spent half a second compiling a 7 ms query.
            **({"connect_args": {"options": "-c jit=off"}} if database_url.startswith("postgresql") else {}),
        },
        "REDIS_URL": redis_url,
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": _int(env, "SESSION_LIFETIME_SECONDS", 12 * 3600),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Where the app is reached; used for links in messages sent outside a request.
        "BASE_URL": env.get("BASE_URL") or f"http://127.0.0.1:{env.get('PORT') or 5000}",
        "PROXY_FIX_X_FOR": _int(env, "PROXY_FIX_X_FOR", 0),
        # Languages and time
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": LANGUAGES,
        # Booking rules
        "HOLD_MINUTES": _int(env, "HOLD_MINUTES", 15),
        "WAITLIST_OFFER_HOURS": _int(env, "WAITLIST_OFFER_HOURS", 24),
        # Readiness gates operations may waive with a reason (those the gates allow: the consent,
        # the waiver, the medical clearance, the seat, the deposit and training never).
        "OVERRIDABLE_GATES": _words(env.get("OVERRIDABLE_GATES", "paid,prohibited_items,briefings,travel")),
        # Training: places are booked, moved and cancelled online until this long before a session;
        # a freed place is held this long for the next on its waiting list
        "TRAINING_CUTOFF_HOURS": _int(env, "TRAINING_CUTOFF_HOURS", 24),
        "TRAINING_OFFER_HOURS": _int(env, "TRAINING_OFFER_HOURS", 12),
        # Refund share by days before launch when a tourist cancels: "days:percent,..."
        "CANCELLATION_TIERS": env.get("CANCELLATION_TIERS", "90:100,30:50,0:0"),
        # A tourist whose launch moved by more than this many days since they booked may withdraw
        # with this share of everything they paid refunded (the non-refundable deposit included)
        "SLIP_WITHDRAW_DAYS": _int(env, "SLIP_WITHDRAW_DAYS", 2),
        "SLIP_REFUND_PERCENT": _int(env, "SLIP_REFUND_PERCENT", 100),
        # Launch day: how often the journey and the launch page refresh their live part (seconds)
        "LAUNCH_POLL_SECONDS": _int(env, "LAUNCH_POLL_SECONDS", 20),
        # The customer service desk: the operator's business hours and time zone, the first-response
        # target per topic in business hours ("topic=hours", "default" for the rest), a shorter one
        # in wall-clock hours within some days of the tourist's launch, and its attachments' limit
        "DESK_TIMEZONE": env.get("DESK_TIMEZONE", "America/Denver"),
        "DESK_BUSINESS_HOURS": env.get("DESK_BUSINESS_HOURS", "mon-fri 09:00-17:00"),
        "DESK_HOLIDAYS": _words(env.get("DESK_HOLIDAYS", "")),
        "DESK_RESPONSE_TARGETS": env.get("DESK_RESPONSE_TARGETS", "default=4,medical=8,launch_day=2"),
        "DESK_NEAR_LAUNCH_DAYS": _int(env, "DESK_NEAR_LAUNCH_DAYS", 7),
        "DESK_NEAR_LAUNCH_HOURS": _int(env, "DESK_NEAR_LAUNCH_HOURS", 1),
        # A conversation waiting on the tourist this long reminds them
        "DESK_REMIND_AFTER_DAYS": _int(env, "DESK_REMIND_AFTER_DAYS", 3),
        "DESK_ATTACHMENT_MAX_BYTES": _int(env, "DESK_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024),
        # Privacy: how long a data export's link works, the time operations have to answer an
        # erasure request, how long each kind of data is kept ("kind=days,...": the defaults and
        # their reasons are on the operations' privacy page), and how many rows a retention batch takes
        "PRIVACY_EXPORT_HOURS": _int(env, "PRIVACY_EXPORT_HOURS", 72),
        "PRIVACY_ERASURE_DAYS": _int(env, "PRIVACY_ERASURE_DAYS", 30),
        "RETENTION_DAYS": env.get("RETENTION_DAYS", ""),
        "RETENTION_BATCH_SIZE": _int(env, "RETENTION_BATCH_SIZE", 500),
        # Messages: a claim or an interrupted send older than this is picked up again
        "MESSAGE_LEASE_SECONDS": _int(env, "MESSAGE_LEASE_SECONDS", 300),
        "MESSAGE_BATCH_SIZE": _int(env, "MESSAGE_BATCH_SIZE", 500),
        # Claims waiting for a send task, at most: with beat's dispatch every 10 s, a backlog is
        # sent at most this many per 10 s (2,000 a second), and a claim waits no longer than its
        # lease unless sending is slower than 70 a second
        "MESSAGE_MAX_IN_FLIGHT": _int(env, "MESSAGE_MAX_IN_FLIGHT", 20000),
        # Medical data: Fernet keys (comma-separated, newest first) for encryption at rest
        "MEDICAL_ENCRYPTION_KEYS": env.get("MEDICAL_ENCRYPTION_KEYS", ""),
        "MEDICAL_UPLOAD_DIR": env.get("MEDICAL_UPLOAD_DIR") or str(instance / "medical-uploads"),
        "MEDICAL_UPLOAD_MAX_BYTES": _int(env, "MEDICAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
        # Whole requests: an upload's limit plus room for the form around it (a bigger one gets a 413)
        "MAX_CONTENT_LENGTH": _int(env, "MEDICAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024) + 512 * 1024,
        # How long a medical clearance holds, and when before launch the tourist self-certifies
        "CLEARANCE_VALID_DAYS": _int(env, "CLEARANCE_VALID_DAYS", 365),
        "SELF_CERTIFICATION_DAYS": _int(env, "SELF_CERTIFICATION_DAYS", 14),
        "PASSWORD_RESET_MAX_AGE": _int(env, "PASSWORD_RESET_MAX_AGE", 3600),
        "MIN_PASSWORD_LENGTH": 10,
        # Throttling of log-ins, sign-ups and reset requests, counted in the database
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "LOGIN_LIMIT_PER_IP": env.get("LOGIN_LIMIT_PER_IP", "20 per minute"),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 5 minutes"),
        # Providers: the real ones when their settings are present
        "PAYMENTS_PROVIDER": env.get("PAYMENTS_PROVIDER") or ("stripe" if stripe_secret else "sandbox"),
        "SMS_PROVIDER": env.get("SMS_PROVIDER") or ("twilio" if twilio_sid else "outbox"),
        "EMAIL_PROVIDER": env.get("EMAIL_PROVIDER") or ("smtp" if smtp_host else "outbox"),
        "ALLOW_SANDBOX_PROVIDERS": _bool(env.get("ALLOW_SANDBOX_PROVIDERS")),
        "STRIPE_SECRET_KEY": stripe_secret,
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        "TWILIO_ACCOUNT_SID": twilio_sid,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER", ""),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        # Replaces https://api.twilio.com: for tests and local development only
        "TWILIO_API_BASE": env.get("TWILIO_API_BASE", ""),
        **smtp,
        # The same settings in Flask-Mailman's names. Always its SMTP backend: Flask-Mailman
        # would otherwise keep mail in memory under TESTING; the outbox is EMAIL_PROVIDER's job.
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp["SMTP_HOST"],
        "MAIL_PORT": smtp["SMTP_PORT"],
        "MAIL_USERNAME": smtp["SMTP_USERNAME"],
        "MAIL_PASSWORD": smtp["SMTP_PASSWORD"],
        "MAIL_USE_TLS": smtp["SMTP_STARTTLS"],
        "MAIL_USE_SSL": smtp["SMTP_USE_SSL"],
        "MAIL_TIMEOUT": smtp["SMTP_TIMEOUT"],
        "MAIL_DEFAULT_SENDER": smtp["MAIL_FROM"],
        # Celery: the embedded broker unless Redis (or another broker) is configured
        "CELERY": {
            "broker_url": broker_url,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "task_always_eager": _bool(env.get("CELERY_TASK_ALWAYS_EAGER")),
            "task_eager_propagates": True,
            "beat_schedule_filename": str(instance / "celerybeat-schedule"),
            "timezone": "UTC",
        },
    }
    check_desk(cfg)
    if cfg["PRIVACY_EXPORT_HOURS"] <= 0 or cfg["PRIVACY_ERASURE_DAYS"] <= 0 or cfg["RETENTION_BATCH_SIZE"] <= 0:
        raise ConfigError("PRIVACY_EXPORT_HOURS, PRIVACY_ERASURE_DAYS and RETENTION_BATCH_SIZE must be positive")
    for name in ("LOGIN_LIMIT_PER_IP", "LOGIN_LIMIT_PER_ACCOUNT"):
        if not LIMIT_PATTERN.match(cfg[name]):
            raise ConfigError(f"{name} must read like '5 per 5 minutes', got {cfg[name]!r}")
    if production:
        check_production(cfg)
    return cfg


#: "mon-fri 09:00-17:00", or days listed: "mon,tue,thu 08:30-18:00"; "mon-sun 00:00-24:00" is always.
BUSINESS_HOURS_PATTERN = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3}|(?:\s*,\s*[a-z]{3})*))\s+"
    r"(?P<start>\d{2}:\d{2})\s*-\s*(?P<end>\d{2}:\d{2})\s*$", re.I)
TARGET_PATTERN = re.compile(r"^\s*([a-z_]+)\s*=\s*(\d+(?:\.\d+)?)\s*$", re.I)
DESK_TOPICS = {"default", "booking", "medical", "training", "documents", "travel", "launch_day", "other"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_desk(cfg: Mapping[str, Any]) -> None:
    """The desk's clock settings read as they must, or the app does not start."""
    try:
        ZoneInfo(cfg["DESK_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"DESK_TIMEZONE is not a time zone: {cfg['DESK_TIMEZONE']!r}") from exc
    match = BUSINESS_HOURS_PATTERN.match(cfg["DESK_BUSINESS_HOURS"])
    days = re.split(r"\s*[-,]\s*", match.group("days").lower()) if match else []
    if (not match or any(d not in WEEKDAYS for d in days)
            or not ("00:00" <= match.group("start") < match.group("end") <= "24:00")):
        raise ConfigError("DESK_BUSINESS_HOURS must read like 'mon-fri 09:00-17:00', got "
                          f"{cfg['DESK_BUSINESS_HOURS']!r}")
    for day in cfg["DESK_HOLIDAYS"]:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ConfigError(f"DESK_HOLIDAYS must be dates like 2026-12-25, got {day!r}")
    for item in _words(cfg["DESK_RESPONSE_TARGETS"]):
        found = TARGET_PATTERN.match(item)
        if not found or found.group(1).lower() not in DESK_TOPICS or float(found.group(2)) <= 0:
            raise ConfigError("DESK_RESPONSE_TARGETS must read like 'default=4,medical=8' (a topic and its "
                              f"hours), got {item!r}")
    if cfg["DESK_NEAR_LAUNCH_HOURS"] <= 0 or cfg["DESK_REMIND_AFTER_DAYS"] <= 0:
        raise ConfigError("DESK_NEAR_LAUNCH_HOURS and DESK_REMIND_AFTER_DAYS must be positive")


def check_production(cfg: Mapping[str, Any]) -> None:
    """Refuse settings that are only fit for development, naming each problem."""
    problems: list[str] = []
    if cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY or len(cfg["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the built-in default or shorter than 32 characters")
    if not cfg["ALLOW_SANDBOX_PROVIDERS"]:
        if cfg["PAYMENTS_PROVIDER"] == "sandbox":
            problems.append("payments use the sandbox (set STRIPE_SECRET_KEY)")
        if cfg["SMS_PROVIDER"] == "outbox":
            problems.append("SMS go to the outbox (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
        if cfg["EMAIL_PROVIDER"] == "outbox":
            problems.append("email goes to the outbox (set SMTP_HOST)")
    if cfg["PAYMENTS_PROVIDER"] == "stripe" and not cfg["STRIPE_WEBHOOK_SECRET"]:
        problems.append("STRIPE_WEBHOOK_SECRET is not set")
    if cfg["PAYMENTS_PROVIDER"] == "stripe" and not cfg["STRIPE_PUBLISHABLE_KEY"]:
        problems.append("STRIPE_PUBLISHABLE_KEY is not set (the checkout needs it)")
    if cfg["SMS_PROVIDER"] == "twilio":
        if not cfg["TWILIO_ACCOUNT_SID"] or not cfg["TWILIO_AUTH_TOKEN"]:
            problems.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set")
        if not cfg["TWILIO_FROM_NUMBER"] and not cfg["TWILIO_MESSAGING_SERVICE_SID"]:
            problems.append("set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID (who sends the SMS)")
        if cfg["TWILIO_API_BASE"]:
            problems.append("TWILIO_API_BASE is for tests and local development only")
        if not cfg["BASE_URL"].startswith("https://"):
            problems.append("BASE_URL must be the public https address (Twilio calls it back and signs it)")
    if not cfg.get("MEDICAL_ENCRYPTION_KEYS"):
        problems.append("MEDICAL_ENCRYPTION_KEYS is not set (medical data is encrypted with it; "
                        "make one with `flask medical generate-key`)")
    if problems:
        raise ConfigError(
            "Refusing to start in production: "
            + "; ".join(problems)
            + ". Set ALLOW_SANDBOX_PROVIDERS=1 to run a production instance on the sandbox "
            "and outbox providers on purpose."
        )
