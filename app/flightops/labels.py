"""What flight operations' messages and updates are called, in the reader's language."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_history_reasons, register_message_kinds
from app.models import UpdateKind

register_message_kinds({
    "launch_update": lazy_pgettext("message kind", "Launch-day update"),
    "flight_flown": lazy_pgettext("message kind", "Welcome back: certificate and survey"),
})
register_history_reasons({
    "flight flown": lazy_pgettext("history reason", "flight flown"),
})

UPDATE_KINDS = {
    UpdateKind.HOLD: lazy_pgettext("launch update", "Countdown hold"),
    UpdateKind.WEATHER: lazy_pgettext("launch update", "Weather"),
    UpdateKind.GO_NO_GO: lazy_pgettext("launch update", "Go/no-go poll"),
    UpdateKind.BOARDING: lazy_pgettext("launch update", "Boarding"),
    UpdateKind.LIFTOFF: lazy_pgettext("launch update", "Liftoff"),
    UpdateKind.LANDING: lazy_pgettext("launch update", "Landing"),
    UpdateKind.OTHER: lazy_pgettext("launch update", "Update"),
}
