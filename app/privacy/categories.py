"""Privacy's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category
from app.models import Channel

register_category(Category(
    "privacy", _l("Your data"),
    _l("When your data export is ready, and our answer to a request to erase your data. These are always sent."),
    defaults=frozenset({Channel.EMAIL, Channel.IN_APP}), locked=True, position=95,
))
