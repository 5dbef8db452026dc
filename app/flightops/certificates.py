"""The certificate of spaceflight a flown tourist downloads: their name, the flight, the vehicle,
the spaceport and the date and times of liftoff and landing, in their language. Drawn with
ReportLab in the fonts the app's other PDFs use."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from app import pdf
from app.formats import on_day, when
from app.i18n import gettext as _
from app.models import Booking, FlightOutcome


def certificate_pdf(booking: Booking, outcome: FlightOutcome) -> bytes:
    flight, user = booking.flight, booking.user
    regular, bold = pdf.fonts()
    centred = {"alignment": TA_CENTER, "textColor": colors.HexColor("#1b2433")}
    title = ParagraphStyle("cert-title", fontName=bold, fontSize=30, leading=38, **centred)
    name = ParagraphStyle("cert-name", fontName=bold, fontSize=26, leading=34, **centred)
    body = ParagraphStyle("cert-body", fontName=regular, fontSize=14, leading=20, **centred)
    small = ParagraphStyle("cert-small", fontName=regular, fontSize=9, leading=12, **centred)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=25 * mm, rightMargin=25 * mm,
                            topMargin=30 * mm, bottomMargin=20 * mm,
                            title=_("Certificate of spaceflight"), author="Countdown")
    story = [
        pdf.paragraph(_("Certificate of spaceflight"), title), Spacer(1, 14 * mm),
        pdf.paragraph(_("This certifies that"), body), Spacer(1, 5 * mm),
        pdf.paragraph(user.name, name), Spacer(1, 5 * mm),
        pdf.paragraph(_("flew as a spaceflight participant on %(flight)s, aboard %(vehicle)s, from %(spaceport)s, "
                        "on %(date)s.", flight=flight.name, vehicle=flight.vehicle, spaceport=flight.spaceport,
                        date=on_day(outcome.lifted_off_at, "long")), body),
        Spacer(1, 6 * mm),
        pdf.paragraph(_("Liftoff %(liftoff)s · landing %(landing)s", liftoff=when(outcome.lifted_off_at, "long"),
                        landing=when(outcome.landed_at, "long")), body),
        Spacer(1, 18 * mm),
        pdf.paragraph(_("Certificate %(ref)s, issued by the operator through Countdown.", ref=booking.reference),
                      small),
    ]
    doc.build(story)
    return out.getvalue()
