"""Documents of every kind: scope, versions and languages, evidence, read receipts, reminders, the
tourist's and operations' pages, the PDF of the evidence."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.desk import conversations as desk
from app.documents import documents
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    DocumentEvent,
    DocumentEventKind,
    DocumentKind,
    DocumentScope,
    ImmutableRecordError,
    Role,
    Topic,
)
from app.timeutil import now_utc
from tests.conftest import login, outbox, post_form
from tests.core.test_queries import count_queries

K = DocumentKind
BRIEFING_DE = {"en": ("Launch-day timeline", "Breakfast at five.\nSuit-up at six."),
               "de": ("Ablauf am Starttag", "Frühstück um fünf.\nAnlegen des Anzugs um sechs.")}


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def on_flight(make, flight):
    """A confirmed booking of a new tourist on ``flight``."""
    booking = booking_service.hold_seat(flight.id, make.user())
    booking_service.transition(booking, BookingState.CONFIRMED)
    return booking


def states(booking) -> dict[int, str]:
    return {s.document.id: s.state.value for s in documents.statuses([booking])[booking.id]}


def test_a_document_is_asked_only_of_the_flights_in_its_scope(ctx, make):
    here = make.booking(vehicle="Capsule C-7", spaceport="Esrange")
    there = make.booking(vehicle="Balloon B-1", spaceport="Esrange")
    every = make.document(K.WAIVER)
    vehicle = make.document(K.PROHIBITED_ITEMS, scope=DocumentScope.VEHICLE, scope_name="Capsule C-7")
    port = make.document(K.BRIEFING, scope=DocumentScope.SPACEPORT, scope_name="Esrange")
    flight = make.document(K.BRIEFING, flight=there.flight)
    assert set(states(here)) == {every.document_id, vehicle.document_id, port.document_id}
    assert set(states(there)) == {every.document_id, port.document_id, flight.document_id}
    documents.archive_document(port.document)
    assert port.document_id not in states(here)
    with pytest.raises(ServiceError, match="not asked of your booking"):
        make.accept(here, flight)


def test_the_tourist_reads_their_language_and_the_evidence_hashes_exactly_that_text(ctx, make):
    booking = make.booking()
    booking.user.language = "de"
    version = make.document(K.BRIEFING, texts=BRIEFING_DE)
    acceptance = make.accept(booking, version, language="de")
    german = BRIEFING_DE["de"][1]
    assert acceptance.language == "de"
    assert acceptance.text_sha256 == hashlib.sha256(german.encode()).hexdigest()
    assert acceptance.text_sha256 != version.text_in("en").sha256
    # French has no text: the default (English) is shown, and recorded as what was shown.
    other = make.booking(vehicle=booking.flight.vehicle)
    assert make.accept(other, version, language="fr").language == "en"


def test_a_correction_asks_nobody_again_a_material_change_asks_everyone_with_what_changed(ctx, make):
    booking = make.booking()
    v1 = make.document(K.BRIEFING, texts={"en": ("Timeline", "Breakfast at five.\nSuit-up at six.")})
    make.accept(booking, v1)
    assert states(booking)[v1.document_id] == "done"
    v2 = make.document(document=v1.document, material=False,
                       texts={"en": ("Timeline", "Breakfast at five.\nSuit up at six.")})
    assert states(booking)[v1.document_id] == "done" and not v2.material
    assert [r for r in outbox(rule="document_published", subject_id=booking.id)
            if r.context["version_id"] == v2.id] == []
    v3 = make.document(document=v1.document, texts={"en": ("Timeline", "Breakfast at four.\nSuit up at six.")})
    status = documents.status_of(booking, v1.document)
    assert status.state.value == "redo" and status.current.id == v3.id
    assert set(documents.changes_since(status, "en")) == {
        ("-", "Breakfast at five."), ("-", "Suit-up at six."), ("+", "Breakfast at four."), ("+", "Suit up at six.")}
    told = [r for r in outbox(rule="document_published", subject_id=booking.id) if r.context["version_id"] == v3.id]
    assert told and told[0].context == {"document_id": v1.document_id, "version_id": v3.id}
    make.accept(booking, v3)
    assert states(booking)[v1.document_id] == "done"


def test_the_preview_counts_who_would_be_asked_again_and_who_waits(ctx, make):
    ops = make.user(Role.OPERATIONS)
    signed = make.booking(vehicle="Capsule C-7")
    make.booking(vehicle="Capsule C-7")
    make.booking(vehicle="Balloon B-1")
    document = documents.create_document(
        documents.DocumentData(K.PROHIBITED_ITEMS, DocumentScope.VEHICLE, "Capsule C-7", None), ops)
    # Its first version: everyone on the vehicle's flights still has to acknowledge it.
    assert documents.impact(document, material=True) == documents.Impact(again=0, waiting=2)
    v1 = make.document(document=document)
    make.accept(signed, v1)
    assert documents.impact(document, material=True) == documents.Impact(again=1, waiting=1)
    assert documents.impact(document, material=False) == documents.Impact(again=0, waiting=1)
    make.document(document=document)  # a material change: the one who acknowledged is asked again
    assert documents.impact(document, material=True) == documents.Impact(again=0, waiting=2, redo=1)


def test_acceptances_and_events_are_never_changed(ctx, make):
    booking = make.booking()
    acceptance = make.accept(booking, make.document(K.PROHIBITED_ITEMS))
    db.session.flush()
    acceptance.language = "fr"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


def test_opening_is_recorded_once_and_operations_see_it(app, make):
    booking = make.booking()
    version = make.document(K.BRIEFING, texts=BRIEFING_DE)
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    client = app.test_client()
    login(client, booking.user)
    url = f"/bookings/{booking.reference}/documents/{version.document_id}"
    assert "Breakfast at five." in client.get(url).get_data(as_text=True)
    client.get(url)
    opened = db.session.scalars(select(DocumentEvent).where(DocumentEvent.kind == DocumentEventKind.OPENED)).all()
    assert len(opened) == 1 and opened[0].booking_id == booking.id
    assert states(booking)[version.document_id] == "opened"
    staff = app.test_client()
    login(staff, ops)
    page = staff.get(f"/ops/flights/{booking.flight_id}/documents").get_data(as_text=True)
    assert booking.user.name in page and "Opened" in page


def test_operations_remind_one_tourist_or_all_who_have_not(app, make):
    first = make.booking()
    second = on_flight(make, first.flight)
    version = make.document(K.WAIVER)
    make.accept(second, version)
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    client = app.test_client()
    login(client, ops)
    url = f"/ops/flights/{first.flight_id}/documents"
    response = post_form(client, url + "/remind", page=url)
    assert response.status_code == 302
    reminded = db.session.scalars(select(DocumentEvent.booking_id).where(
        DocumentEvent.kind == DocumentEventKind.REMINDED)).all()
    assert reminded == [first.id], "only the tourist with a document open"
    told = outbox(rule="documents_reminder", subject_id=first.id)
    assert told
    post_form(client, url + "/remind", {"booking": first.reference}, page=url)  # a second click
    assert len(outbox(rule="documents_reminder", subject_id=first.id)) == len(told), "reminded once an hour"
    assert not outbox(rule="documents_reminder", subject_id=second.id)
    assert post_form(client, url + "/remind", {"booking": "CD-NOSUCH"}, page=url).status_code == 404


def test_documents_still_open_are_reminded_a_week_and_a_day_before_launch(ctx, make):
    booking = make.booking(days=30)
    version = make.document(K.WAIVER)
    from app.messaging import reminders
    reminders.sync(booking)
    due = {r.rule: r.send_at for r in outbox(subject_id=booking.id) if r.rule and r.rule.startswith("documents_due")}
    assert due == {"documents_due_week": booking.flight.launch_at - timedelta(days=7),
                   "documents_due_day": booking.flight.launch_at - timedelta(days=1)}
    make.accept(booking, version)  # done: the reminders are dropped
    assert {r.status.value for r in outbox(subject_id=booking.id) if r.rule and r.rule.startswith("documents_due")} \
        == {"dropped"}
    # A document published afterwards is reminded again before launch.
    make.document(K.BRIEFING)
    queued = [r for r in outbox(subject_id=booking.id) if r.rule == "documents_due_week" and r.status.value == "queued"]
    assert queued and queued[0].send_at == booking.flight.launch_at - timedelta(days=7)


def test_the_evidence_pdf_has_the_text_shown_its_hash_and_the_times(app, make):
    booking = make.booking()
    booking.user.language = "de"
    acceptance = make.accept(booking, make.document(K.BRIEFING, texts=BRIEFING_DE), language="de")
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    client = app.test_client()
    login(client, ops)
    response = client.get(f"/ops/acceptances/{acceptance.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{booking.reference}-briefing-v1.pdf" in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Frühstück um fünf." in text and acceptance.text_sha256 in "".join(text.split())
    assert booking.user.name in text and "192.0.2.1" in text and "matches the text below" in text
    tourist = app.test_client()
    login(tourist, booking.user)
    assert tourist.get(f"/ops/acceptances/{acceptance.id}.pdf").status_code == 403


def test_accepting_with_a_version_of_another_document_changes_nothing(app, make):
    booking = make.booking()
    consent_v, waiver, items, briefing = (make.document(kind) for kind in (
        K.INFORMED_CONSENT, K.WAIVER, K.PROHIBITED_ITEMS, K.BRIEFING))
    db.session.commit()
    client = app.test_client()
    login(client, booking.user)
    url = f"/bookings/{booking.reference}/documents/{briefing.document_id}"
    # An acknowledgement of the prohibited items posted on the briefing's page.
    response = post_form(client, url, {"version_id": items.id, "language": "en", "read": "y"}, page=url)
    assert response.status_code == 422
    # The informed consent signed from the waiver's page, without its two 460.45 confirmations.
    url = f"/bookings/{booking.reference}/documents/{waiver.document_id}"
    response = post_form(client, url, {"version_id": consent_v.id, "language": "en", "read": "y", "own_behalf": "y",
                                       "signed_name": booking.user.name}, page=url)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0
    assert client.get(f"/bookings/{booking.reference}/documents/999999").status_code == 404


def test_the_language_recorded_is_the_one_the_server_showed(app, make):
    booking = make.booking()  # an English reader
    version = make.document(K.BRIEFING, texts=BRIEFING_DE)
    db.session.commit()
    client = app.test_client()
    login(client, booking.user)
    url = f"/bookings/{booking.reference}/documents/{version.document_id}"
    claimed = post_form(client, url, {"version_id": version.id, "language": "de", "read": "y"}, page=url)
    assert claimed.status_code == 422 and "please read it again" in claimed.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0
    assert post_form(client, url, {"version_id": version.id, "language": "en", "read": "y"}, page=url).status_code == 302
    acceptance = db.session.scalars(select(Acceptance)).one()
    assert acceptance.language == "en" and acceptance.text_sha256 == version.text_in("en").sha256
    # A second click on the same version: told it is done, nothing recorded twice.
    again = post_form(client, url, {"version_id": version.id, "language": "en", "read": "y"}, page=url)
    assert again.status_code == 422
    assert db.session.scalar(select(func.count(Acceptance.id))) == 1


def test_operations_table_says_what_each_bookings_statuses_say(ctx, make):
    """documents.flight_table reads columns in one query; its cells are documents.statuses' for
    every state: done, redo (accepted before a material version), opened, not opened; a correction
    asks nobody again; another flight's document, a cancelled booking and a hold run out are left out."""
    done = make.booking()
    flight = done.flight
    redo, opened, untouched, held = (on_flight(make, flight) for _ in range(4))
    cancelled = on_flight(make, flight)
    waiver, briefing = make.document(K.WAIVER), make.document(K.BRIEFING, flight=flight)
    make.document(K.BRIEFING, flight=make.flight())  # another flight's
    for booking in (done, redo):
        make.accept(booking, waiver)
        make.accept(booking, briefing)
    waiver = make.document(document=waiver.document)  # material: asked again
    make.accept(done, waiver)
    make.document(document=briefing.document, material=False,
                  texts={"en": ("Briefing", "A corrected text.")})  # a correction: asks nobody again
    briefing = documents.latest_version(briefing.document)
    documents.record_opened(opened, waiver, "en")
    documents.record_opened(opened, briefing, "en")
    documents.record_opened(redo, waiver, "en")
    booking_service.transition(cancelled, BookingState.CANCELLED)
    expired = booking_service.hold_seat(flight.id, make.user())
    expired.hold_expires_at = now_utc() - timedelta(minutes=1)
    held.state, held.hold_expires_at = BookingState.HELD, now_utc() + timedelta(minutes=5)
    db.session.flush()
    needed = documents.published([flight])[flight.id]
    rows = documents.flight_table(flight.id, needed)
    live = [done, redo, opened, untouched, held]
    assert [row.booking_id for row in rows] == [b.id for b in live]
    expected = documents.statuses(live)
    for row, booking in zip(rows, live):
        assert (row.reference, row.name) == (booking.reference, booking.user.name)
        want = expected[booking.id]
        assert [(c.state, c.opened_at) for c in row.cells] == [(s.state, s.opened_at) for s in want]
        assert [c.acceptance and (c.acceptance.id, c.acceptance.version, c.acceptance.accepted_at)
                for c in row.cells] == [s.acceptance and (s.acceptance.id, s.acceptance.version,
                                                          s.acceptance.accepted_at) for s in want]
        assert row.open == any(not s.done for s in want)
    states_seen = {c.state.value for row in rows for c in row.cells}
    assert states_seen == {"done", "redo", "opened", "not_opened"}


