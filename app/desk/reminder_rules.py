"""The desk's messages to tourists: an answer to their question (at once), a reminder when we
have waited on their reply for ``DESK_REMIND_AFTER_DAYS`` (dated, re-planned as the conversation
changes), and the closing note that asks for a rating."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.desk import labels
from app.extensions import db
from app.messaging.reminders import Rule, Subject, register, register_subject
from app.models import Conversation, ConversationMessage, ConversationState, Topic, User
from app.urls import external_url

S = ConversationState


def _waiting_on(user: User) -> list[Conversation]:
    return list(db.session.scalars(select(Conversation).where(
        Conversation.user_id == user.id, Conversation.state == S.WAITING_ON_TOURIST)))


register_subject(Subject("conversation", Conversation, of_user=_waiting_on))


def conversation_url(conversation: Conversation) -> str:
    return external_url("desk.tourist.thread", conversation_id=conversation.id)


def _context(conversation: Conversation, stored: dict) -> dict:
    message = db.session.get(ConversationMessage, stored.get("message_id") or 0)
    return {
        "conversation": conversation, "topic": labels.TOPICS[conversation.topic],
        # Medical questions and answers are read in the app only: neither the answer nor the
        # subject (the tourist's own words) goes into an email, an SMS or the outbox.
        "message": message if conversation.topic is not Topic.MEDICAL else None,
        "subject": conversation.subject if conversation.topic is not Topic.MEDICAL else "",
        "medical": conversation.topic is Topic.MEDICAL, "url": conversation_url(conversation),
    }


def _remind_at(conversation: Conversation) -> datetime | None:
    if conversation.state is not S.WAITING_ON_TOURIST or conversation.tourist_turn_since is None:
        return None
    return conversation.tourist_turn_since + timedelta(days=current_app.config["DESK_REMIND_AFTER_DAYS"])


register(Rule(
    "desk_reply", "conversation", "conversations", "desk_reply", resolvable=False,
    recipient=lambda c: c.user, context=_context, link=conversation_url,
))
register(Rule(
    "desk_waiting", "conversation", "conversations", "desk_waiting",
    recipient=lambda c: c.user, when=_remind_at,
    active=lambda c, stored: c.state is S.WAITING_ON_TOURIST and c.user_id is not None,
    occurrence=lambda c: c.tourist_turn_since.isoformat() if c.tourist_turn_since else "",
    context=_context, link=conversation_url,
))
register(Rule(
    "desk_resolved", "conversation", "conversations", "desk_resolved",
    recipient=lambda c: c.user, active=lambda c, stored: c.state is S.RESOLVED and c.rating is None,
    context=_context, link=conversation_url,
))
