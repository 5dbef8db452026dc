"""The booking domain's kinds of message, as the notification settings list them."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import ALL_CHANNELS, Category, register_category
from app.models import Channel

register_category(Category(
    "bookings", _l("Seat holds and the waiting list"),
    _l("A seat hold about to run out; a seat offered to you from the waiting list."),
    frozenset({Channel.EMAIL, Channel.SMS, Channel.IN_APP}), position=10,
))
register_category(Category(
    "flight_updates", _l("Flight updates"),
    _l("Your flight is delayed, scrubbed or cancelled. Always sent on every channel, at any hour."),
    frozenset(ALL_CHANNELS), locked=True, position=40,
))