def _more_bookings(make, flight, n):
    for _ in range(n):
        on_flight(make, flight)


def test_document_pages_queries_do_not_grow(app, make):
    booking = make.booking()
    for kind in (K.INFORMED_CONSENT, K.WAIVER, K.PROHIBITED_ITEMS, K.BRIEFING):
        make.accept(booking, make.document(kind))
    make.document(K.BRIEFING, flight=make.flight())  # another flight's: the list names its flight
    ops = make.user(Role.OPERATIONS)
    db.session.commit()
    tourist, staff = app.test_client(), app.test_client()
    login(tourist, booking.user)
    login(staff, ops)
    url = f"/ops/flights/{booking.flight_id}/documents"
    briefing = documents.statuses([booking])[booking.id][-1]
    read = f"/bookings/{booking.reference}/documents/{briefing.document.id}"
    staff_pages = (url, "/ops/documents", f"/ops/documents/{briefing.document.id}",
                   f"/ops/documents/versions/{briefing.current.id}")
    tourist.get(read)  # the first read records the opening; the next ones only show it

    def measure() -> dict[str, int]:
        counts = {}
        for client, path in [(tourist, "/documents"), (tourist, read)] + [(staff, p) for p in staff_pages]:
            with count_queries() as queries:
                assert client.get(path).status_code == 200
            counts[path] = len(queries)
        return counts

    small = measure()
    _more_bookings(make, booking.flight, 4)
    for kind in (K.BRIEFING, K.BRIEFING):
        make.document(kind)
    more = make.booking(booking.user)  # the tourist's second flight
    make.accept(more, make.document(K.WAIVER, flight=more.flight))
    for other in db.session.scalars(select(Booking).where(Booking.flight_id == booking.flight_id,
                                                          Booking.id != booking.id)):
        make.accept(other, briefing.current)  # the version's page lists five more acceptances
    make.document(document=briefing.document, material=False, texts={"en": ("Briefing", "A corrected text.")})
    db.session.commit()
    tourist.get(read)  # opens the corrected version
    assert measure() == small


