from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.bookings import Booking
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class PaymentKind(str, enum.Enum):
    DEPOSIT = "deposit"
    BALANCE = "balance"          # the whole balance at once
    INSTALLMENT = "installment"  # one part of the balance, charged on its due date


class PaymentStatus(str, enum.Enum):
    SCHEDULED = "scheduled"            # due later; nothing asked of the provider yet
    PENDING = "pending"                # an intent exists; waiting for the tourist or the provider
    REQUIRES_ACTION = "requires_action"  # the bank wants the tourist (3-D Secure): pay by hand
    FAILED = "failed"                  # the last attempt was declined; may be retried
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"            # no longer owed (booking cancelled before it was charged)


class Payment(db.Model):
    """One amount owed for a booking, and its fate. The provider's intent maps to it one to one."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind))
    sequence: Mapped[int] = mapped_column(default=0)  # installment number, 1-based; 0 otherwise
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus), default=PaymentStatus.SCHEDULED
    )
    provider: Mapped[str] = mapped_column(String(16))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    off_session: Mapped[bool] = mapped_column(default=False)
    #: The last attempt was an automatic charge (not the tourist at the checkout): its decline,
    #: or its bank asking the tourist to confirm, is told to the tourist by message.
    automatic_attempt: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    booking: Mapped[Booking] = relationship()
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def idempotency_key(self) -> str:
        """Derived from this row: a retried create never makes a second charge."""
        return f"countdown-payment-{self.id}"

    def attempt_key(self) -> str:
        return f"countdown-payment-{self.id}-attempt-{self.attempts}"

    @property
    def display_status(self) -> str:
        """What the tourist reads: a paid payment given back says so."""
        if self.status is PaymentStatus.SUCCEEDED and self.refunded_minor:
            return "refunded" if self.refunded_minor >= self.amount_minor else "partly_refunded"
        return self.status.value

    @property
    def net_minor(self) -> int:
        return (self.amount_minor - self.refunded_minor) if self.status is PaymentStatus.SUCCEEDED else 0


class RefundKind(str, enum.Enum):
    """Why money went back: an operator's own decision (its reason is shown as typed) or one of
    the system's occasions (shown through a label)."""

    OPERATOR = "operator"                    # goodwill or a correction, with the operator's reason
    TOURIST_CANCELLED = "tourist_cancelled"  # the tourist cancelled; the policy decided the amount
    FLIGHT_CANCELLED = "flight_cancelled"    # the operator cancelled the flight: everything back
    SEAT_GONE = "seat_gone"                  # the deposit arrived after the seat went to someone else
    PROVIDER = "provider"                    # refunded at the provider, outside Countdown


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[RefundKind] = mapped_column(
        enum_column(RefundKind, length=24), default=RefundKind.OPERATOR, server_default="operator"
    )
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Sent with the refund to the provider: the payment and the refund's place among its refunds
    #: (see :func:`app.payments.payments.new_refund`), never the row's id, so that a refund asked
    #: again after a crash (its row rolled back, its id gone) is the same request, made once.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    actor: Mapped[User | None] = relationship()



class PaymentEvent(db.Model):
    """Append-only history of money: every charge attempt, success, failure, refund and dispute."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class WebhookEvent(db.Model):
    """Each provider event is handled once: its id is unique."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class SandboxIntent(db.Model):
    """The sandbox provider's own record of a payment intent: no money moves."""

    __tablename__ = "sandbox_intents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32), default="requires_payment_method")
    card_last4: Mapped[str | None] = mapped_column(String(4))
    last_error: Mapped[str] = mapped_column(Text, default="")
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_payment_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
