"""The documents domain's kind of message, as the notification settings list it. (Its key stays
``consent``, the name the users' stored settings know it by.)"""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "consent", _l("Documents to sign and read"),
    _l("A new document for your flight, a change you must accept again, documents still open before launch."),
    position=30,
))
