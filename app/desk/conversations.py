"""Conversations between a tourist and the operator: started in the app or by SMS, answered by the
staff of their topic, resolved, rated, and reopened by the tourist's next word.

One transition function (:func:`_move`) moves a conversation between its states and writes the
history row; every other change (owner, topic, a tourist given an unmatched SMS) writes one too.
The response clock starts when the tourist writes and nobody has answered yet (``waiting_since``)
and stops at the next staff reply; its due time follows the topic's target (:mod:`app.desk.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.booking.reminder_rules import LIVE
from app.desk import attachments, clock, labels, routing
from app.errors import Problems, ServiceError
from app.extensions import db
from app.medical.access import log_access as log_medical_access
from app.messaging import outbox, reminders
from app.models import (
    Booking,
    Channel,
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationState,
    DeskEvent,
    DeskEventKind,
    Flight,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    PhoneVerification,
    Role,
    Topic,
    User,
)
from app.timeutil import now_utc

S = ConversationState
SUBJECT_MAX = 150
#: An answer to an unknown number goes by SMS only: about four text messages at most.
SMS_ANSWER_MAX = 600
BODY_MIN = 2
BODY_MAX = 5000
#: The states in which the tourist waits for us.
WAITING = (S.NEW, S.WAITING_ON_US)
OPEN = (S.NEW, S.WAITING_ON_US, S.WAITING_ON_TOURIST)

#: Every move the state machine allows: (from, to).
TRANSITIONS: frozenset[tuple[ConversationState, ConversationState]] = frozenset({
    (S.NEW, S.WAITING_ON_TOURIST),             # staff answer
    (S.NEW, S.RESOLVED),                       # closed without an answer (nothing to answer)
    (S.WAITING_ON_US, S.WAITING_ON_TOURIST),
    (S.WAITING_ON_US, S.RESOLVED),
    (S.WAITING_ON_TOURIST, S.WAITING_ON_US),   # the tourist writes again
    (S.WAITING_ON_TOURIST, S.RESOLVED),
    (S.RESOLVED, S.WAITING_ON_US),             # the tourist writes again, or staff reopen it
    (S.RESOLVED, S.WAITING_ON_TOURIST),        # staff add an answer to a closed conversation
})


class TransitionError(ServiceError):
    def __init__(self, from_state: ConversationState, to_state: ConversationState) -> None:
        super().__init__(_("This conversation cannot go from “%(a)s” to “%(b)s”.", a=labels.STATES[from_state],
                           b=labels.STATES[to_state]))


def record_event(conversation: Conversation, kind: DeskEventKind, actor: User | None, before: str = "",
                 after: str = "", at: datetime | None = None) -> None:
    db.session.add(DeskEvent(conversation_id=conversation.id, kind=kind, actor_id=actor.id if actor else None,
                             from_value=before[:32], to_value=after[:32], topic=conversation.topic,
                             at=at or now_utc()))


def _move(conversation: Conversation, to: ConversationState, actor: User | None, now: datetime) -> None:
    before = conversation.state
    if before is to:
        return
    if (before, to) not in TRANSITIONS:
        raise TransitionError(before, to)
    conversation.state = to
    conversation.updated_at = now
    if before is S.RESOLVED:  # reopened: the rating was of the answer before; asked again when resolved
        conversation.rating, conversation.rated_at = None, None
    if to is S.RESOLVED:
        conversation.resolved_at = now
        _stop_clock(conversation)
        conversation.tourist_turn_since = None
    record_event(conversation, DeskEventKind.STATE, actor, before.value, to.value, now)


# -- the clock ---------------------------------------------------------------------------------------

def next_launch(user_id: int | None, now: datetime | None = None) -> datetime | None:
    """The launch of the tourist's soonest live booking (up to a day after it: launch day is long)."""
    if user_id is None:
        return None
    now = now or now_utc()
    return db.session.scalar(
        select(func.min(Flight.launch_at)).join(Booking, Booking.flight_id == Flight.id)
        .where(Booking.user_id == user_id, Booking.state.in_(LIVE), Flight.launch_at >= now - timedelta(days=1)))


def _start_clock(conversation: Conversation, since: datetime) -> None:
    """The tourist wrote and waits: the clock runs from their first unanswered message."""
    if conversation.waiting_since is not None:
        return
    conversation.waiting_since = since
    conversation.breached_at = None
    due = clock.due(conversation.topic, since, next_launch(conversation.user_id, since))
    conversation.due_at, conversation.around_the_clock = due.at, due.near_launch


