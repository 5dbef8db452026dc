"""The privacy log: every export, erasure and retention run, with who, whose, when and how many
rows. Operations read it; nothing in it is the content of what was exported or erased."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import PrivacyLog, PrivacyLogKind, User

PER_PAGE = 50


def write(kind: PrivacyLogKind, *, actor: User | None = None, subject_id: int | None = None, rows: int = 0,
          detail: dict[str, Any] | None = None) -> PrivacyLog:
    entry = PrivacyLog(kind=kind, actor_id=actor.id if actor is not None else None, subject_id=subject_id,
                       rows=rows, detail=detail or {},
                       ip_address=(request.remote_addr or "")[:45] if has_request_context() else "")
    db.session.add(entry)
    db.session.flush()
    return entry


def page(number: int = 1) -> tuple[list[PrivacyLog], int]:
    """One page of the log, newest first, and the number of pages."""
    total = db.session.scalar(select(func.count()).select_from(PrivacyLog)) or 0
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    entries = list(db.session.scalars(
        select(PrivacyLog).options(joinedload(PrivacyLog.actor), joinedload(PrivacyLog.subject))
        .order_by(PrivacyLog.at.desc(), PrivacyLog.id.desc()).offset((number - 1) * PER_PAGE).limit(PER_PAGE)))
    return entries, pages
