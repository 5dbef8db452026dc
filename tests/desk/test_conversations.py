"""The desk's services: a conversation from the tourist's question to its rating, who may read
which topic, SMS filed in the right thread once, the response clock and the escalation sweep."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.desk import conversations, escalation, report, routing
from app.errors import ServiceError
from app.extensions import db
from app.messaging import outbox as outbox_engine
from app.messaging import reminders
from app.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationState,
    DeskEvent,
    DeskEventKind,
    MedicalAccess,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    PhoneVerification,
    Role,
    Topic,
)
from app.timeutil import UTC, now_utc
from tests.conftest import outbox

S = ConversationState
DENVER = ZoneInfo("America/Denver")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def denver(*args) -> datetime:
    return datetime(*args, tzinfo=DENVER).astimezone(UTC)


def png(name: str = "scan.png", data: bytes = PNG) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/png")


@pytest.fixture
def people(make):
    return {
        "tourist": make.user(language="de"), "other": make.user(),
        "ops": make.user(Role.OPERATIONS), "medical": make.user(Role.MEDICAL),
        "logistics": make.user(Role.LOGISTICS), "instructor": make.user(Role.INSTRUCTOR),
    }


def rendered(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Reminder rows are written when planned and rendered when due: render them now."""
    for message in messages:
        assert reminders.prepare(message, message.send_at)
    return messages


def ask(user, topic=Topic.BOOKING, now=None, **kw):
    return conversations.start(user, topic=topic, subject=kw.pop("subject", "When is my balance due?"),
                               body=kw.pop("body", "Could you tell me the date?"), now=now, **kw)


def test_a_question_is_answered_then_closed_rated_and_reopened_by_the_tourist(people):
    tourist, ops = people["tourist"], people["ops"]
    asked_at = denver(2026, 12, 7, 10, 0)  # a Monday morning at the operator
    conversation = ask(tourist, now=asked_at)
    assert conversation.state is S.NEW and conversation.waiting_since == asked_at
    assert conversation.due_at == denver(2026, 12, 7, 14, 0)  # 4 business hours

    answered_at = asked_at + timedelta(hours=1)
    reply = conversations.reply(conversation, ops, "It is due 90 days before launch.", now=answered_at)
    assert conversation.state is S.WAITING_ON_TOURIST and conversation.owner_id == ops.id
    assert conversation.first_response_seconds == 3600 and conversation.due_at is None
    told = rendered(outbox(user_id=tourist.id, kind="desk_reply"))
    assert {m.channel for m in told} == {Channel.EMAIL, Channel.IN_APP}
    email = next(m for m in told if m.channel is Channel.EMAIL)
    assert "It is due 90 days before launch." in email.body and f"/conversations/{conversation.id}" in email.body
    assert reply.kind is MessageKind.STAFF
    # The tourist is reminded after three days of our waiting on them.
    pending = [m for m in reminders.pending_for(conversation) if m.rule == "desk_waiting"]
    assert pending and all(m.send_at == answered_at + timedelta(days=3) for m in pending)

    conversations.tourist_writes(conversation, tourist, "Thanks, and can I pay in installments?",
                                 now=answered_at + timedelta(hours=2))
    assert conversation.state is S.WAITING_ON_US
    assert not [m for m in reminders.pending_for(conversation) if m.rule == "desk_waiting"]
    conversations.reply(conversation, ops, "Yes, in up to four.", now=answered_at + timedelta(hours=3))
    conversations.resolve(conversation, ops, now=answered_at + timedelta(hours=4))
    assert conversation.state is S.RESOLVED
    assert outbox(user_id=tourist.id, kind="desk_resolved")
    conversations.rate(conversation, tourist, 5)
    assert conversation.rating == 5
    # Their next word reopens it, waiting on us again, the old rating gone.
    conversations.tourist_writes(conversation, tourist, "One more thing.", now=answered_at + timedelta(days=1))
    assert conversation.state is S.WAITING_ON_US and conversation.rating is None and conversation.due_at is not None
    moves = db.session.scalars(select(DeskEvent.to_value).where(
        DeskEvent.conversation_id == conversation.id, DeskEvent.kind == DeskEventKind.STATE)
        .order_by(DeskEvent.id)).all()
    assert moves == ["waiting_on_tourist", "waiting_on_us", "waiting_on_tourist", "resolved", "waiting_on_us"]