def replan_due(conversation: Conversation) -> None:
    """The topic changed, or the due time was never set (a question from before the desk)."""
    if conversation.waiting_since is not None:
        due = clock.due(conversation.topic, conversation.waiting_since,
                        next_launch(conversation.user_id, conversation.waiting_since))
        conversation.due_at, conversation.around_the_clock = due.at, due.near_launch


def _stop_clock(conversation: Conversation, now: datetime | None = None, answered: bool = False) -> None:
    if conversation.waiting_since is None:
        return
    if answered and conversation.first_response_at is None:
        conversation.first_response_at = now
        conversation.first_response_seconds = (
            int((now - conversation.waiting_since).total_seconds()) if conversation.around_the_clock
            else clock.business_seconds(conversation.waiting_since, now))
    if answered and conversation.due_at is not None and now > conversation.due_at and conversation.breached_at is None:
        # Answered late before the sweep saw it: the breach still counts.
        conversation.breached_at = now
        record_event(conversation, DeskEventKind.BREACHED, None, "", "answered late", now)
    conversation.waiting_since = None
    conversation.due_at = None


def expected_answer(conversation: Conversation) -> clock.Due | None:
    """When the tourist can expect an answer (None when it is not our turn)."""
    if conversation.state not in WAITING or conversation.waiting_since is None or conversation.due_at is None:
        return None
    return clock.Due(conversation.due_at, conversation.due_at - conversation.waiting_since,
                     conversation.around_the_clock)


# -- checks ------------------------------------------------------------------------------------------

def _hold(conversation: Conversation) -> None:
    """Lock the conversation's row until the commit (PostgreSQL) and read it afresh, before a
    change: a tourist writing while staff resolve are done one after the other, and each sees
    what the other did. Taken once the input is known to be good (a refused form locks nothing)."""
    db.session.scalar(select(Conversation.id).where(Conversation.id == conversation.id).with_for_update())
    db.session.refresh(conversation, [attr.key for attr in sa_inspect(Conversation).column_attrs])

def _body(text: str | None, problems: Problems, field: str = "body", *, minimum: int = BODY_MIN) -> str:
    text = (text or "").strip()
    if len(text) < minimum:
        problems.add(_("Please write your message."), field)
    elif len(text) > BODY_MAX:
        problems.add(_("A message has at most %(max)s characters.", max=BODY_MAX), field)
    return text


def _attachments(files: list | tuple, problems: Problems) -> list:
    """The files checked and made into attachments; a refusal joins the form's other problems."""
    try:
        return attachments.read(list(files))
    except ServiceError as exc:
        problems.extend(exc)
        return []


def _require_staff(actor: User, conversation: Conversation) -> None:
    if actor.role is Role.TOURIST or not routing.may_read(actor, conversation):
        raise ServiceError(_("This conversation is not one you handle."))


def _write(conversation: Conversation, kind: MessageKind, author: User | None, body: str, channel: Channel,
           files: list, now: datetime, provider_id: str | None = None) -> ConversationMessage:
    message = ConversationMessage(conversation_id=conversation.id, kind=kind, author_id=author.id if author else None,
                                  channel=channel, body=body, created_at=now, provider_id=provider_id)
    message.attachments.extend(files)
    db.session.add(message)
    conversation.updated_at = now
    return message


# -- the tourist -------------------------------------------------------------------------------------

def start(user: User, *, topic: Topic | str | None, subject: str, body: str, booking: Booking | None = None,
          files: list | tuple = (), document_id: int | None = None, document_version_id: int | None = None,
          channel: Channel = Channel.IN_APP,
          provider_id: str | None = None, now: datetime | None = None) -> Conversation:
    """The tourist asks something: a new conversation, waiting on us."""
    now = now or now_utc()
    problems = Problems()
    try:
        topic = Topic(topic) if topic is not None else None
    except ValueError:
        topic = None
    if topic is None:
        problems.add(_("Choose what your question is about."), "topic")
    subject = " ".join((subject or "").split())
    if not subject:
        problems.add(_("Give your question a subject."), "subject")
    elif len(subject) > SUBJECT_MAX:
        problems.add(_("A subject has at most %(max)s characters.", max=SUBJECT_MAX), "subject")
    body = _body(body, problems, minimum=1 if channel is Channel.SMS else BODY_MIN)
    if booking is not None and booking.user_id != user.id:
        problems.add(_("Choose one of your bookings."), "booking")
    made = _attachments(files, problems)
    problems.raise_any()
    conversation = Conversation(
        user_id=user.id, topic=topic, booking_id=booking.id if booking else None, document_id=document_id,
        document_version_id=document_version_id,
        subject=subject, state=S.NEW, last_channel=channel, created_at=now, updated_at=now)
    db.session.add(conversation)
    db.session.flush()
    record_event(conversation, DeskEventKind.CREATED, user, "", S.NEW.value, now)
    _start_clock(conversation, now)
    _write(conversation, MessageKind.TOURIST, user, body, channel, made, now, provider_id)
    db.session.flush()
    return conversation


