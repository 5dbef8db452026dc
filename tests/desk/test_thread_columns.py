"""The conversation page reads its thread as columns (``conversations.thread``): the same thread
as the conversation's messages through the ORM, written the same (``rendering.thread``), with
notes, staff answers, a tourist's SMS, files on several messages and a staff author renamed."""

from __future__ import annotations

from app.desk import conversations
from app.extensions import db
from app.models import Channel, Conversation, ConversationAttachment, MessageKind, Role, Topic
from blueprints.desk import rendering


def test_the_thread_as_columns_is_the_threads_html(app, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS, name="<Ops> & Co")
    asked = conversations.start(tourist, topic=Topic.BOOKING, subject="Files <b>", body="First & <i>question</i>",
                                booking=make.booking(tourist))
    conversations.note(asked, ops, "A note about <it>")
    conversations.reply(asked, ops, "An answer")
    conversations.tourist_writes(asked, tourist, "By SMS", channel=Channel.SMS)
    db.session.flush()
    for i, message in enumerate(asked.messages):
        for j in range(i % 3):
            message.attachments.append(ConversationAttachment(
                filename=f"scan <{i}> & {j}.pdf", content_type="application/pdf", size=1024 * i + 512 * j + 511,
                sha256="0" * 64, content="eA=="))
    ops.name = "Renamed"
    db.session.commit()
    conversation_id = asked.id
    db.session.expire_all()
    with app.test_request_context(f"/desk/{conversation_id}"):
        conversation = db.session.get(Conversation, conversation_id)
        rows = conversations.thread(conversation_id)
        assert [m.id for m in rows] == [m.id for m in conversation.messages]
        assert [len(m.attachments) for m in rows] == [len(m.attachments) for m in conversation.messages] != [0] * 4
        assert MessageKind.NOTE in {m.kind for m in rows}
        for viewer in ("staff", "tourist"):
            assert rendering.thread(rows, conversation, viewer) == rendering.thread(
                conversation.messages, conversation, viewer)
