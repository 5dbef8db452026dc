"""The documents' readiness gates (app/documents/gates.py): worded once per page for each reader
and language, with the same links as a route lookup per cell gave."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale

from app.booking import bookings as booking_service
from app.documents import gates
from app.readiness import Audience, GateStatus, readiness_for


def test_each_reader_and_language_gets_its_own_words_and_links(app, db_session, make):
    version = make.consent_document()
    booking = booking_service.hold_seat(make.flight().id, make.user())
    with app.test_request_context("/journey"):
        loaded = gates._load([booking], {})
        assert isinstance(loaded, dict) and loaded[booking.id]  # what the deposit's gate reads
        with force_locale("de"):
            tourist_de = {g.key: g for g in gates._gates(booking, loaded, Audience.TOURIST)}
            staff_de = {g.key: g for g in gates._gates(booking, loaded, Audience.STAFF)}
        tourist_en = {g.key: g for g in gates._gates(booking, loaded, Audience.TOURIST)}
        read = url_for("documents.tourist.read", reference=booking.reference, document_id=version.document_id)
        table = url_for("documents.operations.flight", flight_id=booking.flight_id)
        publish = url_for("documents.operations.documents_index")
    assert list(tourist_en) == ["consent", "waiver", "prohibited_items", "briefings"]
    consent = tourist_de["consent"]
    assert (consent.label, consent.status, consent.url, consent.action) == (
        "Einwilligungserklärung unterschrieben", GateStatus.ACTION, read, "Lesen und unterschreiben")
    assert (tourist_en["consent"].label, tourist_en["consent"].action) == ("Informed consent signed", "Read and sign")
    assert (staff_de["consent"].url, staff_de["consent"].action) == (table, "Erinnern")
    assert (staff_de["waiver"].status, staff_de["waiver"].reason, staff_de["waiver"].url) == (
        GateStatus.WAITING, "Noch nicht veröffentlicht.", publish)


def test_a_signed_document_links_operations_to_its_evidence(app, db_session, make):
    booking = make.booking()
    version = make.consent_document()
    acceptance = make.accept(booking, version)
    with app.test_request_context("/ops"):
        gate = readiness_for([booking], Audience.STAFF)[booking.id].gate("consent")
        assert gate.status is GateStatus.DONE and f"version {version.version}" in gate.reason
        assert gate.url == url_for("documents.operations.evidence", acceptance_id=acceptance.id)


def _as_statuses(rows):
    """What the gates read of :func:`documents.statuses`' rows, as plain values."""
    return [(s.document.id, s.kind, s.current.id, s.current.version, s.required, s.done,
             (s.acceptance.id, s.acceptance.version, s.acceptance.accepted_at) if s.acceptance else None,
             [s.current.text_in(language).title for language in ("en", "de", "fr")]) for s in rows]


def _as_standings(rows):
    return [(s.needed.document_id, s.kind, s.needed.version_id, s.needed.version, s.needed.required, s.done,
             (s.acceptance.id, s.acceptance.version, s.acceptance.accepted_at) if s.acceptance else None,
             [s.needed.title_in(language) for language in ("en", "de", "fr")]) for s in rows]


def test_standings_read_as_statuses_on_awkward_documents(app, db_session, make):
    """The gates' columns-only loader (``documents.standings``) says what ``documents.statuses``
    says: documents of every scope, revisions material or not (a signature to give again), a
    translation missing (the default language's title), a document only in German, an archived
    document, flights of other vehicles and spaceports, and the consent's ``signed``."""
    from app.documents import consent, documents
    from app.models import DocumentKind, DocumentScope, Role

    first = make.consent_document()
    signed, resign, other, held = (make.booking(), make.booking(), make.booking(vehicle="Balloon"),
                                   make.booking(confirmed=False, spaceport="Cornwall"))
    make.accept(signed, first)
    make.accept(resign, first)
    waiver = make.document(DocumentKind.WAIVER, texts={"en": ("Waiver", "w"), "de": ("Verzicht", "v")})
    make.accept(signed, waiver)
    make.accept(resign, waiver, "de")
    make.document(DocumentKind.WAIVER, document=waiver.document, texts={"en": ("Waiver 2", "w2")}, material=False)
    # Written in German only (its default): English and French readers read the German title.
    german = documents.create_document(documents.DocumentData(
        DocumentKind.PROHIBITED_ITEMS, DocumentScope.VEHICLE, "Balloon", default_language="de"), make.user(Role.OPERATIONS))
    make.document(document=german, texts={"de": ("Nur deutsch", "d")})
    make.document(scope=DocumentScope.SPACEPORT, scope_name="Cornwall")
    make.document(flight=signed.flight)
    gone = make.document(flight=resign.flight)
    documents.archive_document(gone.document)
    make.document(DocumentKind.INFORMED_CONSENT, document=first.document,
                  texts={"en": ("Consent 2", "c2"), "fr": ("Consentement 2", "c2")})
    make.accept(signed, documents.latest_version(first.document))
    bookings = [signed, resign, other, held]
    old = documents.statuses(bookings, when_opened=False)
    new = documents.standings(bookings)
    assert {b: _as_standings(rows) for b, rows in new.items()} == {b: _as_statuses(rows) for b, rows in old.items()}
    assert {b: consent.signed_in(rows) for b, rows in new.items()} == {
        b: consent.from_statuses(rows).signed for b, rows in old.items()} == {
        signed.id: True, resign.id: False, other.id: False, held.id: False}
    assert [len(new[b.id]) for b in bookings] == [3, 2, 3, 3]  # the resigned one's briefing is archived
    assert new[other.id][-1].needed.title_in("fr") == "Nur deutsch"
    assert documents.standings([]) == {}
