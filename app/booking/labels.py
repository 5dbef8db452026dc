"""What the booking domain's messages are about, and the reasons it writes in histories,
in the reader's language (see :mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_history_reasons, register_message_kinds

register_message_kinds({
    "waitlist_offer": lazy_pgettext("message kind", "Seat offered from the waiting list"),
    "reminder_hold_expiring": lazy_pgettext("message kind", "Seat hold running out"),
    "reminder_flight_delayed": lazy_pgettext("message kind", "Flight delayed"),
    "reminder_flight_scrubbed": lazy_pgettext("message kind", "Launch scrubbed"),
    "reminder_flight_cancelled": lazy_pgettext("message kind", "Flight cancelled"),
})
register_history_reasons({
    "seat held": lazy_pgettext("history reason", "seat held"),
    "seat offered from the waiting list": lazy_pgettext("history reason", "seat offered from the waiting list"),
    "deposit paid": lazy_pgettext("history reason", "deposit paid"),
    "deposit paid after the hold lapsed; a seat was still free":
        lazy_pgettext("history reason", "deposit paid after the hold lapsed; a seat was still free"),
    "hold expired": lazy_pgettext("history reason", "hold expired"),
    "hold expired before the deposit arrived": lazy_pgettext("history reason", "hold expired before the deposit arrived"),
    "hold released": lazy_pgettext("history reason", "hold released"),
    "flight cancelled by the operator": lazy_pgettext("history reason", "flight cancelled by the operator"),
})
