"""Proving a mobile number is the user's: a six-digit code sent to it by SMS, typed back.

The code is derived from the user, the number and a ten-minute window with the app's secret key
(HMAC), so nothing is stored: it holds for its window and the one after, and one SMS is sent per
number and window however often it is asked for (the outbox's key). Attempts are throttled. Only a
verified number's SMS land in the user's conversations with the desk; changing the number clears
the proof.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from flask_babel import gettext as _

from app import throttle
from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox
from app.models import PhoneVerification, User
from app.timeutil import now_utc

WINDOW_SECONDS = 600
ATTEMPTS = "5 per 10 minutes"


def _window(at: float | None = None) -> int:
    return int((at if at is not None else time.time()) // WINDOW_SECONDS)


def code_for(user: User, window: int) -> str:
    message = f"phone-verification:{user.id}:{user.phone}:{window}".encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def send_code(user: User) -> bool:
    """Text the user a code for their number. False when one was sent for this window already
    (the same code still holds)."""
    if not user.phone:
        raise ServiceError(_("Add your mobile number first."), "phone")
    if user.phone_verified_at is not None:
        raise ServiceError(_("Your number is verified already."))
    window = _window()
    with outbox.recipient_locale(user):
        text = _("Countdown: your code to verify this number is %(code)s. It holds for 10 minutes.",
                 code=code_for(user, window))
    key = f"phone-code:{user.id}:{user.phone}:{window}"
    return outbox.queue_sms("phone_code", user.phone, text, key=key) is not None


def verify(user: User, code: str) -> None:
    """Check the code the user typed; on success the number counts as theirs."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not user.phone:
        raise ServiceError(_("Add your mobile number first."), "code")
    if throttle.take(f"phone-code:{user.id}", ATTEMPTS) is None:
        raise ServiceError(_("Too many attempts. Wait ten minutes, then ask for a new code."), "code")
    now = _window()
    if len(code) != 6 or not any(hmac.compare_digest(code, code_for(user, w)) for w in (now, now - 1)):
        raise ServiceError(_("This code is not right, or it ran out. Check the last SMS, or ask for a new code."),
                           "code")
    proof = user.phone_verification
    if proof is None:
        proof = user.phone_verification = PhoneVerification(user_id=user.id, phone=user.phone)
    proof.phone, proof.verified_at = user.phone, now_utc()
    db.session.flush()
