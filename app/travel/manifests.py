"""A flight's manifest (49 USC 44909): per confirmed tourist, the full name as in the travel
document, date of birth, sex, citizenship, document number, issuing country and expiry, and an
emergency contact's name and phone (or that they declined to give one).

A manifest is frozen when made: its rows are kept (encrypted) with a version per flight and a
SHA-256, and the CSV and PDF are made from them, so what was sent can always be shown again.
Making it again after a change gives a new version; with nothing changed, the latest stands.
CSV cells that a spreadsheet would read as a formula are neutralised."""

from __future__ import annotations

import hashlib
import io
import json

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from app import pdf, spreadsheets
from app.extensions import db
from app.formats import when
from app.models import (
    Booking,
    BookingState,
    EmergencyContact,
    Flight,
    Manifest,
    TravelDocument,
    TravelProfile,
    User,
)
from app.travel import details

#: The columns, in order: (key, header).
COLUMNS = ("reference", "name", "date_of_birth", "sex", "citizenship", "document_type", "document_number",
           "issuing_country", "expires_on", "contact_name", "contact_phone")


def headers() -> dict[str, str]:
    return {
        "reference": _("Booking"), "name": _("Full name as in the travel document"),
        "date_of_birth": _("Date of birth"), "sex": _("Sex"), "citizenship": _("Citizenship"),
        "document_type": _("Document"), "document_number": _("Document number"),
        "issuing_country": _("Issuing country"), "expires_on": _("Expires"),
        "contact_name": _("Emergency contact"), "contact_phone": _("Emergency contact's phone"),
    }


def rows_of(flight: Flight) -> list[dict[str, str]]:
    """The manifest's rows as of now: the flight's confirmed bookings, by name. A missing value is
    an empty cell; a declined contact says so."""
    bookings = list(db.session.scalars(
        select(Booking).join(User, User.id == Booking.user_id)
        .where(Booking.flight_id == flight.id, Booking.state == BookingState.CONFIRMED).order_by(User.name, Booking.id)))
    user_ids = [b.user_id for b in bookings]
    contacts: dict[int, EmergencyContact] = {}
    for contact in db.session.scalars(select(EmergencyContact).where(EmergencyContact.user_id.in_(user_ids))
                                      .order_by(EmergencyContact.id)):
        contacts.setdefault(contact.user_id, contact)
    declined = set(db.session.scalars(select(TravelProfile.user_id).where(
        TravelProfile.user_id.in_(user_ids), TravelProfile.contacts_declined_at.is_not(None))))
    documents = {d.user_id: d for d in db.session.scalars(
        select(TravelDocument).where(TravelDocument.user_id.in_(user_ids)))} if user_ids else {}
    rows = []
    for booking in bookings:
        document = documents.get(booking.user_id)
        contact = contacts.get(booking.user_id)
        rows.append({
            "reference": booking.reference,
            "name": document.name_as_printed if document else "",
            "date_of_birth": document.date_of_birth.isoformat() if document else "",
            "sex": document.sex.value if document else "",
            "citizenship": document.nationality if document else "",
            "document_type": document.document_type.value if document else "",
            "document_number": document.number if document else "",
            "issuing_country": document.issuing_country if document else "",
            "expires_on": document.expires_on.isoformat() if document else "",
            "contact_name": contact.name if contact else ("declined" if booking.user_id in declined else ""),
            "contact_phone": contact.phone if contact else "",
        })
    return rows


def _digest(rows: list[dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def manifests_of(flight_id: int) -> list[Manifest]:
    """The flight's manifests, newest first, without their (encrypted) rows."""
    return list(db.session.scalars(select(Manifest).where(Manifest.flight_id == flight_id)
                                   .options(defer(Manifest.rows), selectinload(Manifest.made_by))
                                   .order_by(Manifest.version.desc())))


def tourists_in(manifest: Manifest) -> list[int]:
    """The users a manifest lists (by their bookings' references)."""
    references = [row["reference"] for row in manifest.rows]
    return list(db.session.scalars(select(Booking.user_id).where(Booking.reference.in_(references)))) if references \
        else []


def make(flight: Flight, actor: User) -> tuple[Manifest, bool]:
    """Freeze the manifest as of now. Returns it and whether it is new: with nothing changed since
    the latest version, that one stands. The flight's row is locked so two coordinators making
    it at once get one version."""
    db.session.execute(select(Flight.id).where(Flight.id == flight.id).with_for_update())
    rows = rows_of(flight)
    digest = _digest(rows)
    latest = db.session.scalar(select(Manifest).where(Manifest.flight_id == flight.id)
                               .order_by(Manifest.version.desc()).limit(1))
    if latest is not None and latest.sha256 == digest:
        return latest, False
    version = (db.session.scalar(select(func.max(Manifest.version)).where(Manifest.flight_id == flight.id)) or 0) + 1
    manifest = Manifest(flight_id=flight.id, version=version, rows=rows, row_count=len(rows), sha256=digest,
                        made_by_id=actor.id)
    db.session.add(manifest)
    db.session.flush()
    return manifest, True


def _shown(row: dict[str, str], key: str, language: str) -> str:
    value = row.get(key, "")
    if key in ("citizenship", "issuing_country") and value:
        return details.country_name(value, language)
    if key == "contact_name" and value == "declined" and not row.get("contact_phone"):
        return _("Declined to give one")
    return value


def csv_bytes(manifest: Manifest, language: str) -> bytes:
    names = headers()
    return spreadsheets.csv_bytes([names[key] for key in COLUMNS],
                                  ([_shown(row, key, language) for key in COLUMNS] for row in manifest.rows))


def pdf_bytes(manifest: Manifest, language: str) -> bytes:
    styles = pdf.styles()
    names = headers()
    flight = manifest.flight
    head = [pdf.paragraph(names[key], styles["label"]) for key in COLUMNS]
    body = [[pdf.paragraph(_shown(row, key, language), styles["small"]) for key in COLUMNS] for row in manifest.rows]
    table = Table([head, *body], repeatRows=1, colWidths=[
        20 * mm, 40 * mm, 20 * mm, 10 * mm, 22 * mm, 18 * mm, 25 * mm, 22 * mm, 20 * mm, 37 * mm, 28 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
    ]))
    title = _("Manifest of %(flight)s, version %(v)s", flight=flight.name, v=manifest.version)
    story = [
        pdf.paragraph(title, styles["title"]),
        pdf.paragraph(_("Launch %(launch)s · made %(made)s by %(name)s · %(count)s tourists · SHA-256 %(hash)s",
                        launch=when(flight.launch_at, "long", "UTC"), made=when(manifest.made_at, "long", "UTC"),
                        name=manifest.made_by.name if manifest.made_by else "—", count=manifest.row_count,
                        hash=manifest.sha256), styles["small"]),
        table,
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title, author="Countdown")
    doc.build(story)
    return out.getvalue()