def tourist_writes(conversation: Conversation, user: User | None, body: str, files: list | tuple = (), *,
                   channel: Channel = Channel.IN_APP, provider_id: str | None = None,
                   now: datetime | None = None) -> ConversationMessage:
    """The tourist adds to their conversation: it is our turn again (a closed one reopens)."""
    now = now or now_utc()
    if user is not None and conversation.user_id != user.id:
        raise ServiceError(_("This conversation is not yours."))
    problems = Problems()
    body = _body(body, problems, minimum=1 if channel is Channel.SMS else BODY_MIN)
    made = _attachments(files, problems)
    problems.raise_any()
    _hold(conversation)
    if conversation.state in (S.WAITING_ON_TOURIST, S.RESOLVED):
        _move(conversation, S.WAITING_ON_US, user, now)
    conversation.tourist_turn_since = None
    conversation.last_channel = channel
    _start_clock(conversation, now)
    message = _write(conversation, MessageKind.TOURIST, user, body, channel, made, now, provider_id)
    db.session.flush()
    reminders.sync(conversation)
    return message


def rate(conversation: Conversation, user: User, rating: int, now: datetime | None = None) -> None:
    """The tourist's one-click rating of a resolved conversation (they may change their mind)."""
    if conversation.user_id != user.id:
        raise ServiceError(_("This conversation is not yours."))
    if rating not in range(1, 6):
        raise ServiceError(_("Choose a rating from 1 to 5."), "rating")
    _hold(conversation)
    if conversation.state is not S.RESOLVED:
        raise ServiceError(_("You can rate a conversation once it is closed."))
    now = now or now_utc()
    before = str(conversation.rating or "")
    conversation.rating, conversation.rated_at = rating, now
    record_event(conversation, DeskEventKind.RATED, user, before, str(rating), now)
    db.session.flush()
    reminders.sync(conversation)


def tourist_closes(conversation: Conversation, user: User, now: datetime | None = None) -> None:
    """The tourist says all is clear: resolved, and asked for their rating on the page."""
    if conversation.user_id != user.id:
        raise ServiceError(_("This conversation is not yours."))
    _hold(conversation)
    if conversation.state is S.RESOLVED:
        raise ServiceError(_("This conversation is already closed."))
    now = now or now_utc()
    _move(conversation, S.RESOLVED, user, now)
    db.session.flush()
    reminders.sync(conversation)


# -- staff -------------------------------------------------------------------------------------------

def reply(conversation: Conversation, actor: User, body: str, files: list | tuple = (), *,
          now: datetime | None = None) -> ConversationMessage:
    """Staff answer: the tourist is told (by SMS when they wrote by SMS, else as they chose, and
    always in the app); the clock stops; it is the tourist's turn."""
    now = now or now_utc()
    _require_staff(actor, conversation)
    problems = Problems()
    body = _body(body, problems)
    if conversation.user_id is None:  # an unknown number: the answer goes by SMS alone
        if len(body) > SMS_ANSWER_MAX:
            problems.add(_("An answer by SMS has at most %(max)s characters.", max=SMS_ANSWER_MAX), "body")
        if attachments.chosen(list(files)):
            problems.add(_("Files cannot be sent by SMS. Ask the person to write in the app."), "files")
    made = _attachments(files, problems)
    problems.raise_any()
    _hold(conversation)
    _stop_clock(conversation, now, answered=True)
    if conversation.state is not S.WAITING_ON_TOURIST:
        _move(conversation, S.WAITING_ON_TOURIST, actor, now)
    conversation.tourist_turn_since = now
    if conversation.owner_id is None:
        conversation.owner_id = actor.id
        record_event(conversation, DeskEventKind.ASSIGNED, actor, "", str(actor.id), now)
    message = _write(conversation, MessageKind.STAFF, actor, body, Channel.IN_APP, made, now)
    db.session.flush()
    _tell_tourist(conversation, message)
    reminders.sync(conversation)
    return message


