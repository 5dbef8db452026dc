"""Publishing a version: the tourists it asks are told by a task after the commit (and by the
beat's sweep when that task never ran), each once; what changed is written per language; a
version published meanwhile by a colleague is never silently overtaken."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.booking.bookings import new_reference
from app.documents import documents
from app.extensions import db
from app.models import (
    Booking,
    BookingState,
    DocumentKind,
    DocumentNotice,
    DocumentVersion,
    Role,
    User,
)
from tests.conftest import Factory, login, outbox, post_form
from tests.integration.support import add_tourists, race
from tests.integration.test_concurrency import wide_app  # noqa: F401  (a fixture)

K = DocumentKind


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def _told(booking_id: int, version_id: int) -> list[str]:
    """The channels the booking's tourist was told of the version on, one entry per message."""
    return sorted(r.channel.value for r in outbox(rule="document_published", subject_id=booking_id)
                  if r.context["version_id"] == version_id)


def _once(channels: list[str]) -> bool:
    return bool(channels) and len(channels) == len(set(channels))


def test_the_sweep_tells_the_tourists_of_a_version_whose_task_never_ran(ctx, make):
    from worker.tasks import notify_document_version
    first, second = make.booking(days=60), make.booking(days=90)
    ops = make.user(Role.OPERATIONS)
    document = documents.create_document(documents.DocumentData(K.WAIVER, documents.DocumentScope.ALL), ops)
    version = documents.publish_version(document, documents.Draft({"en": ("Waiver", "I waive my claims.")}), ops)
    db.session.info.pop("countdown_after_commit", None)  # the task is lost: the broker was down
    assert version.id in documents.versions_to_notify()
    assert not _told(first.id, version.id) and not _told(second.id, version.id)
    assert notify_document_version() == 1
    told = {b.id: _told(b.id, version.id) for b in (first, second)}
    assert all(_once(channels) for channels in told.values()), told
    # The week-before reminder is planned again for the document now open.
    assert any(r.rule == "documents_due_week" for r in outbox(subject_id=first.id))
    assert version.id not in documents.versions_to_notify()
    assert db.session.get(DocumentNotice, version.id).done_at is not None
    # Run again (a task delivered twice, a worker that died before marking it done): nobody twice.
    assert notify_document_version(version.id) == 1
    assert {b.id: _told(b.id, version.id) for b in (first, second)} == told


def test_a_task_works_in_batches_and_a_correction_tells_nobody(ctx, make):
    first = make.booking()
    others = [make.booking() for _ in range(2)]
    ops = make.user(Role.OPERATIONS)
    v1 = make.document(K.PROHIBITED_ITEMS, actor=ops)
    assert all(_once(_told(b.id, v1.id)) for b in [first, *others])
    last = documents.notify_version(v1.id, 0, limit=2)
    assert last == others[0].id and documents.notify_version(v1.id, last, limit=2) == others[1].id
    assert documents.notify_version(v1.id, others[1].id, limit=2) is None
    v2 = documents.publish_version(v1.document, documents.Draft(
        {"en": ("Prohibited items", "No knives.")}, material=False), ops)
    assert db.session.get(DocumentNotice, v2.id) is None
    assert ("countdown.notify_document_version", (v2.id,)) not in db.session.info.get("countdown_after_commit", [])


def test_what_changed_is_written_per_language_and_read_in_the_tourists(app, make):
    tourist = make.user(language="de")
    booking = make.booking(tourist)
    ops = make.user(Role.OPERATIONS)
    v1 = make.document(K.BRIEFING, texts={"en": ("Timeline", "Breakfast at five."),
                                          "de": ("Ablauf", "Frühstück um fünf.")}, actor=ops)
    make.accept(booking, v1, language="de")
    db.session.commit()
    staff = app.test_client()
    login(staff, ops)
    url = f"/ops/documents/{v1.document_id}"
    form = staff.get(url).get_data(as_text=True)
    assert 'name="summary_de"' in form and 'name="based_on" type="hidden" value="1"' in form
    texts = {"title_en": "Timeline", "body_en": "Breakfast at four.", "summary_en": "Breakfast moves to four.",
             "title_de": "Ablauf", "body_de": "Frühstück um vier.", "summary_de": "Das Frühstück ist um vier.",
             "material": "material", "based_on": "1"}
    orphan = post_form(staff, url, {**texts, "summary_it": "La colazione alle quattro."}, page=url)
    assert orphan.status_code == 422 and "Write the text in Italiano too, or leave its summary empty." in (
        orphan.get_data(as_text=True))
    assert post_form(staff, url, {**texts, "confirmed": "yes"}, page=url).status_code == 302
    v2 = db.session.scalars(select(DocumentVersion).where(DocumentVersion.version == 2)).one()
    assert v2.change_summary == "Breakfast moves to four."
    assert {t.language: t.change_summary for t in v2.texts} == {
        "en": "Breakfast moves to four.", "de": "Das Frühstück ist um vier."}
    assert _once(_told(booking.id, v2.id)), "told by the task sent after the commit"
    assert db.session.get(DocumentNotice, v2.id).done_at is not None
    client = app.test_client()
    login(client, tourist)
    page = client.get(f"/bookings/{booking.reference}/documents/{v1.document_id}").get_data(as_text=True)
    assert "Das Frühstück ist um vier." in page and "Breakfast moves to four." not in page


