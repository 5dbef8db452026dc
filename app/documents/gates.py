"""The documents domain's readiness gates, in the journey's order: the informed consent signed, the
waiver signed, the prohibited items acknowledged, the flight's briefings acknowledged (each in its
current version). Other gates (the deposit's) read what this provider loaded under ``documents``.
The consent (460.45) and the waiver (460.49) can never be overridden; the prohibited-items notice
and the briefings can, where the operator's policy allows (a briefing given in person, say)."""

from __future__ import annotations

from flask import url_for
from flask_babel import get_locale

from app.documents import documents
from app.documents.documents import DocumentStatus
from app.formats import when
from app.i18n import lazy_gettext as _l
from app.models import Booking, DocumentKind
from app.readiness import Audience, Gate, GateStatus, SimpleProvider, register

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


def read_url(booking: Booking, status: DocumentStatus) -> str:
    return url_for("documents.tourist.read", reference=booking.reference, document_id=status.document.id)


def _gate(kind: DocumentKind, booking: Booking, rows: list[DocumentStatus], language: str) -> Gate:
    key, label = GATES[kind]
    label = str(label)
    own = [s for s in rows if s.kind is kind]
    if not own:
        return Gate(key, label, GateStatus.WAITING, str(NOT_PUBLISHED[kind]))
    pending = next((s for s in own if not s.done), None)
    if pending is None:
        if kind is K.BRIEFING:
            return Gate(key, label, GateStatus.DONE, str(_l(
                "All %(count)s briefings of your flight acknowledged.", count=len(own))) if len(own) > 1
                else str(_l("Acknowledged on %(date)s.", date=when(own[0].acceptance.accepted_at))))
        done = own[-1].acceptance
        text = (_l("Signed version %(v)s on %(date)s.", v=done.version, date=when(done.accepted_at)) if kind.signed
                else _l("Acknowledged version %(v)s on %(date)s.", v=done.version, date=when(done.accepted_at)))
        return Gate(key, label, GateStatus.DONE, str(text))
    title = pending.current.text_in(language).title
    template = AGAIN[kind] if pending.acceptance is not None else TO_DO[kind]
    action = _l("Read and sign") if kind.signed else _l("Read and acknowledge")
    return Gate(key, label, GateStatus.ACTION, str(template) % {"v": pending.current.version, "title": title},
                read_url(booking, pending), str(action))


def _staff_gate(kind: DocumentKind, booking: Booking, rows: list[DocumentStatus], language: str) -> Gate:
    key, label = GATES[kind]
    label = str(label)
    own = [s for s in rows if s.kind is kind]
    table = url_for("documents.operations.flight", flight_id=booking.flight_id)
    if not own:
        return Gate(key, label, GateStatus.WAITING, str(STAFF_NOT_PUBLISHED),
                    url_for("documents.operations.documents_index"), str(_l("Publish")))
    pending = next((s for s in own if not s.done), None)
    if pending is None:
        done = own[-1].acceptance
        if kind is K.BRIEFING and len(own) > 1:
            return Gate(key, label, GateStatus.DONE, str(_l("All %(count)s briefings acknowledged.", count=len(own))),
                        table, str(_l("See the documents")))
        text = (_l("Signed version %(v)s on %(date)s.", v=done.version, date=when(done.accepted_at)) if kind.signed
                else _l("Acknowledged version %(v)s on %(date)s.", v=done.version, date=when(done.accepted_at)))
        return Gate(key, label, GateStatus.DONE, str(text),
                    url_for("documents.operations.evidence", acceptance_id=done.id), str(_l("See the evidence")))
    title = pending.current.text_in(language).title
    template = STAFF_AGAIN[kind] if pending.acceptance is not None else STAFF_TO_DO[kind]
    return Gate(key, label, GateStatus.ACTION, str(template) % {"v": pending.current.version, "title": title},
                table, str(_l("Remind")))


def _gates(booking: Booking, loaded: dict[int, list[DocumentStatus]], audience: Audience) -> list[Gate]:
    language = str(get_locale() or "en")
    make = _staff_gate if audience is Audience.STAFF else _gate
    return [make(kind, booking, loaded[booking.id], language) for kind in GATES]


register(SimpleProvider("documents", lambda bookings, earlier: documents.statuses(bookings), _gates,
                        overridable=frozenset({"prohibited_items", "briefings"})), position=20)
