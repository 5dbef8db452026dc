"""The notification centre: a user's in-app notifications, and which of them they have read.

An in-app notification is an :class:`~app.models.OutboundMessage` on the in-app channel; it shows
once it is sent (a reminder waiting for its time is not shown yet). Every query here starts from
the user, the channel and ``read_at``, which the index ``ix_outbound_messages_user_channel_read``
covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Channel, MessageStatus, OutboundMessage, User
from app.timeutil import now_utc

PER_PAGE = 20


@dataclass(frozen=True)
class InboxPage:
    items: list[OutboundMessage]
    total: int      # every notification the user has
    unread: int     # of which not read yet
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def _shown(user: User):
    """The user's notifications that are shown: their own, in the app, sent."""
    return (
        OutboundMessage.user_id == user.id,
        OutboundMessage.channel == Channel.IN_APP,
        OutboundMessage.status == MessageStatus.SENT,
    )


def _counts(user: User) -> tuple[int, int]:
    row = db.session.execute(
        select(func.count(OutboundMessage.id), func.count(OutboundMessage.read_at)).where(*_shown(user))
    ).one()
    return row[0], row[0] - row[1]


def page_of(user: User, page: int = 1, per_page: int = PER_PAGE) -> InboxPage:
    """One page of the user's notifications, newest first, with how many there are and how many
    are unread: one query (window counts over every row the page is cut from)."""
    page = max(page or 1, 1)
    query = (
        select(
            OutboundMessage,
            func.count().over().label("total"),
            func.count(OutboundMessage.read_at).over().label("read"),
        )
        .where(*_shown(user))
        .order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    rows = db.session.execute(query).all()
    if rows:
        total, read = rows[0].total, rows[0].read
        return InboxPage([r[0] for r in rows], total, total - read, page, per_page)
    if page == 1:
        return InboxPage([], 0, 0, 1, per_page)
    # Past the last page (the list shrank since the link was made): show the last one.
    total, _unread = _counts(user)
    last = max((total + per_page - 1) // per_page, 1)
    return page_of(user, last, per_page) if total else InboxPage([], 0, 0, 1, per_page)


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread: one COUNT on the index."""
    return db.session.scalar(
        select(func.count(OutboundMessage.id)).where(*_shown(user), OutboundMessage.read_at.is_(None))
    ) or 0


def get(user: User, message_id: int) -> OutboundMessage | None:
    """One of the user's own notifications; None for anyone else's, or for no such message."""
    return db.session.scalar(select(OutboundMessage).where(OutboundMessage.id == message_id, *_shown(user)))


def mark_read(user: User, message_id: int) -> OutboundMessage | None:
    """Mark one of the user's notifications read (again is harmless). None when it is not theirs
    to read: the caller answers 404, as for a message that does not exist."""
    message = get(user, message_id)
    if message is not None and message.read_at is None:
        message.read_at = now_utc()
        db.session.flush()
    return message


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many were."""
    result = db.session.execute(
        update(OutboundMessage)
        .where(*_shown(user), OutboundMessage.read_at.is_(None))
        .values(read_at=now_utc())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0
