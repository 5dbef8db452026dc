"""The reminders of documents: a document published for the tourist's flight, or a material change
to one they accepted (at once); documents still open a week and a day before launch; and a reminder
operations send by hand."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from app.booking.reminder_rules import LIVE, booking_context
from app.documents import documents
from app.documents.documents import DocumentStatus
from app.messaging.reminders import Rule, memo, register
from app.models import Booking
from app.urls import external_url


def _statuses(booking: Booking) -> list[DocumentStatus]:
    if booking.state not in LIVE:
        return []
    return memo(("documents", booking.id), lambda: documents.statuses([booking])[booking.id])


def _open(booking: Booking) -> list[DocumentStatus]:
    return [s for s in _statuses(booking) if not s.done]


def _link(_booking: Booking) -> str:
    return external_url("documents.tourist.index")


def _titles(booking: Booking, rows: list[DocumentStatus]) -> list[str]:
    language = booking.user.language
    return [s.current.text_in(language).title for s in rows]


def _published_active(booking: Booking, stored: dict) -> bool:
    return any(s.document.id == stored.get("document_id") for s in _open(booking))


def _published_context(booking: Booking, stored: dict) -> dict:
    status = next((s for s in _statuses(booking) if s.document.id == stored.get("document_id")), None)
    return {**booking_context(booking, stored), "status": status,
            "title": status.current.text_in(booking.user.language).title if status else "",
            "again": status is not None and status.acceptance is not None}


register(Rule(
    "document_published", "booking", "consent", "reminder_document_published",
    recipient=lambda b: b.user, active=_published_active, context=_published_context,
    link=lambda b: external_url("documents.tourist.index"),
))


def _due(days: int):
    def when(booking: Booking) -> datetime | None:
        if not _open(booking):
            return None
        return booking.flight.launch_at - timedelta(days=days)
    return when


def _due_context(booking: Booking, stored: dict) -> dict:
    return {**booking_context(booking, stored), "titles": _titles(booking, _open(booking)),
            "by_operations": bool(stored.get("by_operations"))}


def _occurrence(booking: Booking) -> str:
    versions = ",".join(str(s.current.id) for s in sorted(_open(booking), key=lambda s: s.current.id))
    return f"{booking.flight.launch_at:%Y%m%d}-{hashlib.sha1(versions.encode()).hexdigest()[:10]}"


for _name, _days in (("documents_due_week", 7), ("documents_due_day", 1)):
    register(Rule(
        _name, "booking", "consent", "reminder_documents_due",
        recipient=lambda b: b.user, when=_due(_days), active=lambda b, stored: bool(_open(b)),
        # Moved with the launch (a slip reminds again before the new date), and new when other
        # documents are open (one published after the others were done is reminded too).
        occurrence=_occurrence,
        deadline=lambda b: b.flight.launch_at, context=_due_context, link=_link,
    ))

register(Rule(
    "documents_reminder", "booking", "consent", "reminder_documents_due",
    recipient=lambda b: b.user, active=lambda b, stored: bool(_open(b)),
    context=lambda b, stored: {**_due_context(b, stored), "by_operations": True}, link=_link,
))
