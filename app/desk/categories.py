"""The desk's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "conversations", _l("Your questions"),
    _l("Answers to the questions you ask us, and a reminder when we are waiting for your reply. "
       "When you write to us by SMS, we answer by SMS too."),
    position=5,
))
