"""Who may read a tourist's travel data, and the access log every route that shows, changes or
exports it writes: logistics and operations read it; the tourist reads their own; medical staff
and instructors never do. A row is written in the same transaction as what it records."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Flight, Role, TravelAccess, User

T = TypeVar("T")
#: The staff roles that read travel documents, contacts and needs.
READERS = (Role.LOGISTICS, Role.OPERATIONS)


def log_access(actor: User | None, subject_id: int | None, action: str, what: str,
               flight: Flight | None = None) -> TravelAccess:
    row = TravelAccess(actor_id=actor.id if actor else None, subject_id=subject_id,
                       flight_id=flight.id if flight else None, action=action, what=what[:200],
                       ip_address=(request.remote_addr or "")[:45] if has_request_context() else "")
    db.session.add(row)
    db.session.flush()
    return row


def changing(actor: User, subject_id: int, what: str, action: Callable[[], T]) -> Callable[[], T]:
    """``action``, then its "change" row in the access log, in the same transaction."""
    def run() -> T:
        result = action()
        log_access(actor, subject_id, "change", what)
        return result
    return run


def access_log(subject_id: int, limit: int = 50) -> list[TravelAccess]:
    """The latest reads and changes of a tourist's travel data, newest first."""
    return list(db.session.scalars(
        select(TravelAccess).where(TravelAccess.subject_id == subject_id).options(selectinload(TravelAccess.actor))
        .order_by(TravelAccess.at.desc(), TravelAccess.id.desc()).limit(limit)))
