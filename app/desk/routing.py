"""Who handles which topic. Medical questions are read only by medical staff (and the tourist);
travel by logistics and operations; training by instructors and operations; the rest by
operations. Operations see every conversation but the medical ones."""

from __future__ import annotations

import functools

from sqlalchemy import ColumnElement, false, or_

from app.models import Conversation, Role, Topic, User

TOPIC_ROLES: dict[Topic, frozenset[Role]] = {
    Topic.BOOKING: frozenset({Role.OPERATIONS}),
    Topic.MEDICAL: frozenset({Role.MEDICAL}),
    Topic.TRAINING: frozenset({Role.INSTRUCTOR, Role.OPERATIONS}),
    Topic.DOCUMENTS: frozenset({Role.OPERATIONS}),
    Topic.TRAVEL: frozenset({Role.LOGISTICS, Role.OPERATIONS}),
    Topic.LAUNCH_DAY: frozenset({Role.LOGISTICS, Role.OPERATIONS}),
    Topic.OTHER: frozenset({Role.OPERATIONS}),
}
#: Staff roles that work at the desk at all.
DESK_ROLES = frozenset(role for roles in TOPIC_ROLES.values() for role in roles)


def topics_for(role: Role) -> list[Topic]:
    return [topic for topic, roles in TOPIC_ROLES.items() if role in roles]


def handles(user: User | None, topic: Topic) -> bool:
    return user is not None and user.role in TOPIC_ROLES[topic]


def may_read(user: User | None, conversation: Conversation) -> bool:
    """The tourist whose conversation it is, and the staff of its topic. An unmatched SMS
    (no tourist yet) is read by operations, who give it to its tourist."""
    if user is None:
        return False
    if user.role is Role.TOURIST:
        return conversation.user_id is not None and conversation.user_id == user.id
    if conversation.user_id is None:
        return user.role is Role.OPERATIONS
    return handles(user, conversation.topic)


def readable_by(user: User) -> ColumnElement[bool]:
    """SQL: the conversations ``user`` may read (for lists and counts)."""
    if user.role is Role.TOURIST:
        return Conversation.user_id == user.id
    return staff_readable(user.role)


@functools.cache
def staff_readable(role: Role) -> ColumnElement[bool]:
    """SQL: the conversations staff of ``role`` may read. Made once per role (an expression is
    never changed once built, and building it is a measurable part of a desk page)."""
    topics = topics_for(role)
    if not topics:
        return false()
    if role is Role.OPERATIONS:
        # Every topic but medical, and the unmatched SMS (of any topic): said as the one topic
        # operations do not read, which PostgreSQL tests for each conversation at a sixth of the
        # cost of the six they do (the column holds only topics: not null, validated on write).
        others = [topic for topic in Topic if topic not in topics]
        return or_(Conversation.topic.notin_(others), Conversation.user_id.is_(None))
    return Conversation.user_id.is_not(None) & Conversation.topic.in_(topics)
