"""The informed consent (14 CFR 460.45) as the rest of the app asks about it: signed (and still
good) before any money is taken. It is a document of the kind ``informed_consent``; a booking's
consent is signed when every such document that applies to its flight is."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.documents import documents
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    Document,
    DocumentKind,
    DocumentScope,
    DocumentVersion,
    User,
)


@dataclass(frozen=True)
class ConsentStatus:
    signed: bool               # a signature that is still good
    needs_resign: bool         # signed once, but a newer version requires a new signature
    signature: Acceptance | None
    current: DocumentVersion | None
    document: Document | None = None


def from_statuses(statuses: list[documents.DocumentStatus]) -> ConsentStatus:
    """The consent, from a booking's document statuses (already loaded)."""
    own = [s for s in statuses if s.kind is DocumentKind.INFORMED_CONSENT]
    if not own:
        return ConsentStatus(False, False, None, None)
    pending = next((s for s in own if not s.done), None)
    shown = pending or own[0]
    return ConsentStatus(
        signed=pending is None, needs_resign=pending is not None and pending.acceptance is not None,
        signature=shown.acceptance, current=shown.current, document=shown.document,
    )


def signed_in(standings: list[documents.Standing]) -> bool:
    """Whether the consent is signed, from a booking's :func:`documents.standings` (the readiness
    gates'): ``from_statuses(...).signed`` on the columns."""
    own = [s for s in standings if s.kind is DocumentKind.INFORMED_CONSENT]
    return bool(own) and all(s.done for s in own)


def statuses(bookings: list[Booking]) -> dict[int, ConsentStatus]:
    """Consent status of many bookings in a fixed number of queries."""
    return {booking_id: from_statuses(rows) for booking_id, rows in documents.statuses(bookings).items()}


def consent_document() -> Document | None:
    """The informed consent every flight needs (the one kept for all flights)."""
    return db.session.scalar(
        select(Document).where(Document.kind == DocumentKind.INFORMED_CONSENT, Document.scope == DocumentScope.ALL,
                               Document.archived_at.is_(None)).order_by(Document.id).limit(1))


def current_document() -> DocumentVersion | None:
    """The current version of the informed consent every flight needs."""
    document = consent_document()
    return documents.latest_version(document) if document is not None else None


def publish_document(*, title: str, body: str, resign_required: bool, change_summary: str, actor: User,
                     language: str = "en") -> DocumentVersion:
    """Publish the next version of the informed consent in its default language (the document is
    made with the first version). ``resign_required``: a material change, signed again by all."""
    document = consent_document() or documents.create_document(
        documents.DocumentData(DocumentKind.INFORMED_CONSENT, DocumentScope.ALL, default_language=language), actor)
    draft = documents.Draft({document.default_language: (title, body)}, material=resign_required,
                            change_summary=change_summary)
    return documents.publish_version(document, draft, actor)


def sign(booking: Booking, user: User, *, version_id: int, signed_name: str, ip_address: str, user_agent: str,
         language: str | None = None) -> Acceptance:
    """Sign the consent's version ``version_id`` for the booking, as read in ``language``."""
    if current_document() is None:
        raise ServiceError(_("There is no consent document to sign yet."))
    return documents.accept(booking, user, version_id=version_id, language=language or user.language,
                            signed_name=signed_name, ip_address=ip_address, user_agent=user_agent)
