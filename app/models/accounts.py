from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class Role(str, enum.Enum):
    TOURIST = "tourist"
    MEDICAL = "medical"
    INSTRUCTOR = "instructor"
    LOGISTICS = "logistics"
    OPERATIONS = "operations"

    @property
    def is_staff(self) -> bool:
        return self is not Role.TOURIST


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[date | None]
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[Role] = mapped_column(
        enum_column(Role),
        default=Role.TOURIST,
        index=True,
    )
    active: Mapped[bool] = mapped_column(default=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    phone_verification: Mapped[PhoneVerification | None] = relationship(uselist=False, lazy="select")

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        # The id carries a fingerprint of the password hash, so changing the password ends
        # every other session of this user.
        return f"{self.id}:{self.password_hash[-12:]}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = now_utc()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def phone_verified_at(self) -> datetime | None:
        """When the user proved their current number is theirs; None if they never did, or
        changed it since."""
        proof = self.phone_verification
        return proof.verified_at if proof is not None and proof.phone == self.phone else None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class PhoneVerification(db.Model):
    """A user proved a mobile number is theirs (a code sent to it, typed back): only a verified
    number's SMS land in the user's conversations with the desk. It holds for that number only."""

    __tablename__ = "phone_verifications"
    __table_args__ = (Index("ix_phone_verifications_phone", "phone"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


def normalise_email(email: str) -> str:
    """Emails are stored and compared lower-cased."""
    return email.strip().lower()


class UserSession(db.Model):
    """One log-in on one device. The browser's signed session cookie carries a random token whose
    SHA-256 is kept here; a session is valid only while its row is open, so logging out (or out of
    every other device) makes every copy of that cookie useless."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ThrottleHit(db.Model):
    """One counted attempt (a failed log-in, a sign-up, ...) under a key such as an address or an
    account, kept in the database so that every web process counts against the same limit."""

    __tablename__ = "throttle_hits"
    __table_args__ = (db.Index("ix_throttle_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