def test_bad_input_changes_nothing(people, make):
    tourist, ops = people["tourist"], people["ops"]
    someone_elses = make.booking(people["other"])
    before = db.session.scalar(select(func.count(Conversation.id)))
    with pytest.raises(ServiceError) as refused:
        conversations.start(tourist, topic="spaceships", subject=" ", body="x", booking=someone_elses)
    fields = {e.field for e in refused.value.errors}
    assert fields == {"topic", "subject", "body", "booking"}
    with pytest.raises(ServiceError):
        ask(tourist, body="y" * (conversations.BODY_MAX + 1))
    assert db.session.scalar(select(func.count(Conversation.id))) == before
    conversation = ask(tourist)
    with pytest.raises(ServiceError, match="not yours"):
        conversations.tourist_writes(conversation, people["other"], "Let me in")
    with pytest.raises(ServiceError, match="not one you handle"):
        conversations.reply(conversation, people["medical"], "I am not operations")
    with pytest.raises(ServiceError, match="closed"):
        conversations.rate(conversation, tourist, 4)
    with pytest.raises(ServiceError, match="does not handle"):
        conversations.assign(conversation, ops, people["instructor"])


def test_internal_notes_are_for_staff_only(people):
    conversation = ask(people["tourist"])
    conversations.note(conversation, people["ops"], "Their card was declined twice.")
    conversations.reply(conversation, people["ops"], "We will call you.")
    assert [m.kind for m in conversations.visible_messages(conversation, people["ops"])] == [
        MessageKind.TOURIST, MessageKind.NOTE, MessageKind.STAFF]
    seen = conversations.visible_messages(conversation, people["tourist"])
    assert [m.kind for m in seen] == [MessageKind.TOURIST, MessageKind.STAFF]
    assert all("declined" not in m.body for m in rendered(outbox(user_id=people["tourist"].id)))


READERS = {
    # topic: the roles that read it (the tourist always reads their own)
    Topic.MEDICAL: {Role.MEDICAL},
    Topic.TRAVEL: {Role.LOGISTICS, Role.OPERATIONS},
    Topic.LAUNCH_DAY: {Role.LOGISTICS, Role.OPERATIONS},
    Topic.TRAINING: {Role.INSTRUCTOR, Role.OPERATIONS},
    Topic.BOOKING: {Role.OPERATIONS},
    Topic.DOCUMENTS: {Role.OPERATIONS},
    Topic.OTHER: {Role.OPERATIONS},
}


@pytest.mark.parametrize("topic", list(Topic))
def test_each_topic_is_read_by_its_staff_and_its_tourist_only(people, topic):
    conversation = ask(people["tourist"], topic)
    readers = {name for name, user in people.items() if routing.may_read(user, conversation)}
    expected = {"tourist"} | {name for name, user in people.items() if user.role in READERS[topic]}
    assert readers == expected
    listed = {name for name, user in people.items()
              if db.session.scalar(select(Conversation.id).where(Conversation.id == conversation.id,
                                                                 routing.readable_by(user)))}
    assert listed == expected


def test_re_routing_to_medical_takes_it_from_operations(people):
    conversation = ask(people["tourist"], Topic.OTHER)
    conversations.assign(conversation, people["ops"], people["ops"])
    conversations.set_topic(conversation, people["ops"], Topic.MEDICAL)
    assert conversation.owner_id is None and not routing.may_read(people["ops"], conversation)
    assert routing.may_read(people["medical"], conversation)


