"""The travel domain's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "travel", _l("Travel"),
    _l("Arrival details still missing; a travel document that expires before your return; every "
       "change to your itinerary; a pick-up tomorrow."),
    position=70,
))
