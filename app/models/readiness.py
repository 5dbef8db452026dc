"""Operations' overrides of readiness gates: a gate that policy lets operations waive (a payment
deferred by agreement, a briefing given in person, ...), with who waived it, when and why. An
override is never edited: it is withdrawn (who and when recorded) and, if need be, made again. The
readiness engine (:mod:`app.readiness`) applies the live ones; which gates may be overridden is the
gates' own declaration and the operator's policy, never the consent, the waiver or the medical
clearance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime
from app.timeutil import now_utc


class GateOverride(db.Model):
    __tablename__ = "gate_overrides"
    __table_args__ = (
        # One live override per booking and gate, on both databases.
        Index("uq_gate_overrides_live", "booking_id", "gate", unique=True,
              sqlite_where=sql_text("withdrawn_at IS NULL"), postgresql_where=sql_text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    gate: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined", innerjoin=True)
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None
