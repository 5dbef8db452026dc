"""The documents domain's readiness gates, in the journey's order: the informed consent signed, the
waiver signed, the prohibited items acknowledged, the flight's briefings acknowledged (each in its
current version). Other gates (the deposit's) read what this provider loaded under ``documents``.
The consent (460.45) and the waiver (460.49) can never be overridden; the prohibited-items notice
and the briefings can, where the operator's policy allows (a briefing given in person, say)."""

from __future__ import annotations

from typing import Any, Callable

from flask import url_for

from app.documents import documents
from app.documents.documents import Standing
from app.formats import when
from app.i18n import current
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import Booking, DocumentKind
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register
from app.urls import url_maker

K = DocumentKind
GATES = {
    K.INFORMED_CONSENT: ("consent", _l("Informed consent signed")),
    K.WAIVER: ("waiver", _l("Waiver of claims signed")),
    K.PROHIBITED_ITEMS: ("prohibited_items", _l("Prohibited items acknowledged")),
    K.BRIEFING: ("briefings", _l("Briefings acknowledged")),
}
NOT_PUBLISHED = {
    K.INFORMED_CONSENT: _l("The operator has not published the consent document yet."),
    K.WAIVER: _l("The operator has not published the waiver of claims yet."),
    K.PROHIBITED_ITEMS: _l("The operator has not published the prohibited-items notice yet."),
    K.BRIEFING: _l("Your flight's briefings are not published yet. We will tell you when they are."),
}
TO_DO = {
    K.INFORMED_CONSENT: _l("Read the risk disclosure (version %(v)s), ask any questions, and sign it before paying."),
    K.WAIVER: _l("Read the reciprocal waiver of claims (version %(v)s) and sign it."),
    K.PROHIBITED_ITEMS: _l("Read what you may not take on board (version %(v)s) and acknowledge it."),
    K.BRIEFING: _l("Read the briefing \u201c%(title)s\u201d and acknowledge it."),
}
AGAIN = {
    K.INFORMED_CONSENT: _l("Version %(v)s of the risk disclosure must be signed again."),
    K.WAIVER: _l("Version %(v)s of the waiver of claims must be signed again."),
    K.PROHIBITED_ITEMS: _l("Version %(v)s of the prohibited-items notice must be acknowledged again."),
    K.BRIEFING: _l("The briefing \u201c%(title)s\u201d has changed: read it and acknowledge it again."),
}


#: What operations read in the matrix: where each stands, not what to do next.
STAFF_NOT_PUBLISHED = _l("Not published yet.")
STAFF_TO_DO = {
    K.INFORMED_CONSENT: _l("Version %(v)s not signed yet."),
    K.WAIVER: _l("Version %(v)s not signed yet."),
    K.PROHIBITED_ITEMS: _l("Version %(v)s not acknowledged yet."),
    K.BRIEFING: _l("\u201c%(title)s\u201d not acknowledged yet."),
}
STAFF_AGAIN = {
    K.INFORMED_CONSENT: _l("Version %(v)s to sign again (a material change)."),
    K.WAIVER: _l("Version %(v)s to sign again (a material change)."),
    K.PROHIBITED_ITEMS: _l("Version %(v)s to acknowledge again (a material change)."),
    K.BRIEFING: _l("\u201c%(title)s\u201d changed: to acknowledge again."),
}


class _Words:
    """What every cell of a page says, in the reader's language, and its links' shapes: worked out
    once per page (a matrix of 80 bookings has 320 documents' cells) instead of a lazy string
    resolved and a route looked up per cell."""

    def __init__(self, audience: Audience) -> None:
        self.language = current().name
        self.labels = {kind: str(label) for kind, (_key, label) in GATES.items()}
        self.signed = _("Signed version %(v)s on %(date)s.")
        self.acknowledged = _("Acknowledged version %(v)s on %(date)s.")
        self.to_do = {kind: str(text) for kind, text in (STAFF_TO_DO if audience is Audience.STAFF else TO_DO).items()}
        self.again = {kind: str(text) for kind, text in (STAFF_AGAIN if audience is Audience.STAFF else AGAIN).items()}
        if audience is Audience.STAFF:
            self.not_published = dict.fromkeys(GATES, str(STAFF_NOT_PUBLISHED))
            self.all_briefings = _("All %(count)s briefings acknowledged.")
            self.publish, self.see_documents = _("Publish"), _("See the documents")
            self.see_evidence, self.remind = _("See the evidence"), _("Remind")
            self.documents_index = url_for("documents.operations.documents_index")
            self.table = url_maker("documents.operations.flight", "flight_id")
            self.evidence = url_maker("documents.operations.evidence", "acceptance_id")
        else:
            self.not_published = {kind: str(text) for kind, text in NOT_PUBLISHED.items()}
            self.all_briefings = _("All %(count)s briefings of your flight acknowledged.")
            self.acknowledged_on = _("Acknowledged on %(date)s.")
            self.read_and_sign, self.read_and_acknowledge = _("Read and sign"), _("Read and acknowledge")
            self._read: dict[int, Callable[[Any], str]] = {}

    def read(self, booking: Booking, status: Standing) -> str:
        """The tourist's page of the document, the route looked up once per document."""
        document_id = status.needed.document_id
        make = self._read.get(document_id)
        if make is None:
            make = self._read[document_id] = url_maker("documents.tourist.read", "reference", document_id=document_id)
        return make(booking.reference)

    def done(self, kind: DocumentKind, status: Standing) -> str:
        done = status.acceptance
        return (self.signed if kind.signed else self.acknowledged) % {"v": done.version, "date": when(done.accepted_at)}


