"""The desk's pages: a tourist asks, staff answer, the tourist rates; every route that changes
something against every role (a refused request changes nothing); internal notes never reach
the tourist's pages; the number of queries per page does not grow with the conversations."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.accounts import phones
from app.desk import conversations, saved_answers
from app.extensions import db
from app.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationState,
    DeskEvent,
    MedicalAccess,
    MessageKind,
    OutboundMessage,
    Role,
    SavedAnswer,
    Topic,
)
from tests.conftest import login, post_form
from tests.core.test_queries import count_queries

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_tourist_asks_staff_answer_and_the_tourist_rates(app, client, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    booking = make.booking(tourist)
    db.session.commit()
    login(client, tourist)
    form = client.get(f"/conversations/new?topic=booking&booking={booking.reference}").get_data(as_text=True)
    assert re.search(r'<option selected value="booking">', form)
    assert re.search(rf'<option selected value="{booking.reference}">', form)
    response = post_form(client, "/conversations/new", {
        "topic": "booking", "booking": booking.reference, "subject": "Paying by wire",
        "body": "Can I pay the balance by bank transfer?", "files": (io.BytesIO(PNG), "iban.png"),
    }, page="/conversations/new", content_type="multipart/form-data")
    assert response.status_code == 302
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.booking_id == booking.id and conversation.messages[0].attachments[0].filename == "iban.png"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Can I pay the balance by bank transfer?" in page and "Expect an answer by" in page

    staff = app.test_client()
    login(staff, ops)
    inbox = staff.get("/desk").get_data(as_text=True)
    assert "Paying by wire" in inbox and tourist.name in inbox
    post_form(staff, f"/desk/{conversation.id}/note", {"note": "Check the wire limit first."},
              page=f"/desk/{conversation.id}")
    answered = post_form(staff, f"/desk/{conversation.id}/reply", {"body": "Yes: our IBAN is on your booking page.",
                                                                   "resolve": "y"}, page=f"/desk/{conversation.id}")
    assert answered.status_code == 302
    db.session.expire_all()
    assert conversation.state is ConversationState.RESOLVED and conversation.owner_id == ops.id

    page = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert "Yes: our IBAN is on your booking page." in page and "How did we do?" in page
    assert "wire limit" not in page  # the internal note
    post_form(client, f"/conversations/{conversation.id}/rating", {"rating": "4"}, page=f"/conversations/{conversation.id}")
    db.session.expire_all()
    assert conversation.rating == 4
    assert "You rated our answer: Very good" in client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    # A notification in the app says an answer came, with its link.
    notice = db.session.scalar(select(OutboundMessage).where(OutboundMessage.user_id == tourist.id,
                                                             OutboundMessage.kind == "desk_reply",
                                                             OutboundMessage.channel == Channel.IN_APP))
    assert notice is not None and notice.link_url.endswith(f"/conversations/{conversation.id}")


def test_bad_input_on_the_pages_changes_nothing(client, make):
    tourist = make.user()
    db.session.commit()
    login(client, tourist)
    response = post_form(client, "/conversations/new", {"topic": "nonsense", "subject": "", "body": "x"},
                         page="/conversations/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not a valid choice" in body and "This field is required." in body
    response = post_form(client, "/conversations/new", {
        "topic": "other", "subject": "Scan", "body": "Here is my scan", "files": (io.BytesIO(b"MZ\x90 program"), "scan.pdf"),
    }, page="/conversations/new", content_type="multipart/form-data")
    assert response.status_code == 422 and "not a PDF, JPEG or PNG" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Conversation.id))) == 0


# -- every route that changes something, against every role ----------------------------------------

WHO = ("anonymous", "tourist", "other tourist", "medical", "instructor", "logistics", "operations")


def _snapshot(ids: dict) -> tuple:
    db.session.expire_all()
    rows = db.session.scalars(select(Conversation).order_by(Conversation.id)).all()
    return (
        db.session.scalar(select(func.count(ConversationMessage.id))), db.session.scalar(select(func.count(DeskEvent.id))),
        db.session.scalar(select(func.count(SavedAnswer.id))),
        [(c.state, c.owner_id, c.topic, c.rating, c.user_id) for c in rows],
        db.session.get(SavedAnswer, ids["answer"]).title,
    )


def test_desk_actions_against_every_role(app, make):
    tourist, other = make.user(), make.user()
    staff = {name: make.user(Role(name)) for name in WHO[3:]}
    booking = make.booking(tourist)
    ids = make.desk(tourist, booking, staff)
    unmatched = conversations.file_sms("+14155550111", "Who are you?", "SMaccess")
    resolved = conversations.start(tourist, topic=Topic.BOOKING, subject="Closed", body="Old question")
    conversations.resolve(resolved, staff["operations"])
    db.session.commit()
    clients = {"anonymous": app.test_client()}
    for name, user in {"tourist": tourist, "other tourist": other, **staff}.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    c, med, travel = ids["conversation"], ids["medical_conversation"], ids["travel_conversation"]
    tourist_only = {"other tourist": 404, **{s: 403 for s in staff}}
    booking_staff = {"tourist": 403, "other tourist": 403, "medical": 404, "instructor": 404, "logistics": 404}
    medical_staff = {"tourist": 403, "other tourist": 403, "operations": 404, "instructor": 404, "logistics": 404}
    ops_only = {"tourist": 403, "other tourist": 403, "medical": 403, "instructor": 403, "logistics": 403}
    routes = [
        # path, data, who may, what the others get (anonymous: sent to log in)
        ("/conversations/new", {"topic": "other", "subject": "New one", "body": "A new question"},
         {"tourist", "other tourist"}, {s: 403 for s in staff}),
        (f"/conversations/{c}", {"body": "One more thing"}, {"tourist"}, tourist_only),
        (f"/conversations/{resolved.id}/rating", {"rating": "5"}, {"tourist"}, tourist_only),
        (f"/conversations/{ids['training_conversation']}/close", {}, {"tourist"}, tourist_only),
        (f"/desk/{ids['training_conversation']}/note", {"note": "Noted"}, {"instructor", "operations"},
         {"tourist": 403, "other tourist": 403, "medical": 404, "logistics": 404}),
        (f"/desk/{c}/note", {"note": "Noted"}, {"operations"}, booking_staff),
        (f"/desk/{c}/reply", {"body": "An answer"}, {"operations"}, booking_staff),
        (f"/desk/{med}/reply", {"body": "A medical answer"}, {"medical"}, medical_staff),
        (f"/desk/{travel}/mine", {}, {"logistics", "operations"},
         {"tourist": 403, "other tourist": 403, "medical": 404, "instructor": 404}),
        (f"/desk/{c}/owner", {"owner": ""}, {"operations"}, booking_staff),
        (f"/desk/{c}/topic", {"topic": "travel"}, {"operations"}, booking_staff),
        (f"/desk/{c}/resolve", {}, {"operations"}, {**booking_staff, "logistics": None}),
        (f"/desk/{resolved.id}/reopen", {}, {"operations"}, booking_staff),
        (f"/desk/{unmatched.id}/tourist", {"email": tourist.email}, {"operations"}, ops_only),
        ("/desk/answers/new", {"title": "Opening hours", "body_en": "9 to 5"}, {"operations"}, ops_only),
        (f"/desk/answers/{ids['answer']}", {"title": "Renamed", "body_en": "9 to 6"}, {"operations"}, ops_only),
    ]
    wrong = []
    for path, data, allowed, others in routes:
        for who in WHO:
            if who in allowed:
                continue
            expected = 302 if who == "anonymous" else others.get(who)
            if expected is None:  # moved to another topic by an earlier row: now theirs to handle
                continue
            before = _snapshot(ids)
            code = post_form(clients[who], path, data, page="/account" if who != "anonymous" else "/login").status_code
            if code != expected:
                wrong.append(f"{who} POST {path}: {code}, expected {expected}")
            if _snapshot(ids) != before:
                wrong.append(f"{who} POST {path} changed something")
        for who in sorted(allowed):
            before = _snapshot(ids)
            code = post_form(clients[who], path, data, page="/account").status_code
            if code != 302 or _snapshot(ids) == before:
                wrong.append(f"{who} POST {path}: {code}, and it {'changed' if _snapshot(ids) != before else 'did not change'} something")
            break
    assert not wrong, "\n".join(wrong)


def test_moving_a_medical_conversation_out_of_medical_needs_a_confirmation(client, make):
    tourist, medic = make.user(), make.user(Role.MEDICAL)
    asked = conversations.start(tourist, topic=Topic.MEDICAL, subject="Travel pills", body="Is it about my flight?")
    db.session.commit()
    login(client, medic)
    post_form(client, f"/desk/{asked.id}/topic", {"topic": "travel"}, page=f"/desk/{asked.id}")
    db.session.expire_all()
    assert asked.topic is Topic.MEDICAL
    response = post_form(client, f"/desk/{asked.id}/topic", {"topic": "travel", "confirm": "y"}, page=f"/desk/{asked.id}")
    db.session.expire_all()
    assert asked.topic is Topic.TRAVEL and response.headers["Location"].endswith("/desk")  # no longer theirs


def test_the_tourist_never_sees_internal_notes_or_their_files(app, client, make):
    tourist = make.user()
    staff = {name: make.user(Role(name)) for name in WHO[3:]}
    ids = make.desk(tourist, make.booking(tourist), staff)
    db.session.commit()
    login(client, tourist)
    page = client.get(f"/conversations/{ids['conversation']}").get_data(as_text=True)
    assert "In 90 days." in page and "schedule.png" in page
    assert "Their bank called." not in page and "See the scan." not in page and "internal.png" not in page
    assert client.get(f"/conversations/{ids['conversation']}/files/{ids['note_attachment']}").status_code == 404
    download = client.get(f"/conversations/{ids['conversation']}/files/{ids['reply_attachment']}")
    assert download.status_code == 200 and download.data == b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    assert download.headers["Content-Disposition"] == 'attachment; filename="schedule.png"'


def test_medical_staff_reading_a_medical_conversation_is_logged(app, client, make):
    tourist = make.user()
    staff = {name: make.user(Role(name)) for name in WHO[3:]}
    ids = make.desk(tourist, make.booking(tourist), staff)
    db.session.commit()
    login(client, staff["medical"])
    before = db.session.scalar(select(func.count(MedicalAccess.id)))
    page = client.get(f"/desk/{ids['medical_conversation']}").get_data(as_text=True)
    assert "May I take my pills?" in page
    assert db.session.scalar(select(func.count(MedicalAccess.id))) == before + 1


def test_a_saved_answer_starts_the_reply_in_the_tourists_language(client, make):
    ops = make.user(Role.OPERATIONS)
    tourist = make.user(language="de")
    answer = conversations_saved(ops)
    asked = conversations.start(tourist, topic=Topic.BOOKING, subject="Raten", body="Kann ich in Raten zahlen?")
    db.session.commit()
    login(client, ops)
    page = client.get(f"/desk/{asked.id}?answer={answer.id}").get_data(as_text=True)
    assert "Ja, in bis zu vier Raten." in page and "Yes, in up to four." not in page


def conversations_saved(ops):
    return saved_answers.save(None, ops, title="Installments", topic=Topic.BOOKING, active=True,
                              bodies={"en": "Yes, in up to four.", "de": "Ja, in bis zu vier Raten."})


def test_unmatched_sms_are_shown_to_operations_and_given_to_a_tourist(client, make):
    ops, tourist = make.user(Role.OPERATIONS), make.user()
    conversation = conversations.file_sms("+14155550112", "It's Ada, new phone", "SMunmatched")
    db.session.commit()
    login(client, ops)
    listed = client.get("/desk?view=unmatched").get_data(as_text=True)
    assert "+14155550112" in listed and "Unmatched SMS (1)" in listed
    response = post_form(client, f"/desk/{conversation.id}/tourist", {"email": "nobody@example.com"},
                         page=f"/desk/{conversation.id}")
    assert response.status_code == 422 and "No tourist has this email address." in response.get_data(as_text=True)
    post_form(client, f"/desk/{conversation.id}/tourist", {"email": tourist.email}, page=f"/desk/{conversation.id}")
    db.session.expire_all()
    assert conversation.user_id == tourist.id


# -- the phone number proved ---------------------------------------------------------------------------

def test_a_tourist_verifies_their_number_with_a_code(app, client, make):
    tourist = make.user(phone="+14155550113")
    db.session.commit()
    login(client, tourist)
    assert "is not verified yet" in client.get("/account").get_data(as_text=True)
    post_form(client, "/account/phone/code", {}, page="/account")
    post_form(client, "/account/phone/code", {}, page="/account")  # the same code: one SMS
    [sms] = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "phone_code")).all()
    assert sms.recipient == "+14155550113"
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = post_form(client, "/account/phone/verify", {"code": wrong}, page="/account")
    assert response.status_code == 422 and "This code is not right" in response.get_data(as_text=True)
    post_form(client, "/account/phone/verify", {"code": code}, page="/account")
    db.session.expire_all()
    assert tourist.phone_verified_at is not None
    assert conversations.account_for_phone("+14155550113").id == tourist.id
    # Another number: no longer verified, its SMS no longer theirs.
    tourist.phone = "+14155550114"
    db.session.commit()
    assert tourist.phone_verified_at is None and conversations.account_for_phone("+14155550113") is None


def test_guessing_codes_is_throttled(app, make):
    tourist = make.user(phone="+14155550115")
    with app.test_request_context():
        for _ in range(5):
            with pytest.raises(Exception, match="not right"):
                phones.verify(tourist, "000000" if phones.code_for(tourist, phones._window()) != "000000" else "111111")
        with pytest.raises(Exception, match="Too many attempts"):
            phones.verify(tourist, phones.code_for(tourist, phones._window()))


# -- queries per page -----------------------------------------------------------------------------------

def _conversations(make, n: int, tourist, ops):
    for i in range(n):
        who = make.user() if tourist is None else tourist
        asked = conversations.start(who, topic=Topic.BOOKING, subject=f"Question {i}", body="A question",
                                    booking=make.booking(who))
        conversations.note(asked, ops, "A note")


def _count(client, path: str) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/desk", "/desk?view=waiting_on_tourist&owner=none&topic=booking"])
def test_the_inbox_queries_do_not_grow_with_conversations(client, make, path):
    ops = make.user(Role.OPERATIONS)
    _conversations(make, 2, None, ops)
    db.session.commit()
    login(client, ops)
    small = _count(client, path)
    _conversations(make, 12, None, ops)
    db.session.commit()
    assert _count(client, path) == small


def test_the_inbox_reads_in_four_statements(client, make):
    """The user, the counts by state, the page's rows, the filters' colleagues and flights."""
    ops = make.user(Role.OPERATIONS)
    _conversations(make, 3, None, ops)
    db.session.commit()
    login(client, ops)
    assert _count(client, "/desk") == 4


def test_the_inbox_filters_offer_the_colleagues_and_flights_they_offered_in_two_statements(app, make):
    """``_filter_choices`` (one statement) says what ``_colleagues`` and ``_flights`` say: colleagues
    by name (not tourists, not those no longer active), then the flights by launch (two at the same
    time by id; not those launched more than a month ago)."""
    from datetime import timedelta

    from app.timeutil import now_utc
    from blueprints.desk import staff

    with app.test_request_context("/"):
        soon = now_utc() + timedelta(days=3)
        for name, role in (("Zed", Role.LOGISTICS), ("Ann", Role.MEDICAL), ("Bob", Role.OPERATIONS)):
            make.user(role, name=name)
        make.user(Role.OPERATIONS, name="Gone").active = False
        make.user(name="A tourist")
        for days in (2, 3, 3, -10, -40):
            make.flight(launch_at=soon.replace(microsecond=0) + timedelta(days=days))
        db.session.flush()
        colleagues, flights = staff._filter_choices()
        assert [(c.id, c.name) for c in colleagues] == [(c.id, c.name) for c in staff._colleagues()]
        assert "Gone" not in [c.name for c in colleagues] and "A tourist" not in [c.name for c in colleagues]
        assert [(f.id, f.name, f.launch_at) for f in flights] == [
            (f.id, f.name, f.launch_at) for f in sorted(staff._flights(), key=lambda f: (f.launch_at, f.id))]
        assert all(f.launch_at.tzinfo is not None for f in flights)


def test_a_page_past_the_end_of_the_inbox_leads_to_its_start(client, make):
    ops = make.user(Role.OPERATIONS)
    _conversations(make, 1, None, ops)
    db.session.commit()
    login(client, ops)
    response = client.get("/desk?page=9&topic=booking")
    assert response.status_code == 302 and response.headers["Location"] == "/desk?view=open&topic=booking"


def test_the_tourists_pages_queries_do_not_grow(client, make):
    ops, tourist = make.user(Role.OPERATIONS), make.user()
    _conversations(make, 1, tourist, ops)
    db.session.commit()
    login(client, tourist)
    first = db.session.scalar(select(Conversation.id))
    small = (_count(client, "/conversations"), _count(client, f"/conversations/{first}"))
    _conversations(make, 8, tourist, ops)
    for _ in range(5):
        conversations.tourist_writes(db.session.get(Conversation, first), tourist, "Again")
    db.session.commit()
    assert (_count(client, "/conversations"), _count(client, f"/conversations/{first}")) == small


def test_a_conversation_page_queries_do_not_grow_with_messages(client, make):
    ops, tourist = make.user(Role.OPERATIONS), make.user()
    _conversations(make, 1, tourist, ops)
    db.session.commit()
    first = db.session.get(Conversation, db.session.scalar(select(Conversation.id)))
    login(client, ops)
    small = _count(client, f"/desk/{first.id}")
    for i in range(6):
        conversations.tourist_writes(first, tourist, f"Again {i}")
        conversations.reply(first, ops, f"Answer {i}")
    db.session.commit()
    assert _count(client, f"/desk/{first.id}") == small
    assert [m.kind for m in first.messages].count(MessageKind.STAFF) == 6
