"""The consent domain's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "consent", _l("Consent documents"),
    _l("A new version of a document you must sign again."),
    position=30,
))