def test_a_question_still_open_is_pointed_out_before_signing(app, make):
    booking = make.booking()
    version = make.document(K.WAIVER)
    conversation = desk.start(booking.user, topic=Topic.DOCUMENTS, subject="Waiver (v1)", body="Does it cover my family?",
                              booking=booking, document_id=version.document_id, document_version_id=version.id)
    db.session.commit()
    client = app.test_client()
    login(client, booking.user)
    read = f"/bookings/{booking.reference}/documents/{version.document_id}"
    page = client.get(read).get_data(as_text=True)
    assert "is not answered yet" in page and "Sign version 1" in page and "Does it cover my family?" in page
    # Answered at the desk: the answer shows on the document's page, the warning is gone.
    desk.reply(conversation, make.user(Role.OPERATIONS), "Yes, your companions too.")
    db.session.commit()
    page = client.get(read).get_data(as_text=True)
    assert "is not answered yet" not in page and "Yes, your companions too." in page


def test_what_changed_is_shown_in_the_language_accepted(ctx, make):
    booking = make.booking()
    v1 = make.document(K.BRIEFING, texts={"en": ("Timeline", "Breakfast at five."), "de": ("Ablauf", "Frühstück um fünf.")})
    make.accept(booking, v1, language="de")
    make.document(document=v1.document, texts={"en": ("Timeline", "Breakfast at four.")})  # English only
    status = documents.status_of(booking, v1.document)
    # The new version has no German: both sides are compared in English, never German with English.
    assert set(documents.changes_since(status, "de")) == {("-", "Breakfast at five."), ("+", "Breakfast at four.")}


