"""Informed consent before money (14 CFR 460.45): versioned documents, signatures, questions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox, reminders
from app.models import (
    Booking,
    BookingState,
    ConsentDocument,
    ConsentQuestion,
    ConsentSignature,
    DocumentKind,
    User,
)
from app.timeutil import age_on, now_utc
from app.urls import external_url

MINIMUM_AGE = 18


def text_hash(body: str) -> str:
    """SHA-256 of the text as shown; line endings are normalised so a browser cannot change it."""
    normalised = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def current_document(kind: DocumentKind = DocumentKind.INFORMED_CONSENT) -> ConsentDocument | None:
    return db.session.scalar(
        select(ConsentDocument).where(ConsentDocument.kind == kind)
        .order_by(ConsentDocument.version.desc()).limit(1)
    )


def publish_document(
    *, title: str, body: str, resign_required: bool, change_summary: str, actor: User,
    kind: DocumentKind = DocumentKind.INFORMED_CONSENT,
) -> ConsentDocument:
    title, body = title.strip(), body.replace("\r\n", "\n").strip()
    if not title or not body:
        raise ServiceError(_("A document needs a title and a text."))
    latest = current_document(kind)
    if latest is not None and text_hash(body) == latest.body_sha256 and title == latest.title:
        raise ServiceError(_("This text is the same as the current version; nothing to publish."))
    document = ConsentDocument(
        kind=kind, version=(latest.version + 1) if latest else 1, title=title, body=body,
        body_sha256=text_hash(body), resign_required=resign_required or latest is None,
        change_summary=change_summary.strip(), published_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    if document.resign_required and latest is not None:
        _ask_to_resign(document)
    return document


def _ask_to_resign(document: ConsentDocument) -> None:
    """Everyone with a live booking who signed an older version is asked to sign again."""
    signed = (
        select(ConsentSignature.booking_id)
        .where(ConsentSignature.document_version < document.version).distinct()
    )
    for booking in db.session.scalars(
        select(Booking).where(Booking.id.in_(signed),
                              Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .order_by(Booking.id)
    ):
        reminders.notify("consent_resign", booking, occurrence=f"v{document.version}",
                         context={"version": document.version})


def required_version(kind: DocumentKind = DocumentKind.INFORMED_CONSENT) -> int | None:
    """The oldest version a signature may be of: the latest version that asks everyone to re-sign."""
    return db.session.scalar(
        select(func.max(ConsentDocument.version))
        .where(ConsentDocument.kind == kind, ConsentDocument.resign_required.is_(True))
    )


@dataclass(frozen=True)
class ConsentStatus:
    signed: bool               # a signature that is still good
    needs_resign: bool         # signed once, but a newer version requires a new signature
    signature: ConsentSignature | None
    current: ConsentDocument | None


def _current_and_required(
    kind: DocumentKind = DocumentKind.INFORMED_CONSENT,
) -> tuple[ConsentDocument | None, int | None]:
    """:func:`current_document` and :func:`required_version` in one query (every journey page asks)."""
    required = (
        select(func.max(ConsentDocument.version))
        .where(ConsentDocument.kind == kind, ConsentDocument.resign_required.is_(True))
        .correlate(None)  # its own scan of the table, not the outer query's row
        .scalar_subquery()
    )
    row = db.session.execute(
        select(ConsentDocument, required).where(ConsentDocument.kind == kind)
        .order_by(ConsentDocument.version.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def statuses(bookings: list[Booking]) -> dict[int, ConsentStatus]:
    """Consent status of many bookings in a fixed number of queries."""
    current, required = _current_and_required()
    latest_sig: dict[int, ConsentSignature] = {}
    ids = [b.id for b in bookings]
    if ids:
        for sig in db.session.scalars(
            select(ConsentSignature).where(ConsentSignature.booking_id.in_(ids))
            .order_by(ConsentSignature.document_version)
        ):
            latest_sig[sig.booking_id] = sig
    result = {}
    for booking in bookings:
        sig = latest_sig.get(booking.id)
        good = sig is not None and (required is None or sig.document_version >= required)
        result[booking.id] = ConsentStatus(
            signed=good, needs_resign=sig is not None and not good, signature=sig, current=current
        )
    return result


def signed_name_problem(user: User, signed_name: str | None) -> ServiceError | None:
    """A signature is the account's name, typed: anything else is refused at the name field."""
    if " ".join((signed_name or "").split()).casefold() != " ".join(user.name.split()).casefold():
        return ServiceError(_("Type your full name exactly as on your account: %(name)s.", name=user.name),
                            "signed_name")
    return None


def sign(
    booking: Booking, user: User, *, document_id: int, signed_name: str,
    ip_address: str, user_agent: str,
) -> ConsentSignature:
    """Record ``user``'s signature of the current document for ``booking``; raises on any rule."""
    now = now_utc()
    if booking.user_id != user.id:
        raise ServiceError(_("This booking is not yours."))
    if not (booking.hold_is_live(now) or booking.state is BookingState.CONFIRMED):
        raise ServiceError(_("Your seat hold has expired. Hold a seat again to sign."))
    document = current_document()
    if document is None:
        raise ServiceError(_("There is no consent document to sign yet."))
    if document.id != document_id:
        raise ServiceError(
            _("A new version of the document was published while you were reading. "
              "Please read version %(version)s and sign again.", version=document.version)
        )
    if user.date_of_birth is None or age_on(user.date_of_birth, now.date()) < MINIMUM_AGE:
        raise ServiceError(_("Spaceflight participants must be 18 or older."))
    problem = signed_name_problem(user, signed_name)
    if problem is not None:
        raise problem
    existing = db.session.scalar(
        select(ConsentSignature).where(
            ConsentSignature.booking_id == booking.id, ConsentSignature.document_id == document.id
        )
    )
    if existing is not None:
        raise ServiceError(_("You have already signed this version."))
    if text_hash(document.body) != document.body_sha256:
        raise RuntimeError("consent document text does not match its recorded hash")
    signature = ConsentSignature(
        booking_id=booking.id, user_id=user.id, document_id=document.id,
        document_version=document.version, text_sha256=document.body_sha256,
        signed_name=" ".join(signed_name.split()), signed_at=now,
        ip_address=ip_address[:45], user_agent=user_agent[:512],
    )
    db.session.add(signature)
    db.session.flush()
    return signature


def ask_question(user: User, document: ConsentDocument, booking: Booking | None, text: str) -> ConsentQuestion:
    text = text.strip()
    if len(text) < 5:
        raise ServiceError(_("Your question is too short."))
    question = ConsentQuestion(
        user_id=user.id, document_id=document.id,
        booking_id=booking.id if booking else None, question=text,
    )
    db.session.add(question)
    db.session.flush()
    return question


def answer_question(question: ConsentQuestion, actor: User, answer: str, booking_reference: str | None) -> None:
    answer = answer.strip()
    if len(answer) < 2:
        raise ServiceError(_("Please write an answer."))
    if question.answered_at is not None:
        raise ServiceError(_("This question has already been answered."))
    question.answer = answer
    question.answered_by_id = actor.id
    question.answered_at = now_utc()
    url = (external_url("consent.tourist.sign", reference=booking_reference) if booking_reference
           else external_url("journey.index"))
    outbox.queue_email("consent_answer", user=question.user, question=question, url=url)
