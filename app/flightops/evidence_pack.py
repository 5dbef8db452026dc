"""A flown tourist's evidence pack as a PDF for the operator's files: the booking, the flight and
its actual times, then each requirement the domains prove (``app.evidence``), proven or not, with
its facts and times. Medical: status and dates only."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from app import evidence, pdf
from app.formats import when
from app.i18n import gettext as _
from app.models import Booking, FlightOutcome, User
from app.timeutil import now_utc


def evidence_pdf(booking: Booking, outcome: FlightOutcome | None, reader: User) -> bytes:
    styles = pdf.styles()
    flight, user = booking.flight, booking.user
    sections = evidence.sections_for(booking)
    missing = [s for s in sections if not s.proven]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=_("Evidence pack of %(name)s", name=user.name),
                            author="Countdown")
    facts = [
        (_("Participant"), user.name), (_("Booking"), booking.reference),
        (_("Flight"), f"{flight.name} · {flight.vehicle} · {flight.spaceport}"),
        (_("Planned launch"), when(flight.launch_at, "long", "UTC")),
        (_("Liftoff"), when(outcome.lifted_off_at, "long", "UTC") if outcome else "—"),
        (_("Landing"), when(outcome.landed_at, "long", "UTC") if outcome else "—"),
        (_("Made"), _("%(date)s by %(name)s", date=when(now_utc(), "long", "UTC"), name=reader.name)),
    ]
    story = [pdf.paragraph(_("Evidence pack of %(name)s", name=user.name), styles["title"]),
             _table([(pdf.paragraph(k, styles["label"]), pdf.paragraph(v, styles["body"])) for k, v in facts]),
             Spacer(1, 4 * mm),
             pdf.paragraph(_("Every requirement below is proven by the record.") if not missing else
                           _("Not proven: %(items)s.", items="; ".join(s.title for s in missing)), styles["h2"])]
    for section in sections:
        mark = _("Proven") if section.proven else _("Not proven")
        block = [pdf.paragraph(f"{section.title}: {mark}", styles["h2"])]
        if section.lines:
            block.append(_table([(pdf.paragraph(line.label, styles["label"]), pdf.paragraph(line.value, styles["body"]))
                                 for line in section.lines]))
        if section.note:
            block.append(pdf.paragraph(section.note, styles["body"]))
        story.append(KeepTogether(block))
    story += [Spacer(1, 6 * mm), pdf.paragraph(_("Times in UTC. Medical clearance: status and dates only, never a "
                                                 "finding."), styles["small"])]
    doc.build(story)
    return out.getvalue()


def _table(rows) -> Table:
    table = Table(rows, colWidths=[48 * mm, 126 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey)]))
    return table
