"""The payments domain's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "payments", _l("Payments"),
    _l("Deposit and balance due dates; a charge that failed."),
    position=20,
))