class Loaded(dict):
    """Each booking's document statuses by booking id (what the deposit's gate reads too; without
    when each was opened), and the page's words per reader, made at the first gate."""

    def __init__(self, statuses: dict[int, list[Standing]]) -> None:
        super().__init__(statuses)
        self._words: dict[tuple[Audience, str], _Words] = {}

    def words(self, audience: Audience) -> _Words:
        key = (audience, current().name)
        words = self._words.get(key)
        if words is None:
            words = self._words[key] = _Words(audience)
        return words


def _by_kind(rows: list[Standing]) -> dict[DocumentKind, list[Standing]]:
    own: dict[DocumentKind, list[Standing]] = {kind: [] for kind in GATES}
    for status in rows:
        own[status.kind].append(status)
    return own


def _gate(kind: DocumentKind, booking: Booking, own: list[Standing], words: _Words) -> Gate:
    key, label = GATES[kind][0], words.labels[kind]
    if not own:
        return Gate(key, label, GateStatus.WAITING, words.not_published[kind])
    pending = next((s for s in own if not s.done), None)
    if pending is None:
        if kind is K.BRIEFING:
            return Gate(key, label, GateStatus.DONE, words.all_briefings % {"count": len(own)} if len(own) > 1
                        else words.acknowledged_on % {"date": when(own[0].acceptance.accepted_at)})
        return Gate(key, label, GateStatus.DONE, words.done(kind, own[-1]))
    title = pending.needed.title_in(words.language)
    template = words.again[kind] if pending.acceptance is not None else words.to_do[kind]
    return Gate(key, label, GateStatus.ACTION, template % {"v": pending.needed.version, "title": title},
                words.read(booking, pending), words.read_and_sign if kind.signed else words.read_and_acknowledge)


def _staff_gate(kind: DocumentKind, booking: Booking, own: list[Standing], words: _Words) -> Gate:
    key, label = GATES[kind][0], words.labels[kind]
    if not own:
        return Gate(key, label, GateStatus.WAITING, words.not_published[kind], words.documents_index, words.publish)
    pending = next((s for s in own if not s.done), None)
    if pending is None:
        if kind is K.BRIEFING and len(own) > 1:
            return Gate(key, label, GateStatus.DONE, words.all_briefings % {"count": len(own)},
                        words.table(booking.flight_id), words.see_documents)
        done = own[-1]
        return Gate(key, label, GateStatus.DONE, words.done(kind, done), words.evidence(done.acceptance.id),
                    words.see_evidence)
    title = pending.needed.title_in(words.language)
    template = words.again[kind] if pending.acceptance is not None else words.to_do[kind]
    return Gate(key, label, GateStatus.ACTION, template % {"v": pending.needed.version, "title": title},
                words.table(booking.flight_id), words.remind)


def _load(bookings: list[Booking], earlier: dict[str, Any]) -> Loaded:
    # Columns: no gate (nor the deposit's, which reads these) reads a text's body or when a document
    # was opened.
    return Loaded(documents.standings(bookings))


def _gates(booking: Booking, loaded: Loaded, audience: Audience) -> list[Gate]:
    words = loaded.words(audience)
    make = _staff_gate if audience is Audience.STAFF else _gate
    return [make(kind, booking, own, words) for kind, own in _by_kind(loaded[booking.id]).items()]


register(SimpleProvider("documents", _load, _gates, overridable=frozenset({"prohibited_items", "briefings"})),
         position=20)