def _tell_tourist(conversation: Conversation, message: ConversationMessage) -> None:
    if conversation.user_id is None:
        # An unmatched number: the answer can only go back by SMS.
        outbox.queue_sms("desk_sms_reply", conversation.phone or "", outbox.render_sms(
            "desk_sms_reply", None, body=message.body), key=f"desk-reply:{message.id}")
        message.channel = Channel.SMS
        return
    channels = frozenset({Channel.SMS, Channel.IN_APP}) if conversation.last_channel is Channel.SMS else None
    reminders.notify("desk_reply", conversation, occurrence=str(message.id), context={"message_id": message.id},
                     channels=channels)


def note(conversation: Conversation, actor: User, body: str, now: datetime | None = None) -> ConversationMessage:
    """An internal note: staff of the topic see it, the tourist never does."""
    now = now or now_utc()
    _require_staff(actor, conversation)
    problems = Problems()
    body = _body(body, problems, "note")
    problems.raise_any()
    message = _write(conversation, MessageKind.NOTE, actor, body, Channel.IN_APP, [], now)
    db.session.flush()
    return message


def assign(conversation: Conversation, actor: User, owner: User | None, now: datetime | None = None) -> None:
    """Give the conversation to a colleague (or oneself), or to nobody."""
    _require_staff(actor, conversation)
    if owner is not None and (not owner.active or not routing.may_read(owner, conversation)
                              or owner.role is Role.TOURIST):
        raise ServiceError(_("%(name)s does not handle this topic.", name=owner.name), "owner")
    new_id = owner.id if owner is not None else None
    _hold(conversation)
    if new_id == conversation.owner_id:
        return
    now = now or now_utc()
    record_event(conversation, DeskEventKind.ASSIGNED, actor, str(conversation.owner_id or ""), str(new_id or ""), now)
    conversation.owner_id = new_id
    conversation.updated_at = now
    db.session.flush()


def set_topic(conversation: Conversation, actor: User, topic: Topic, now: datetime | None = None) -> None:
    """Re-route to another topic (and so to its staff); the due time follows the new target. An
    owner who does not handle the new topic lets it go."""
    _require_staff(actor, conversation)
    if conversation.user_id is None:
        raise ServiceError(_("Give this conversation to its tourist first."), "topic")
    _hold(conversation)
    if topic is conversation.topic:
        return
    now = now or now_utc()
    before = conversation.topic
    conversation.topic = topic
    record_event(conversation, DeskEventKind.TOPIC, actor, before.value, topic.value, now)
    if conversation.owner is not None and not routing.handles(conversation.owner, topic):
        record_event(conversation, DeskEventKind.ASSIGNED, actor, str(conversation.owner_id), "", now)
        conversation.owner_id = None
    replan_due(conversation)
    conversation.updated_at = now
    db.session.flush()


def resolve(conversation: Conversation, actor: User, now: datetime | None = None, *,
            seen_message_id: int | None = None) -> None:
    """Close it: the tourist is asked for a one-click rating; their next word reopens it. With
    ``seen_message_id`` (the last message on the page staff resolved from), refused when the
    tourist wrote again meanwhile: nobody resolves a message they have not read."""
    _require_staff(actor, conversation)
    now = now or now_utc()
    _hold(conversation)
    if conversation.state is S.RESOLVED:
        raise ServiceError(_("This conversation is already resolved."))
    if seen_message_id is not None and db.session.scalar(
            select(ConversationMessage.id).where(ConversationMessage.conversation_id == conversation.id,
                                                 ConversationMessage.kind == MessageKind.TOURIST,
                                                 ConversationMessage.id > seen_message_id).limit(1)):
        raise ServiceError(_("The tourist wrote again meanwhile: read their message first."))
    _move(conversation, S.RESOLVED, actor, now)
    db.session.flush()
    if conversation.user_id is not None:
        reminders.notify("desk_resolved", conversation, occurrence=now.isoformat())
    reminders.sync(conversation)


def reopen(conversation: Conversation, actor: User, now: datetime | None = None) -> None:
    """Staff reopen a resolved conversation: it is our turn, the clock runs from now."""
    _require_staff(actor, conversation)
    now = now or now_utc()
    _hold(conversation)
    if conversation.state is not S.RESOLVED:
        raise ServiceError(_("Only a resolved conversation can be reopened."))
    _move(conversation, S.WAITING_ON_US, actor, now)
    _start_clock(conversation, now)
    db.session.flush()
    reminders.sync(conversation)


