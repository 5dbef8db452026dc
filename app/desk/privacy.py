"""The desk's share of a tourist's data: their conversations, every message they can read and the
files sent with them. On erasure the conversations go, with their files and history (and SMS from
their number no one filed yet); retention deletes a resolved conversation ``conversations`` days
after it was resolved."""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import selectinload, undefer

from app import personal_data
from app.desk import attachments
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationState,
    DeskEvent,
    MessageKind,
    User,
)
from app.personal_data import USER_ID, Consequence, File, Outcome, Part, Retention

RETENTION = "conversations"


def _conversations(user: User) -> list[Conversation]:
    return list(db.session.scalars(
        select(Conversation).where(Conversation.user_id == user.id).order_by(Conversation.id)
        .options(selectinload(Conversation.messages).selectinload(ConversationMessage.attachments))))


def _file_name(attachment: ConversationAttachment) -> str:
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in os.path.basename(attachment.filename or "file"))
    return f"conversations/{attachment.id}-{name[:80] or 'file'}"


def _export(user: User) -> list[dict]:
    return [{
        "conversation": c.id,
        **personal_data.record(c, "topic", "subject", "state", "created_at", "resolved_at", "rating"),
        "messages": [{
            "from": "you" if m.kind is MessageKind.TOURIST else "us",
            **personal_data.record(m, "channel", "body", "created_at"),
            "files": [_file_name(a) for a in m.attachments],
        } for m in c.messages if m.kind is not MessageKind.NOTE],
    } for c in _conversations(user)]


def _files(user: User) -> list[File]:
    ids = [a.id for c in _conversations(user) for m in c.messages if m.kind is not MessageKind.NOTE
           for a in m.attachments]
    if not ids:
        return []
    found = db.session.scalars(select(ConversationAttachment).where(ConversationAttachment.id.in_(ids))
                               .options(undefer(ConversationAttachment.content)).order_by(ConversationAttachment.id))
    return [File(_file_name(a), attachments.content_of(a)) for a in found]


FACTS = {"asked": exists().where(Conversation.user_id == USER_ID)}


def _preview(user: User, facts: dict) -> list[Consequence]:
    return [Consequence(_("Your conversations with us, with their messages and files, are deleted."))] \
        if facts["asked"] else []


def _delete(conversation_ids) -> int:
    messages = select(ConversationMessage.id).where(ConversationMessage.conversation_id.in_(conversation_ids))
    rows = db.session.execute(delete(ConversationAttachment).where(ConversationAttachment.message_id.in_(messages))).rowcount
    rows += db.session.execute(delete(ConversationMessage).where(
        ConversationMessage.conversation_id.in_(conversation_ids))).rowcount
    rows += db.session.execute(delete(DeskEvent).where(DeskEvent.conversation_id.in_(conversation_ids))).rowcount
    return rows + db.session.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids))).rowcount


def _erase(user: User, actor: User | None) -> Outcome:
    mine = [Conversation.user_id == user.id]
    if user.phone and user.phone_verified_at:  # SMS from a number proved theirs, not yet filed
        mine.append((Conversation.user_id.is_(None)) & (Conversation.phone == user.phone))
    ids = list(db.session.scalars(select(Conversation.id).where(or_(*mine))))
    erased = _delete(ids) if ids else 0
    db.session.expire_all()
    return Outcome(erased=erased)


def _apply(cutoff: datetime, limit: int) -> int:
    ids = list(db.session.scalars(select(Conversation.id).where(
        Conversation.state == ConversationState.RESOLVED, Conversation.resolved_at < cutoff)
        .order_by(Conversation.id).limit(limit)))
    return _delete(ids) if ids else 0


personal_data.register_retention(Retention(
    RETENTION, _l("Conversations with the desk"), _l("the conversation was resolved"),
    _l("Long enough to look back on what a tourist asked and was told."), default_days=730, apply=_apply,
    position=70,
))
personal_data.register_part(Part("conversations", _l("Conversations"), position=90,
                                 export=_export, preview=_preview, erase=_erase, files=_files, facts=FACTS))