def test_a_medical_question_and_answer_are_never_written_into_a_message(people):
    """Neither the answer nor the subject (the tourist's own words) of a medical conversation goes
    into an email, an SMS or an in-app notice (the outbox shows those to operations)."""
    people["tourist"].phone = "+14155550123"
    conversation = ask(people["tourist"], Topic.MEDICAL, subject="My blood pressure")
    conversation.last_channel = Channel.SMS
    conversations.reply(conversation, people["medical"], "Your beta blocker is fine to continue.")
    # The reminder that we wait on them, rendered at its time (in three days).
    told = rendered([m for m in reminders.pending_for(conversation) if m.rule == "desk_waiting"])
    conversation.last_channel = Channel.IN_APP
    conversations.reply(conversation, people["medical"], "And the ECG is fine.")
    conversations.resolve(conversation, people["medical"])
    told += rendered([m for m in outbox(user_id=people["tourist"].id) if m.rule != "desk_waiting"])
    assert {m.rule for m in told} == {"desk_reply", "desk_waiting", "desk_resolved"}
    assert {m.channel for m in told} == {Channel.SMS, Channel.IN_APP, Channel.EMAIL}
    for m in told:
        assert "blood pressure" not in (m.subject + m.body) and "beta blocker" not in m.body and "ECG" not in m.body
        if m.channel is Channel.EMAIL:  # named by its number instead
            assert f"#{conversation.id}" in m.subject


def test_reading_a_medical_conversation_is_logged(people):
    conversation = ask(people["tourist"], Topic.MEDICAL)
    conversations.log_read(people["medical"], conversation)
    row = db.session.scalars(select(MedicalAccess).order_by(MedicalAccess.id.desc())).first()
    assert row.actor_id == people["medical"].id and f"conversation {conversation.id}" in row.what


def test_attachments_are_checked_by_their_content(people):
    conversation = ask(people["tourist"], files=[png()])
    [message] = conversation.messages
    [attachment] = message.attachments
    assert attachment.content_type == "image/png" and attachment.filename == "scan.png"
    with pytest.raises(ServiceError, match="not a PDF, JPEG or PNG"):
        conversations.tourist_writes(conversation, people["tourist"], "and this",
                                     [png("report.pdf", b"MZ\x90\x00 a program")])
    with pytest.raises(ServiceError, match="at most 3"):
        conversations.tourist_writes(conversation, people["tourist"], "many", [png() for _ in range(4)])
    assert len(conversation.messages) == 1


# -- SMS ------------------------------------------------------------------------------------------------

PHONE = "+14155552671"


def verify(user, phone: str) -> None:
    user.phone = phone
    db.session.add(PhoneVerification(user_id=user.id, phone=phone))
    db.session.flush()


def test_an_sms_from_a_verified_number_lands_in_the_open_conversation_once(people):
    tourist = people["tourist"]
    verify(tourist, PHONE)
    conversation = ask(tourist)
    conversations.reply(conversation, people["ops"], "Which date do you mean?")
    filed = conversations.file_sms(PHONE, "The launch date, please", "SM1")
    assert filed is conversation and conversation.state is S.WAITING_ON_US
    assert conversation.last_channel is Channel.SMS
    assert conversations.file_sms(PHONE, "The launch date, please", "SM1") is None  # delivered again
    assert [m.body for m in conversation.messages if m.kind is MessageKind.TOURIST].count("The launch date, please") == 1
    # The answer goes back by SMS (and in the app), whatever their preferences say.
    conversations.reply(conversation, people["ops"], "It is on the 12th.")
    told = [m for m in rendered(outbox(user_id=tourist.id, kind="desk_reply")) if "12th" in m.body]
    assert {m.channel for m in told} == {Channel.SMS, Channel.IN_APP}


def test_an_sms_with_no_open_conversation_starts_one(people):
    tourist = people["tourist"]
    verify(tourist, PHONE)
    conversation = conversations.file_sms(PHONE, "Is parking free at the spaceport?", "SM2")
    assert conversation.user_id == tourist.id and conversation.topic is Topic.OTHER
    assert conversation.subject == "Is parking free at the spaceport?" and conversation.state is S.NEW


def test_an_unverified_or_unknown_number_lands_unmatched_and_operations_give_it_away(people):
    people["tourist"].phone = PHONE  # typed in, never verified: could be anyone's number
    conversation = conversations.file_sms(PHONE, "Hi, this is Ada", "SM3")
    assert conversation.user_id is None and conversation.phone == PHONE
    assert routing.may_read(people["ops"], conversation) and not routing.may_read(people["logistics"], conversation)
    assert conversations.file_sms(PHONE, "Are you there?", "SM4") is conversation  # same number, same thread
    conversations.reply(conversation, people["ops"], "Who is writing, please?")
    [sms] = outbox(kind="desk_sms_reply")
    assert sms.recipient == PHONE and "Who is writing" in sms.body
    conversations.give_to_tourist(conversation, people["ops"], people["tourist"])
    assert conversation.user_id == people["tourist"].id
    with pytest.raises(ServiceError):
        conversations.give_to_tourist(conversation, people["ops"], people["other"])


