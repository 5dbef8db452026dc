"""The payments' part of a flown tourist's evidence pack: the informed consent was signed before
the first payment was taken (14 CFR 460.45), with both times."""

from __future__ import annotations

from sqlalchemy import func, select

from app import evidence
from app.documents import consent
from app.evidence import Line, Section
from app.extensions import db
from app.formats import when
from app.i18n import gettext as _
from app.models import Acceptance, Booking
from app.models.payments import Payment, PaymentStatus


def _sections(booking: Booking) -> list[Section]:
    first_paid = db.session.scalar(select(func.min(Payment.paid_at)).where(
        Payment.booking_id == booking.id, Payment.status == PaymentStatus.SUCCEEDED))
    document = consent.consent_document()
    signed = db.session.scalar(select(func.min(Acceptance.accepted_at)).where(
        Acceptance.booking_id == booking.id, Acceptance.document_id == (document.id if document else 0)))
    title = _("The informed consent signed before any payment (14 CFR 460.45)")
    lines = [Line(_("Consent first signed"), when(signed, "long", "UTC") if signed else "—"),
             Line(_("First payment received"), when(first_paid, "long", "UTC") if first_paid else "—")]
    proven = signed is not None and (first_paid is None or signed <= first_paid)
    return [Section(title, proven, lines, note="" if proven else _("No signature before the first payment."))]


evidence.register("payments", _sections, position=30)