def test_operations_list_reads_each_documents_latest_version_as_its_objects_do(ctx, make):
    """documents.listed reads columns in one query: the latest version's number, day, languages
    and title in the reader's language or else the document's default (DocumentVersion.text_in);
    a document with no version yet, an archived one and one flight's are listed too."""
    briefing = make.document(K.BRIEFING, texts=BRIEFING_DE)
    briefing = make.document(document=briefing.document, texts={**BRIEFING_DE, "fr": ("Chronologie", "Petit déjeuner.")})
    waiver = make.document(K.WAIVER, flight=make.flight(name="Mission <b>"))
    untitled = documents.create_document(documents.DocumentData(K.PROHIBITED_ITEMS, DocumentScope.ALL), make.user())
    archived = make.document(K.INFORMED_CONSENT)
    documents.archive_document(archived.document)
    db.session.flush()
    for language in ("en", "de", "fr", "it"):
        rows = {row.id: row for row in documents.listed(language)}
        assert list(rows)[-1] == archived.document_id
        for version in (briefing, waiver, archived):
            row = rows[version.document_id]
            assert (row.version, row.published_at, row.title, row.languages) == (
                version.version, version.published_at, version.text_in(language).title,
                [t.language for t in version.texts])
            assert (row.kind, row.scope, row.scope_name, row.archived_at) == (
                version.document.kind, version.document.scope, version.document.scope_name,
                version.document.archived_at)
        assert rows[waiver.document_id].flight_name == "Mission <b>" and rows[briefing.document_id].flight_name is None
        assert (rows[untitled.id].version, rows[untitled.id].title, rows[untitled.id].languages) == (None, "", [])