def test_a_text_back_lands_in_the_conversation_our_sms_was_about_and_reopens_it(people):
    tourist = people["tourist"]
    verify(tourist, PHONE)
    about_hotel = ask(tourist, Topic.TRAVEL, subject="Hotel")
    about_hotel.last_channel = Channel.SMS
    conversations.reply(about_hotel, people["logistics"], "The Spaceport Inn.")
    conversations.resolve(about_hotel, people["logistics"])
    ask(tourist, Topic.BOOKING, subject="Balance")  # more recent, and open
    for m in outbox(user_id=tourist.id, channel=Channel.SMS):  # the SMS went out
        m.status, m.sent_at = MessageStatus.SENT, now_utc()
    filed = conversations.file_sms(PHONE, "Is breakfast included?", "SMhotel")
    assert filed is about_hotel and about_hotel.state is S.WAITING_ON_US


def test_the_tourist_closes_when_all_is_clear_and_a_reopened_conversation_is_rated_anew(people):
    conversation = ask(people["tourist"])
    conversations.reply(conversation, people["ops"], "Done.")
    conversations.tourist_closes(conversation, people["tourist"])
    assert conversation.state is S.RESOLVED
    assert not [m for m in reminders.pending_for(conversation) if m.rule == "desk_waiting"]
    conversations.rate(conversation, people["tourist"], 2)
    conversations.reopen(conversation, people["ops"])
    assert conversation.rating is None and conversation.state is S.WAITING_ON_US
    with pytest.raises(ServiceError, match="already closed"):
        conversations.resolve(conversation, people["ops"]) or conversations.tourist_closes(conversation, people["tourist"])


def test_an_answer_to_an_unknown_number_fits_an_sms(people):
    conversation = conversations.file_sms("+14155550001", "Hello?", "SMshort")
    with pytest.raises(ServiceError) as refused:
        conversations.reply(conversation, people["ops"], "x" * 601, [png()])
    assert {e.field for e in refused.value.errors} == {"body", "files"}
    assert len(conversation.messages) == 1


# -- the clock and escalation ------------------------------------------------------------------------------

@pytest.mark.parametrize("asked, due", [
    (denver(2026, 12, 4, 16, 0), denver(2026, 12, 7, 12, 0)),    # Friday 16:00 -> Monday 12:00
    (denver(2026, 12, 5, 11, 0), denver(2026, 12, 7, 13, 0)),    # Saturday -> Monday 9:00 + 4 h
    (denver(2026, 12, 7, 7, 30), denver(2026, 12, 7, 13, 0)),    # before opening
    (denver(2027, 3, 12, 15, 0), denver(2027, 3, 15, 11, 0)),    # over the weekend clocks go forward
])
def test_the_due_time_counts_business_hours_in_the_operators_zone(people, asked, due):
    assert ask(people["tourist"], now=asked).due_at == due


def test_holidays_are_not_business_days(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "DESK_HOLIDAYS", ("2026-12-25",))
    assert ask(people["tourist"], now=denver(2026, 12, 24, 16, 0)).due_at == denver(2026, 12, 28, 12, 0)


def test_near_the_launch_the_target_is_an_hour_around_the_clock(people, make):
    tourist = people["tourist"]
    booking = make.booking(tourist, days=3)
    saturday_night = denver(2026, 12, 5, 23, 0)
    booking.flight.launch_at = saturday_night + timedelta(days=3)
    conversation = ask(tourist, Topic.LAUNCH_DAY, now=saturday_night)
    assert conversation.due_at == saturday_night + timedelta(hours=1)


def test_a_medical_question_has_its_own_target(people):
    asked = denver(2026, 12, 7, 9, 0)
    assert ask(people["tourist"], Topic.MEDICAL, now=asked).due_at == denver(2026, 12, 7, 17, 0)  # 8 h


