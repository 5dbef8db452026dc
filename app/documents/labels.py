"""What the documents domain's messages are about, in the reader's language (see :mod:`app.labels`),
and the names of its kinds, scopes and states."""

from __future__ import annotations

from app.documents.documents import DocumentState
from app.i18n import lazy_gettext as _l
from app.i18n import lazy_pgettext
from app.labels import register_message_kinds
from app.models import DocumentEventKind, DocumentKind, DocumentScope

register_message_kinds({
    "consent_answer": lazy_pgettext("message kind", "Answer to a question about a document"),
    "reminder_document_published": lazy_pgettext("message kind", "Document to read"),
    "reminder_documents_due": lazy_pgettext("message kind", "Documents still to read"),
})

KINDS = {
    DocumentKind.INFORMED_CONSENT: _l("Informed consent"),
    DocumentKind.WAIVER: _l("Reciprocal waiver of claims"),
    DocumentKind.PROHIBITED_ITEMS: _l("Prohibited items"),
    DocumentKind.BRIEFING: _l("Mission briefing"),
}
#: The rule each kind answers to.
RULES = {
    DocumentKind.INFORMED_CONSENT: "14 CFR 460.45",
    DocumentKind.WAIVER: "14 CFR 460.49",
    DocumentKind.PROHIBITED_ITEMS: "14 CFR 460.53",
    DocumentKind.BRIEFING: "",
}
SCOPES = {
    DocumentScope.ALL: _l("Every flight"),
    DocumentScope.VEHICLE: _l("Every flight of a vehicle"),
    DocumentScope.SPACEPORT: _l("Every flight from a spaceport"),
    DocumentScope.FLIGHT: _l("One flight"),
}
EVENTS = {
    DocumentEventKind.OPENED: _l("Opened"),
    DocumentEventKind.SIGNED: _l("Signed"),
    DocumentEventKind.ACKNOWLEDGED: _l("Acknowledged"),
    DocumentEventKind.REMINDED: _l("Reminded by operations"),
}
STATES = {
    DocumentState.NOT_OPENED: _l("Not opened"),
    DocumentState.OPENED: _l("Opened"),
    DocumentState.DONE: _l("Done"),
    DocumentState.REDO: _l("Must redo"),
}
