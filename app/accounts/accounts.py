"""Accounts: sign-up, authentication, staff accounts and password reset."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Problems, ServiceError
from app.extensions import db
from app.messaging import outbox
from app.models import Role, User, UserSession, normalise_email
from app.phones import normalise_phone
from app.timeutil import age_on, now_utc
from app.urls import external_url

MINIMUM_AGE = 18
_RESET_SALT = "countdown.password-reset"
# Checked against when no account matches, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("countdown-dummy-password", method="scrypt")


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if len(password) < minimum:
        raise ServiceError(_("Use at least %(n)s characters for your password.", n=minimum), "password")
    lowered = password.lower()
    if email and normalise_email(email).split("@")[0] in lowered and len(email.split("@")[0]) > 3:
        raise ServiceError(_("Your password must not contain your email address."), "password")
    if len(set(password)) < 5:
        raise ServiceError(_("This password is too easy to guess."), "password")


#: Nobody who opens an account was born longer ago than this: an older date is a typing error.
OLDEST_AGE = 120


def date_of_birth_problem(date_of_birth: date | None, today: date | None = None) -> str | None:
    """Why a tourist's date of birth is refused (``None`` when it is fine): it is missing, in the
    future, more than 120 years ago (a typing error), or the tourist is under 18."""
    today = today or now_utc().date()
    if date_of_birth is None:
        return _("Please give your date of birth.")
    if date_of_birth > today:
        return _("A date of birth cannot be in the future.")
    if age_on(date_of_birth, today) > OLDEST_AGE:
        return _("Check the year: this date of birth is more than %(n)s years ago.", n=OLDEST_AGE)
    if age_on(date_of_birth, today) < MINIMUM_AGE:
        return _("You must be 18 or older to fly, and to open an account.")
    return None


def account_problems(
    *, email: str | None, name: str | None = "", password: str | None, role: Role = Role.TOURIST,
    phone: str | None = None, date_of_birth: date | None = None, check_date_of_birth: bool = True,
) -> list[ServiceError]:
    """Everything wrong with a new account at once, each at its field. ``None`` for a value the
    form could not read skips its check (the form says what is wrong with it)."""
    problems = Problems()
    if email:
        if find_by_email(email) is not None:
            problems.add(_("An account with this email address already exists."), "email")
    if password is not None:
        with_email = normalise_email(email) if email else ""
        try:
            check_password_strength(password, email=with_email, name=name or "")
        except ServiceError as exc:
            problems.extend(exc)
    if role is Role.TOURIST and check_date_of_birth:
        problem = date_of_birth_problem(date_of_birth)
        if problem:
            problems.add(problem, "date_of_birth")
    if (phone or "").strip():
        try:
            normalise_phone(phone)
        except ServiceError as exc:
            problems.add(exc.message, exc.field or "phone")
    return problems.errors


def create_user(
    *, email: str, name: str, password: str, role: Role = Role.TOURIST, phone: str | None = None,
    date_of_birth: date | None = None, language: str = "en", timezone: str = "UTC",
) -> User:
    email = normalise_email(email)
    Problems(account_problems(email=email, name=name, password=password, role=role, phone=phone,
                              date_of_birth=date_of_birth)).raise_any()
    phone = normalise_phone(phone) if (phone or "").strip() else None
    user = User(
        email=email, name=name.strip(), phone=phone,
        date_of_birth=date_of_birth, language=language, timezone=timezone, role=role,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def reset_token(user: User) -> str:
    # The token names the current password hash, so it stops working once it has been used.
    return _serializer().dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.password_hash[-16:] != data.get("ph"):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Email a one-time reset link if the account exists; says nothing either way."""
    user = find_by_email(email)
    if user is None or not user.active:
        return
    outbox.queue_email(
        "password_reset", user=user,
        url=external_url("accounts.auth.reset_link", token=reset_token(user)),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def reset_password(user: User, password: str) -> None:
    check_password_strength(password, email=user.email, name=user.name)
    user.set_password(password)
    end_sessions(user)


# -- sessions: one row per log-in on a device ------------------------------------------------------

SESSION_KEY = "sid"  # the key of the session token in Flask's signed session cookie


def _lifetime() -> timedelta:
    value = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, user_agent: str = "") -> str:
    """Start a log-in session; returns the token the browser's session cookie carries."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_hash(token),
                               user_agent=(user_agent or "")[:255]))
    db.session.flush()
    return token


@functools.cache
def _session_user_statement():
    """Built once: every request reads its user through it."""
    return select(User).join(UserSession, UserSession.user_id == User.id).where(
        User.id == bindparam("user_id"), UserSession.token_hash == bindparam("token_hash"),
        UserSession.ended_at.is_(None), UserSession.created_at > bindparam("since"),
    )


def session_user(user_id: int, token: str | None) -> User | None:
    """The user of an open, unexpired session with this token (one query), else ``None``."""
    if not token:
        return None
    return db.session.scalar(_session_user_statement(), {
        "user_id": user_id, "token_hash": _token_hash(token), "since": now_utc() - _lifetime()})


def end_session(token: str | None) -> None:
    """Log out: every copy of this session's cookie stops working."""
    if token:
        db.session.execute(update(UserSession).where(
            UserSession.token_hash == _token_hash(token), UserSession.ended_at.is_(None),
        ).values(ended_at=now_utc()))


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every open session of ``user`` but the one of ``keep``; returns how many ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.token_hash != _token_hash(keep))
    return db.session.execute(query.values(ended_at=now_utc())).rowcount or 0


def purge_sessions() -> int:
    """Delete the rows of sessions that ended, or whose lifetime is over, more than a day ago:
    they open nothing any more. Does not commit."""
    cutoff = now_utc() - timedelta(days=1)
    return db.session.execute(delete(UserSession).where(
        (UserSession.ended_at < cutoff) | (UserSession.created_at < cutoff - _lifetime())
    )).rowcount or 0


def other_devices(user: User, token: str | None) -> list[UserSession]:
    """The other devices logged in to this account now (their open sessions), newest first."""
    lifetime = _lifetime()
    query = select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.created_at > now_utc() - lifetime,
    ).order_by(UserSession.created_at.desc(), UserSession.id.desc())
    if token:
        query = query.where(UserSession.token_hash != _token_hash(token))
    return list(db.session.scalars(query))


def other_sessions(user: User, token: str | None) -> int:
    """How many other devices are logged in to this account now."""
    return len(other_devices(user, token))


#: (marker in the user agent, name shown), the first that matches wins: Edge and Opera also say
#: Chrome, and Chrome also says Safari.
_BROWSERS = (("Edg", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"))


def device_name(user_agent: str | None) -> str:
    """A device as its owner recognises it, from its browser's user agent: "Chrome on Windows"."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system
    return _("Unknown browser")


def update_profile(user: User, *, name: str, phone: str | None, language: str, timezone: str) -> None:
    phone = normalise_phone(phone) if (phone or "").strip() else None  # checked before any change
    user.name = name.strip()
    user.phone = phone  # a proof of another number no longer counts (User.phone_verified_at)
    user.language = language
    user.timezone = timezone
