"""The sweep (every few minutes, by the worker's beat): a conversation past its response target is
escalated once per wait: operations are told by email (without what the tourist wrote), and the
staff of its topic too where operations may not read it (medical)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.desk import conversations, labels, routing
from app.extensions import db
from app.messaging import outbox
from app.models import Conversation, DeskEventKind, Role, User
from app.timeutil import now_utc
from app.urls import external_url

BATCH = 200


def _desk_staff() -> list[User]:
    """Every active member of staff who works at the desk: loaded once per sweep."""
    return list(db.session.scalars(
        select(User).where(User.role.in_(routing.DESK_ROLES), User.active).order_by(User.id)))


def _recipients(conversation: Conversation, desk_staff: list[User]) -> list[User]:
    roles = {Role.OPERATIONS} | set(routing.TOPIC_ROLES[conversation.topic])
    staff = [user for user in desk_staff if user.role in roles]
    if conversation.owner is not None and conversation.owner not in staff:
        staff.append(conversation.owner)
    return staff


def sweep(now: datetime | None = None) -> int:
    """Set the due time of waits that have none (questions from before the desk existed), then
    escalate each wait past its target: once, however often or concurrently it runs (the row is
    locked and marked in the same transaction). Returns how many were escalated."""
    now = now or now_utc()
    for conversation in db.session.scalars(
            select(Conversation).where(Conversation.state.in_(conversations.WAITING),
                                       Conversation.waiting_since.is_not(None), Conversation.due_at.is_(None))
            .limit(BATCH)):
        conversations.replan_due(conversation)
    db.session.flush()
    due = list(db.session.scalars(
        select(Conversation).where(Conversation.state.in_(conversations.WAITING), Conversation.due_at <= now,
                                   Conversation.breached_at.is_(None))
        .order_by(Conversation.due_at).limit(BATCH).with_for_update(skip_locked=True)))
    desk_staff = _desk_staff() if due else []
    for conversation in due:
        conversation.breached_at = now
        conversations.record_event(conversation, DeskEventKind.BREACHED, None, "", "escalated", now)
        for user in _recipients(conversation, desk_staff):
            outbox.queue_email(
                "desk_escalated", user=user, conversation_id=conversation.id,
                topic=labels.TOPICS[conversation.topic], waiting_since=conversation.waiting_since,
                due_at=conversation.due_at,
                url=external_url("desk.staff.conversation", conversation_id=conversation.id),
                readable=routing.may_read(user, conversation))
    db.session.flush()
    return len(due)
