"""The documents' part of a flown tourist's evidence pack: each document the flight needed (the
informed consent, 460.45; the reciprocal waiver, 460.49; the prohibited items, 460.53; each
briefing), the version accepted, in which language, the SHA-256 of the text shown, when and from
where."""

from __future__ import annotations

from flask_babel import get_locale

from app import evidence
from app.config import LANGUAGES
from app.documents import documents
from app.documents import labels as document_labels
from app.evidence import Line, Section
from app.formats import when
from app.i18n import gettext as _
from app.models import Booking


def _sections(booking: Booking) -> list[Section]:
    language = str(get_locale() or "en")
    sections = []
    for status in documents.statuses([booking])[booking.id]:
        kind = document_labels.KINDS[status.kind]
        title = f"{kind}: {status.current.text_in(language).title}"
        acceptance = status.acceptance
        if acceptance is None:
            sections.append(Section(title, False, note=_("Not signed or acknowledged.")))
            continue
        done = _("Signed by %(name)s", name=acceptance.signed_name) if acceptance.signed_name else _("Acknowledged")
        sections.append(Section(title, status.done, [
            Line(_("Version"), str(acceptance.version)),
            Line(_("Language shown"), str(LANGUAGES.get(acceptance.language, acceptance.language))),
            Line(_("SHA-256 of the text shown"), acceptance.text_sha256),
            Line(done, when(acceptance.accepted_at, "long", "UTC")),
            Line(_("From"), acceptance.ip_address),
        ], note="" if status.done else _("A later version had to be accepted again and was not.")))
    return sections


evidence.register("documents", _sections, position=20)
