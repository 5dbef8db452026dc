"""The documents' share of a tourist's data: each signature and acknowledgement, with exactly the
text that was shown, and what happened to each version for them (opened, signed, reminded).
None of it can be erased on request: it is the evidence of informed consent (14 CFR 460.45) and
of the reciprocal waiver (460.49). It goes by retention, ``consent_evidence`` days after the
booking ended, and only retention may delete it (the database refuses anyone else)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select

from app import personal_data
from app.booking.privacy import ended_before
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    Acceptance,
    Booking,
    DocumentEvent,
    DocumentText,
    Flight,
    RetentionUnlock,
    Role,
    User,
)
from app.personal_data import USER_ID, Consequence, Kept, Outcome, Part, Retention, Rule

RULE = "consent_evidence"


def _export(user: User) -> dict:
    rows = db.session.execute(
        select(Acceptance, DocumentText, Booking.reference)
        .join(Booking, Booking.id == Acceptance.booking_id)
        .join(DocumentText, (DocumentText.version_id == Acceptance.version_id)
              & (DocumentText.language == Acceptance.language))
        .where(Acceptance.user_id == user.id).order_by(Acceptance.id)).all()
    events = db.session.execute(
        select(DocumentEvent, Booking.reference).join(Booking, Booking.id == DocumentEvent.booking_id)
        .where(Booking.user_id == user.id).order_by(DocumentEvent.id)).all()
    return {
        "signed_and_acknowledged": [{
            "booking": reference, "document": acceptance.document.kind.value,
            **personal_data.record(acceptance, "version", "language", "text_sha256", "signed_name", "accepted_at",
                                   "ip_address", "user_agent"),
            "title": text.title, "text": text.body,
        } for acceptance, text, reference in rows],
        "events": [{"booking": reference, "document_id": event.document_id,
                    **personal_data.record(event, "kind", "language", "at")} for event, reference in events],
    }


def _count(user: User) -> tuple[int, int]:
    acceptances = db.session.scalar(select(func.count()).select_from(Acceptance).where(Acceptance.user_id == user.id))
    events = db.session.scalar(select(func.count()).select_from(DocumentEvent).join(
        Booking, Booking.id == DocumentEvent.booking_id).where(Booking.user_id == user.id))
    return acceptances or 0, events or 0


FACTS = {"signed": exists().where(Acceptance.user_id == USER_ID)
         | exists().where(DocumentEvent.booking_id == Booking.id, Booking.user_id == USER_ID)}


def _preview(user: User, facts: dict) -> list[Consequence]:
    if not facts["signed"]:
        return []
    return [Consequence(_("Your signatures and acknowledgements (the informed consent, the waiver of claims and "
                          "the other documents), with the texts you were shown, are kept as the evidence the law "
                          "requires."), rule=RULE)]


def _erase(user: User, actor: User | None) -> Outcome:
    acceptances, events = _count(user)
    kept = []
    if acceptances:
        kept.append(Kept(RULE, _l("signatures and acknowledgements"), acceptances))
    if events:
        kept.append(Kept(RULE, _l("document events"), events))
    return Outcome(kept=kept)


def _apply(cutoff: datetime, limit: int) -> int:
    bookings = select(Booking.id).join(Flight, Flight.id == Booking.flight_id).where(ended_before(cutoff))
    acceptance_ids = list(db.session.scalars(select(Acceptance.id).where(Acceptance.booking_id.in_(bookings))
                                             .order_by(Acceptance.id).limit(limit)))
    event_ids = list(db.session.scalars(select(DocumentEvent.id).where(DocumentEvent.booking_id.in_(bookings))
                                        .order_by(DocumentEvent.id).limit(limit)))
    if not acceptance_ids and not event_ids:
        return 0
    tables = ["document_acceptances", "document_events"]
    db.session.add_all([RetentionUnlock(table_name=t) for t in tables])
    db.session.flush()
    removed = db.session.execute(delete(Acceptance).where(Acceptance.id.in_(acceptance_ids))).rowcount
    removed += db.session.execute(delete(DocumentEvent).where(DocumentEvent.id.in_(event_ids))).rowcount
    # Locked again before the transaction commits: no other transaction ever sees the unlock.
    db.session.execute(delete(RetentionUnlock).where(RetentionUnlock.table_name.in_(tables)))
    return removed


personal_data.register_rule(Rule(
    RULE, _l("Consent and waiver evidence"),
    _l("14 CFR 460.45 and 460.49: the operator must be able to prove what each participant was told and signed, "
       "for as long as a claim about the flight can be brought."),
    roles=(Role.OPERATIONS,), retention="consent_evidence",
    position=10,
))
personal_data.register_retention(Retention(
    "consent_evidence", _l("Signatures and acknowledgements"), _l("the booking ended (flown, or cancelled)"),
    _l("The operator's legal retention period for evidence of consent and of the waiver of claims."),
    default_days=3650, apply=_apply, position=10,
))
personal_data.register_part(Part("documents", _l("Documents signed and acknowledged"), position=40,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