def test_a_new_document_is_offered_the_next_flights_and_the_names_flights_use(ctx, make):
    later = make.flight(vehicle="Balloon B-1", spaceport="Esrange", launch_at=now_utc() + timedelta(days=40))
    soon = make.flight(vehicle="Capsule C-7", spaceport="Esrange", launch_at=now_utc() + timedelta(days=30))
    tied = make.flight(vehicle="Capsule C-7", spaceport="Kiruna", launch_at=soon.launch_at)
    make.flight(vehicle="Old Rocket", spaceport="Esrange", launch_at=now_utc() - timedelta(days=3))  # flown
    flights, names = documents.scopes()
    ours = [f for f in flights if f[0] in (later.id, soon.id, tied.id)]
    assert ours == [(soon.id, soon.name, soon.launch_at), (tied.id, tied.name, tied.launch_at),
                    (later.id, later.name, later.launch_at)]
    assert all(launch > now_utc() for _id, _name, launch in flights) and flights == sorted(flights, key=lambda f: f[2])
    assert {"Balloon B-1", "Capsule C-7", "Old Rocket", "Esrange", "Kiruna"} <= set(names) and names == sorted(set(names))


def test_a_vehicle_name_no_flight_uses_is_offered_right_and_warned_about(client, make):
    """The scope's name is matched exactly against the flights: the form suggests the names they
    use, and a name none uses (a typo, or a vehicle not flying yet) is created with a warning."""
    make.flight(vehicle="Spaceplane SV-2", spaceport="Spaceport America")
    login(client, make.user(Role.OPERATIONS))
    page = client.get("/ops/documents").get_data(as_text=True)
    assert '<datalist id="scope-names">' in page
    assert '<option value="Spaceplane SV-2">' in page and '<option value="Spaceport America">' in page
    assert 'list="scope-names"' in page
    typo = post_form(client, "/ops/documents", {"kind": "prohibited_items", "scope": "vehicle",
                                                "scope_name": "Spaceplane SV2", "default_language": "en"},
                     page="/ops/documents", follow_redirects=True).get_data(as_text=True)
    assert "No flight names “Spaceplane SV2” as its vehicle or spaceport yet" in typo
    right = post_form(client, "/ops/documents", {"kind": "prohibited_items", "scope": "vehicle",
                                                 "scope_name": "Spaceplane SV-2", "default_language": "en"},
                      page="/ops/documents", follow_redirects=True).get_data(as_text=True)
    assert "Document created" in right and "No flight names" not in right