def test_the_sweep_escalates_a_late_wait_once_and_tells_operations_without_content(people):
    asked = now_utc() - timedelta(days=10)
    conversation = ask(people["tourist"], Topic.MEDICAL, now=asked, body="I had a stroke last year.")
    on_time = ask(people["other"], Topic.BOOKING)
    assert escalation.sweep() == 1
    assert escalation.sweep() == 0  # once per wait
    assert conversation.breached_at is not None and on_time.breached_at is None
    mails = outbox(kind="desk_escalated")
    assert {m.user_id for m in mails} == {people["ops"].id, people["medical"].id}
    assert all("stroke" not in m.body and "#%d" % conversation.id in m.subject for m in mails)
    ops_mail = next(m for m in mails if m.user_id == people["ops"].id)
    assert f"/desk/{conversation.id}" not in ops_mail.body  # operations cannot open a medical one
    breaches = db.session.scalar(select(func.count()).select_from(DeskEvent).where(
        DeskEvent.conversation_id == conversation.id, DeskEvent.kind == DeskEventKind.BREACHED))
    assert breaches == 1
    # The answer stops the clock; the tourist's next message starts a new wait, escalated anew.
    conversations.reply(conversation, people["medical"], "Please send your discharge letter.")
    conversations.tourist_writes(conversation, people["tourist"], "Here it is.", now=asked + timedelta(days=1))
    assert conversation.breached_at is None
    assert escalation.sweep() == 1


def test_a_late_answer_counts_as_a_breach_even_before_the_sweep(people):
    conversation = ask(people["tourist"], now=now_utc() - timedelta(days=5))
    conversations.reply(conversation, people["ops"], "Sorry for the wait.")
    assert db.session.scalar(select(func.count()).select_from(DeskEvent).where(
        DeskEvent.conversation_id == conversation.id, DeskEvent.kind == DeskEventKind.BREACHED)) == 1
    assert escalation.sweep() == 0


def test_the_weekly_figures(people):
    monday = denver(2026, 11, 30, 9, 0)
    first = ask(people["tourist"], now=monday)
    conversations.reply(first, people["ops"], "Answer", now=monday + timedelta(hours=1))
    second = ask(people["other"], Topic.TRAVEL, now=monday + timedelta(hours=1))
    conversations.reply(second, people["logistics"], "Answer", now=monday + timedelta(hours=4))
    late = ask(people["other"], Topic.TRAVEL, now=monday - timedelta(days=3))
    conversations.reply(late, people["ops"], "Late answer", now=monday + timedelta(hours=5))
    [this_week, last_week] = report.weekly(2, now=monday + timedelta(days=2))
    assert this_week.starts.isoformat() == "2026-11-30"
    assert this_week.total.conversations == 2 and last_week.total.conversations == 1
    assert this_week.by_topic[Topic.TRAVEL].conversations == 1
    assert this_week.by_topic[Topic.BOOKING].median_first_response == timedelta(hours=1)
    # Friday 9:00 to Monday 14:00 in business hours: 8 + 5 h; the travel median of 3 h and 13 h.
    assert this_week.by_topic[Topic.TRAVEL].median_first_response == timedelta(hours=8)
    assert this_week.total.breaches == 1 and this_week.by_topic[Topic.TRAVEL].breaches == 1


def test_staff_replies_to_an_unmatched_number_are_sent_once(people):
    conversation = conversations.file_sms("+14155550000", "Hello?", "SM9")
    message = conversations.reply(conversation, people["ops"], "Hello, who is this?")
    again = outbox_engine.queue_sms("desk_sms_reply", "+14155550000", "dup", key=f"desk-reply:{message.id}")
    assert again is None
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.kind == "desk_sms_reply", OutboundMessage.status == MessageStatus.QUEUED)) == 1
    assert db.session.scalar(select(func.count()).select_from(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id)) == 2


def test_staff_cannot_resolve_past_a_message_they_have_not_read(people):
    conversation = ask(people["tourist"])
    seen = conversations.reply(conversation, people["ops"], "Here is the answer.").id
    conversations.tourist_writes(conversation, people["tourist"], "But what about my refund?")  # meanwhile
    with pytest.raises(ServiceError, match="wrote again meanwhile"):
        conversations.resolve(conversation, people["ops"], seen_message_id=seen)
    assert conversation.state is S.WAITING_ON_US
    last = conversation.messages[-1].id
    conversations.resolve(conversation, people["ops"], seen_message_id=last)
    assert conversation.state is S.RESOLVED
