import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import Acceptance, Conversation, OutboundMessage, Topic
from tests.conftest import login, post_form


@pytest.fixture
def signing(client, make):
    doc = make.consent_document()
    tourist = make.user(name="Ada Lovelace")
    booking = booking_service.hold_seat(make.flight().id, tourist)
    db.session.commit()
    login(client, tourist)
    return {"doc": doc, "booking": booking, "url": f"/bookings/{booking.reference}/documents/{doc.document_id}"}


GOOD = {"read": "y", "not_certified": "y", "questions_answered": "y", "signed_name": "Ada Lovelace", "language": "en"}


@pytest.mark.parametrize("drop, message", [
    ("read", "Please confirm that you have read it."),
    ("not_certified", "Please confirm that you understand this."),
    ("questions_answered", "Please confirm that you consent."),
    ("signed_name", "This field is required."),
])
def test_signing_needs_every_confirmation(client, signing, drop, message):
    data = {**GOOD, "version_id": signing["doc"].id}
    data.pop(drop)
    response = post_form(client, signing["url"], data, page=signing["url"])
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0


def test_signing_with_another_name_is_refused(client, signing):
    response = post_form(client, signing["url"], {**GOOD, "signed_name": "Charles Babbage", "version_id": signing["doc"].id}, page=signing["url"])
    assert response.status_code == 422
    assert "Type your full name exactly as on your account: Ada Lovelace." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0


def test_a_missing_confirmation_and_another_name_are_refused_together(client, signing):
    from tests.fielderrors import field_error

    data = {**GOOD, "signed_name": "Charles Babbage", "version_id": signing["doc"].id}
    data.pop("not_certified")
    response = post_form(client, signing["url"], data, page=signing["url"])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please confirm that you understand this." in field_error(html, "not_certified")
    assert "Type your full name exactly as on your account: Ada Lovelace." in field_error(html, "signed_name")
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0


def test_signing_a_version_replaced_meanwhile_is_refused(client, signing, make):
    make.consent_document()  # published while the tourist was reading
    db.session.commit()
    response = post_form(client, signing["url"], {**GOOD, "version_id": signing["doc"].id}, page=signing["url"])
    assert response.status_code == 422 and "A new version of the document was published" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0


def test_asking_a_question_with_htmx_updates_the_list_in_place(client, signing):
    url = signing["url"] + "/questions"
    response = post_form(client, url, {"question": "How many people have flown on this vehicle?"}, page=signing["url"], headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "How many people have flown on this vehicle?" in body and "Waiting for an answer." in body
    question = db.session.scalars(select(Conversation)).one()
    assert question.booking_id == signing["booking"].id and question.document_version_id == signing["doc"].id
    assert question.topic is Topic.DOCUMENTS and question.document_id == signing["doc"].document_id


def test_an_empty_question_is_refused(client, signing):
    url = signing["url"] + "/questions"
    response = post_form(client, url, {"question": "  "}, page=signing["url"], headers={"HX-Request": "true"})
    assert response.status_code == 422 and "This field is required." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Conversation.id))) == 0


def test_question_without_htmx_redirects_back_to_the_questions(client, signing):
    url = signing["url"] + "/questions"
    response = post_form(client, url, {"question": "Is there a toilet on board?"}, page=signing["url"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/{signing['doc'].document_id}#questions")


def test_forgot_password_bad_email_is_refused(client):
    response = post_form(client, "/password/forgot", {"email": "not an email"}, page="/password/forgot")
    assert response.status_code == 422 and "Enter a valid email address." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0