def give_to_tourist(conversation: Conversation, actor: User, tourist: User, now: datetime | None = None) -> None:
    """An SMS from an unknown number belongs to this tourist (staff checked, e.g. by calling)."""
    if actor.role is not Role.OPERATIONS:
        raise ServiceError(_("Only operations give unmatched messages to a tourist."))
    if tourist.role is Role.TOURIST:
        _hold(conversation)
    if conversation.user_id is not None:
        raise ServiceError(_("This conversation already belongs to a tourist."))
    if tourist.role is not Role.TOURIST:
        raise ServiceError(_("Choose a tourist's account."), "tourist")
    now = now or now_utc()
    conversation.user_id = tourist.id
    record_event(conversation, DeskEventKind.MATCHED, actor, "", str(tourist.id), now)
    replan_due(conversation)
    conversation.updated_at = now
    db.session.flush()


# -- SMS ---------------------------------------------------------------------------------------------

def account_for_phone(phone: str) -> User | None:
    """The one active account that verified this number (none, or several: unmatched)."""
    users = list(db.session.scalars(
        select(User).join(PhoneVerification, PhoneVerification.user_id == User.id)
        .where(User.phone == phone, PhoneVerification.phone == phone, User.active).limit(2)))
    return users[0] if len(users) == 1 else None


def file_sms(phone: str, body: str, message_sid: str, now: datetime | None = None, *,
             media: int = 0) -> Conversation | None:
    """An SMS to the operator: into the conversation the desk's last SMS to them was about (a
    reply to it, within a week), else their open conversation (the latest not resolved), else a
    new one; from a number no account verified, into the unmatched queue. Once per
    message, however often it is delivered
    (None when it was filed before)."""
    now = now or now_utc()
    if db.session.scalar(select(ConversationMessage.id).where(ConversationMessage.provider_id == message_sid)):
        return None
    text = body.strip()[:BODY_MAX]
    if media:  # pictures by MMS are not fetched from Twilio: staff are told to ask for them
        note = _("(%(num)s picture(s) or file(s) sent by MMS: not kept here. Ask for them in the app.)", num=media)
        text = f"{text}\n{note}".strip()
    user = account_for_phone(phone)
    savepoint = db.session.begin_nested()
    try:
        if user is None:
            conversation = _unmatched_for(phone, now)
            if conversation is None:
                conversation = Conversation(user_id=None, phone=phone, topic=Topic.OTHER, subject=_sms_subject(text),
                                            state=S.NEW, last_channel=Channel.SMS, created_at=now, updated_at=now)
                db.session.add(conversation)
                db.session.flush()
                record_event(conversation, DeskEventKind.CREATED, None, "", S.NEW.value, now)
                _start_clock(conversation, now)
            elif conversation.state is not S.NEW:
                _move(conversation, S.WAITING_ON_US, None, now)
                _start_clock(conversation, now)
            _write(conversation, MessageKind.TOURIST, None, text or "…", Channel.SMS, [], now, message_sid)
            db.session.flush()
        else:
            conversation = _answered_by_sms(user, now) or _open_for(user)
            if conversation is None:
                conversation = start(user, topic=Topic.OTHER, subject=_sms_subject(text), body=text or "…",
                                     channel=Channel.SMS, provider_id=message_sid, now=now)
            else:
                tourist_writes(conversation, user, text or "…", channel=Channel.SMS, provider_id=message_sid, now=now)
        savepoint.commit()
    except IntegrityError:  # the same message, filed by a concurrent delivery
        savepoint.rollback()
        return None
    return conversation


def _sms_subject(text: str) -> str:
    words = " ".join(text.split())
    return (words[:60] + "…") if len(words) > 60 else (words or _("Text message"))


#: How long a tourist's SMS counts as a reply to the conversation our last SMS was about.
SMS_REPLY_WINDOW = timedelta(days=7)
#: The desk's messages that reach a tourist by SMS (a reply to them belongs to that conversation).
SMS_RULES = ("desk_reply", "desk_waiting", "desk_resolved")


