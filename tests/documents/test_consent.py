from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.booking import bookings as booking_service
from app.documents import consent, documents
from app.errors import ServiceError
from app.extensions import db
from app.models import Acceptance, BookingState, ImmutableRecordError
from app.timeutil import now_utc


def sign(booking, user, document, **kw):
    kw.setdefault("signed_name", user.name)
    return consent.sign(booking, user, version_id=document.id, ip_address="198.51.100.7",
                        user_agent="pytest", **kw)


def test_versions_count_up_and_hash_the_text(make):
    first = make.consent_document(body="Risk text one. " * 5)
    second = make.consent_document(body="Risk text two. " * 5)
    assert (first.version, second.version) == (1, 2)
    assert first.material  # the first version always needs signing
    assert second.text_in("en").sha256 == documents.text_hash("Risk text two. " * 5)
    assert consent.current_document().id == second.id


def test_hash_ignores_line_ending_style():
    assert documents.text_hash("a\r\nb\n") == documents.text_hash("a\nb")


def test_publishing_the_same_text_again_is_refused(make):
    doc = make.consent_document(body="Same text. " * 6)
    with pytest.raises(ServiceError, match="same as the current version"):
        consent.publish_document(title=doc.text_in("en").title, body=doc.text_in("en").body, resign_required=False,
                                 change_summary="", actor=make.user())


def test_signature_records_version_hash_ip_agent_and_time(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    before = now_utc()
    sig = sign(booking, tourist, doc)
    assert (sig.version, sig.text_sha256, sig.ip_address, sig.user_agent, sig.language) == (
        doc.version, doc.text_in("en").sha256, "198.51.100.7", "pytest", "en")
    assert before <= sig.accepted_at <= now_utc()
    assert consent.statuses([booking])[booking.id].signed


def test_a_new_version_that_needs_resigning_turns_signed_bookings_back_into_a_blocker(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    sign(booking, tourist, doc)
    make.consent_document(resign_required=False)
    assert consent.statuses([booking])[booking.id].signed  # a minor edit keeps the signature good
    v3 = make.consent_document(resign_required=True)
    status = consent.statuses([booking])[booking.id]
    assert not status.signed and status.needs_resign and status.current.id == v3.id
    sign(booking, tourist, v3)
    assert consent.statuses([booking])[booking.id].signed


def test_signing_an_outdated_version_is_refused(make):
    old = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    make.consent_document()
    with pytest.raises(ServiceError, match="new version of the document was published"):
        sign(booking, tourist, old)


def test_name_must_match_the_account(make):
    doc = make.consent_document()
    tourist = make.user(name="Grace Hopper")
    booking = booking_service.hold_seat(make.flight().id, tourist)
    with pytest.raises(ServiceError, match="Grace Hopper"):
        sign(booking, tourist, doc, signed_name="Someone Else")
    assert consent.statuses([booking])[booking.id].signature is None


def test_participants_must_be_18(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    today = date.today()
    tourist.date_of_birth = today.replace(year=today.year - 18) + timedelta(days=1)
    with pytest.raises(ServiceError, match="18 or older"):
        sign(booking, tourist, doc)


def test_cannot_sign_for_a_lapsed_hold_or_someone_elses_booking(make):
    doc = make.consent_document()
    tourist, other = make.user(), make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    with pytest.raises(ServiceError, match="not yours"):
        sign(booking, other, doc)
    booking.hold_expires_at = now_utc() - timedelta(seconds=1)
    with pytest.raises(ServiceError, match="hold has expired"):
        sign(booking, tourist, doc)


def test_signing_twice_is_refused(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    sign(booking, tourist, doc)
    with pytest.raises(ServiceError, match="already signed"):
        sign(booking, tourist, doc)


def test_signatures_can_never_be_edited_or_deleted(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    sig = sign(booking, tourist, doc)
    db.session.flush()
    sig.signed_name = "Forged"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE document_acceptances SET signed_name = 'Forged'",
    "DELETE FROM document_acceptances",
    "UPDATE document_texts SET body = 'softer text'",
    "DELETE FROM document_texts",
    "UPDATE document_versions SET material = NOT material",
    "UPDATE document_events SET at = at",
    "DELETE FROM document_events",
])
def test_the_database_refuses_to_change_signatures_too(make, statement):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    sign(booking, tourist, doc)
    db.session.flush()
    nested = db.session.begin_nested()
    with pytest.raises(Exception, match="never changed"):
        db.session.execute(text(statement))
    nested.rollback()
    assert db.session.scalars(select(Acceptance)).one().signed_name == tourist.name


def test_confirmed_bookings_can_still_sign_a_new_version(make):
    doc = make.consent_document()
    tourist = make.user()
    booking = booking_service.hold_seat(make.flight().id, tourist)
    sign(booking, tourist, doc)
    booking_service.transition(booking, BookingState.CONFIRMED)
    booking.hold_expires_at = now_utc() - timedelta(days=1)
    v2 = make.consent_document(resign_required=True)
    sign(booking, tourist, v2)
    assert consent.statuses([booking])[booking.id].signed
