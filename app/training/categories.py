"""The training domain's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "training", _l("Training"),
    _l("Sessions booked, moved or cancelled; a session tomorrow; a place offered from a waiting "
       "list; training still to book before its deadline."),
    position=60,
))