def test_a_version_published_meanwhile_is_not_overtaken(app, make):
    ops, colleague = make.user(Role.OPERATIONS, name="Ada Ops"), make.user(Role.OPERATIONS, name="Bo Ops")
    v1 = make.document(K.WAIVER, actor=ops)
    db.session.commit()
    url = f"/ops/documents/{v1.document_id}"
    mine, theirs = app.test_client(), app.test_client()
    login(mine, ops)
    login(theirs, colleague)
    draft = {"title_en": "Waiver", "material": "material", "based_on": "1", "confirmed": "yes"}
    assert post_form(theirs, url, {**draft, "body_en": "Their wording."}, page=url).status_code == 302
    refused = post_form(mine, url, {**draft, "body_en": "My wording."}, page=url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Version 2 was published by Bo Ops while you were writing" in html
    assert db.session.scalar(select(func.count(DocumentVersion.id))) == 2
    # The page now knows version 2: publishing again after reading it goes through.
    assert 'name="based_on" type="hidden" value="2"' in html
    assert post_form(mine, url, {**draft, "body_en": "My wording.", "based_on": "2"}, page=url).status_code == 302
    assert db.session.scalar(select(func.max(DocumentVersion.version))) == 3


@pytest.mark.postgres
def test_two_publications_at_once_make_one_version(committed_db, wide_app):  # noqa: F811
    make = Factory()
    ops = make.user(Role.OPERATIONS)
    colleagues = [make.user(Role.OPERATIONS) for _ in range(4)]
    v1 = make.document(K.WAIVER, actor=ops)
    flight = make.flight()
    tourist = add_tourists(1, prefix="signer")[0]
    db.session.add(Booking(reference=new_reference(), flight_id=flight.id, user_id=tourist.id,
                           state=BookingState.CONFIRMED))
    document_id, colleague_ids = v1.document_id, [c.id for c in colleagues]
    db.session.commit()
    db.session.remove()

    def publish(user_id: int) -> tuple[str, int]:
        document = db.session.get(documents.Document, document_id)
        draft = documents.Draft({"en": ("Waiver", f"Wording of colleague {user_id}.")}, based_on=1)
        return "published", documents.publish_version(document, draft, db.session.get(User, user_id)).version

    # A refusal comes back as ("refused", its message); nothing here is "lost".
    outcomes = race(wide_app, colleague_ids, publish, LookupError, "lost")
    kinds = Counter(kind for kind, _ in outcomes.values())
    assert kinds == {"published": 1, "refused": len(colleague_ids) - 1}, outcomes
    assert all("while you were writing" in message for kind, message in outcomes.values() if kind == "refused")
    db.session.remove()
    assert sorted(db.session.scalars(select(DocumentVersion.version).where(
        DocumentVersion.document_id == document_id))) == [1, 2]


def test_a_tourist_asked_again_reads_what_every_version_since_theirs_changed(app, make):
    booking = make.booking()
    ops = make.user(Role.OPERATIONS)
    v1 = make.document(K.BRIEFING, texts={"en": ("Timeline", "Breakfast at five.")}, actor=ops)
    make.accept(booking, v1)
    for material, body, summary in ((True, "Breakfast at four.", "Breakfast moves to four."),
                                    (False, "Breakfast at four o'clock.", "Wording.")):
        version = documents.publish_version(v1.document, documents.Draft(
            {"en": ("Timeline", body)}, material=material, summaries={"en": summary}), ops)
        make._told(version)
    status = documents.status_of(booking, v1.document)
    assert status.state.value == "redo"
    assert documents.summaries_since(status, "de") == [(3, "Wording.", "en"), (2, "Breakfast moves to four.", "en")]
    db.session.commit()
    client = app.test_client()
    login(client, booking.user)
    page = client.get(f"/bookings/{booking.reference}/documents/{v1.document_id}").get_data(as_text=True)
    assert "Breakfast moves to four." in page and "Wording." in page


def test_counts_are_of_everyone_when_only_open_rows_are_shown_and_evidence_stays_reachable(app, make):
    from app.booking import bookings as booking_service
    flight = make.booking().flight
    signed = []
    for _ in range(2):
        b = booking_service.hold_seat(flight.id, make.user())
        booking_service.transition(b, BookingState.CONFIRMED)
        signed.append(b)
    ops = make.user(Role.OPERATIONS)
    v1 = make.document(K.PROHIBITED_ITEMS, actor=ops)
    acceptances = [make.accept(b, v1) for b in signed]
    v2 = make.document(document=v1.document, texts={"en": ("Items", "No knives, no lighters.")}, material=False,
                       actor=ops)
    db.session.commit()
    staff = app.test_client()
    login(staff, ops)
    page = staff.get(f"/ops/flights/{flight.id}/documents?show=open").get_data(as_text=True)
    assert "2/3" in page, "counted over the whole flight, not the one row shown"
    # Version 1 is superseded: its page still leads to each acceptance's evidence.
    version_page = staff.get(f"/ops/documents/versions/{v1.id}").get_data(as_text=True)
    for acceptance in acceptances:
        assert f"/ops/acceptances/{acceptance.id}" in version_page
    assert "Nobody has accepted this version." in staff.get(f"/ops/documents/versions/{v2.id}").get_data(as_text=True)
