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
