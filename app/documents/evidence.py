"""The evidence of one signature or acknowledgement as a PDF, for the operator's files: who, which
booking, which version in which language, the SHA-256 of the text shown (and whether it still
matches), when and from where, every event of that version for that booking, and the text itself.

Drawn with ReportLab in the Bitstream Vera fonts it ships, which cover every language of the app.
Labels are in the reader's language; the text is in the language it was shown in.
"""

from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from app import pdf
from app.config import LANGUAGES
from app.documents import documents
from app.documents import labels as document_labels
from app.extensions import db
from app.formats import when
from app.models import Acceptance, DocumentEvent


def acceptance_pdf(acceptance: Acceptance) -> bytes:
    """The evidence of ``acceptance`` as a PDF."""
    styles = pdf.styles()
    version = acceptance.document_version
    text = next(t for t in version.texts if t.language == acceptance.language)
    events = db.session.scalars(
        select(DocumentEvent).where(DocumentEvent.booking_id == acceptance.booking_id,
                                    DocumentEvent.version_id == version.id)
        .order_by(DocumentEvent.at, DocumentEvent.id))
    signed = bool(acceptance.signed_name)
    matches = documents.text_hash(text.body) == acceptance.text_sha256
    kind = document_labels.KINDS[acceptance.document.kind]
    rule = document_labels.RULES[acceptance.document.kind]
    rows = [
        (_("Tourist"), f"{acceptance.user.name} ({acceptance.user.email})"),
        (_("Booking"), f"{acceptance.booking.reference} · {acceptance.booking.flight.name}"),
        (_("Document"), f"{kind}{f' ({rule})' if rule else ''}"),
        (_("Version"), _("%(v)s, published %(date)s", v=acceptance.version, date=when(version.published_at, "long", "UTC"))),
        (_("Language shown"), LANGUAGES.get(acceptance.language, acceptance.language)),
    ]
    if signed:
        rows.append((_("Name typed to sign"), acceptance.signed_name))
    rows += [
        (_("Signed at") if signed else _("Acknowledged at"), when(acceptance.accepted_at, "full", "UTC")),
        (_("IP address"), acceptance.ip_address),
        (_("Browser"), acceptance.user_agent),
        (_("SHA-256 of the text shown"), acceptance.text_sha256),
        ("", _("matches the text below") if matches else _("does not match the text below")),
    ]
    table = Table([[pdf.paragraph(label, styles["label"]), pdf.paragraph(value, styles["body"])] for label, value in rows],
                  colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story = [
        pdf.paragraph(_("Signature: %(title)s", title=text.title) if signed else _("Acknowledgement: %(title)s", title=text.title),
           styles["title"]),
        table,
        Spacer(1, 6 * mm),
        pdf.paragraph(_("Events"), styles["h2"]),
        *(pdf.paragraph(f"{when(e.at, 'full', 'UTC')}: {document_labels.EVENTS[e.kind]}"
             + (f" ({e.language.upper()})" if e.language else ""), styles["body"]) for e in events),
        Spacer(1, 6 * mm),
        pdf.paragraph(_("The text shown"), styles["h2"]),
        pdf.paragraph(text.title, styles["label"]),
        *(pdf.paragraph(paragraph, styles["body"]) for paragraph in text.body.split("\n\n")),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=text.title, author="Countdown",
                            subject=_("Evidence of %(name)s's acceptance", name=acceptance.user.name))
    doc.build(story)
    return out.getvalue()