def _answered_by_sms(user: User, now: datetime) -> Conversation | None:
    """The conversation the desk's latest SMS to the tourist was about, if it went out in the last
    week: a text back is a reply to it (and reopens it, were it resolved)."""
    conversation_id = db.session.scalar(
        select(OutboundMessage.subject_id).where(
            OutboundMessage.user_id == user.id, OutboundMessage.channel == Channel.SMS,
            OutboundMessage.subject_type == "conversation", OutboundMessage.rule.in_(SMS_RULES),
            OutboundMessage.status == MessageStatus.SENT, OutboundMessage.sent_at >= now - SMS_REPLY_WINDOW)
        .order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc()).limit(1))
    return _locked(conversation_id) if conversation_id is not None else None


def _locked(conversation_id: int) -> Conversation | None:
    """The conversation, its row locked until the commit (PostgreSQL): a tourist writing and staff
    resolving at once are done one after the other, so no message is left unanswered unseen."""
    return db.session.scalar(select(Conversation).where(Conversation.id == conversation_id).with_for_update())


def _open_for(user: User) -> Conversation | None:
    """The tourist's latest conversation that is not resolved (an SMS cannot say which resolved one
    it would answer: after a resolution it starts a new conversation)."""
    conversation_id = db.session.scalar(
        select(Conversation.id).where(Conversation.user_id == user.id, Conversation.state != S.RESOLVED)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(1))
    return _locked(conversation_id) if conversation_id is not None else None


def _unmatched_for(phone: str, now: datetime) -> Conversation | None:
    conversation_id = db.session.scalar(
        select(Conversation.id).where(Conversation.user_id.is_(None), Conversation.phone == phone,
                                      Conversation.state != S.RESOLVED)
        .order_by(Conversation.id.desc()).limit(1))
    return _locked(conversation_id) if conversation_id is not None else None


# -- reading -----------------------------------------------------------------------------------------

def visible_messages(conversation: Conversation, reader: User) -> list[ConversationMessage]:
    """What ``reader`` sees of the thread: staff see the internal notes, the tourist never does."""
    return [m for m in conversation.messages if reader.is_staff or m.kind is not MessageKind.NOTE]


def log_read(reader: User, conversation: Conversation, action: str = "view") -> None:
    """Reading a medical conversation, or its file, is medical data read: logged."""
    if conversation.topic is Topic.MEDICAL and reader.role is Role.MEDICAL:
        log_medical_access(reader, None, action,
                           f"desk conversation {conversation.id} of user {conversation.user_id}")


def about_document(user_id: int, document_id: int) -> list[Conversation]:
    """The tourist's questions about a document (asked from its page), newest first, with their
    messages."""
    return list(db.session.scalars(
        select(Conversation).where(Conversation.user_id == user_id, Conversation.document_id == document_id)
        .options(selectinload(Conversation.messages)).order_by(Conversation.created_at.desc())))


@dataclass(frozen=True, slots=True)
class ThreadFile:
    """A file of a message as a thread shows it: its id (the download's key), name and size."""
    id: int
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class ThreadAuthor:
    name: str


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A message as a thread shows it (what ``blueprints.desk.rendering.thread`` reads of a
    :class:`ConversationMessage`): its author's name only, its files."""
    id: int
    kind: MessageKind
    author: ThreadAuthor | None
    channel: Channel
    body: str
    created_at: datetime
    attachments: list[ThreadFile]


_THREAD = (
    select(ConversationMessage.id, ConversationMessage.kind, User.id, User.name, ConversationMessage.channel,
           ConversationMessage.body, ConversationMessage.created_at, ConversationAttachment.id,
           ConversationAttachment.filename, ConversationAttachment.size)
    .outerjoin(User, User.id == ConversationMessage.author_id)
    .outerjoin(ConversationAttachment, ConversationAttachment.message_id == ConversationMessage.id)
    .where(ConversationMessage.conversation_id == bindparam("conversation_id"))
    .order_by(ConversationMessage.id, ConversationAttachment.id)
)


def thread(conversation_id: int) -> list[ThreadMessage]:
    """A conversation's messages in order, as columns: each with its author's name and its files
    (by id), in one statement; for a page that shows the thread and does not change it."""
    messages: list[ThreadMessage] = []
    for message_id, kind, author_id, name, channel, body, created_at, file_id, filename, size in db.session.execute(
            _THREAD, {"conversation_id": conversation_id}):
        if not messages or messages[-1].id != message_id:
            author = ThreadAuthor(name) if author_id is not None else None
            messages.append(ThreadMessage(message_id, kind, author, channel, body, created_at, []))
        if file_id is not None:
            messages[-1].attachments.append(ThreadFile(file_id, filename, size))
    return messages
