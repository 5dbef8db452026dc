"""The account's share of a tourist's data: the profile, where they are logged in, the mobile
number they proved. Erased last of all parts: the account stays as an anonymous row that kept
records (a booking, a payment) still point to, and no one can log in to it (its erasure request
says when it was erased)."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from app import personal_data
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import PhoneVerification, ThrottleHit, User, UserSession
from app.personal_data import Consequence, Outcome, Part


def _export(user: User) -> dict:
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    return {
        "profile": personal_data.record(user, "email", "name", "phone", "date_of_birth", "language", "timezone",
                                        "role", "created_at", "password_changed_at"),
        "phone_verified_at": personal_data.plain(user.phone_verified_at),
        "sessions": [personal_data.record(s, "user_agent", "created_at", "ended_at") for s in sessions],
    }


def _preview(user: User, facts: dict) -> list[Consequence]:
    return [Consequence(str(_l("Your account is closed: your name, email address, phone number and date of birth "
                               "are removed, and no one can log in to it again.")))]


def erased_email(user: User) -> str:
    return f"erased-{user.id}@erased.invalid"


def _erase(user: User, actor: User | None) -> Outcome:
    email = user.email
    rows = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount
    rows += db.session.execute(delete(PhoneVerification).where(PhoneVerification.user_id == user.id)).rowcount
    rows += db.session.execute(delete(ThrottleHit).where(ThrottleHit.key == f"login:{email}")).rowcount
    user.name = str(_l("Erased account"))
    user.email = erased_email(user)
    user.phone = None
    user.date_of_birth = None
    user.stripe_customer_id = None
    # No password hashes to this: nobody can log in.
    user.password_hash = "erased:" + secrets.token_hex(16)
    user.active = False
    return Outcome(erased=rows + 1)


personal_data.register_part(Part(
    "account", _l("Your account"), position=10, erase_order=1000,
    export=_export, preview=_preview, erase=_erase,
))
