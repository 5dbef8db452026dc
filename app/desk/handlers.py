"""What the desk does when other parts announce something (see :mod:`app.signals`)."""

from __future__ import annotations

import logging

from app import signals
from app.desk import conversations

log = logging.getLogger(__name__)


@signals.sms_received.connect
def file_sms(phone: str, *, body: str, message_sid: str, media: int = 0, **_kwargs) -> None:
    """An SMS that is not a keyword lands in its tourist's conversation, or the unmatched queue."""
    conversation = conversations.file_sms(phone, body, message_sid, media=media)
    if conversation is not None:
        log.info("SMS %s filed in desk conversation %s%s", message_sid, conversation.id,
                 " (unmatched number)" if conversation.user_id is None else "")
