"""What privacy's states, log entries and messages are called, in the reader's language."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_history_reasons, register_message_kinds
from app.models import ErasureState, ExportState, PrivacyLogKind

EXPORT_STATES = {
    ExportState.QUEUED: lazy_pgettext("data export", "Being prepared"),
    ExportState.READY: lazy_pgettext("data export", "Ready to download"),
    ExportState.DOWNLOADED: lazy_pgettext("data export", "Downloaded"),
    ExportState.EXPIRED: lazy_pgettext("data export", "Expired"),
}

ERASURE_STATES = {
    ErasureState.REQUESTED: lazy_pgettext("erasure", "Waiting for our answer"),
    ErasureState.CONFIRMED: lazy_pgettext("erasure", "Confirmed: being erased"),
    ErasureState.REFUSED: lazy_pgettext("erasure", "Refused"),
    ErasureState.WITHDRAWN: lazy_pgettext("erasure", "Withdrawn"),
    ErasureState.DONE: lazy_pgettext("erasure", "Erased"),
}

LOG_KINDS = {
    PrivacyLogKind.EXPORT_REQUESTED: lazy_pgettext("privacy log", "Export asked for"),
    PrivacyLogKind.EXPORT_READY: lazy_pgettext("privacy log", "Export built"),
    PrivacyLogKind.EXPORT_DOWNLOADED: lazy_pgettext("privacy log", "Export downloaded"),
    PrivacyLogKind.EXPORT_EXPIRED: lazy_pgettext("privacy log", "Export expired unused"),
    PrivacyLogKind.ERASURE_REQUESTED: lazy_pgettext("privacy log", "Erasure asked for"),
    PrivacyLogKind.ERASURE_WITHDRAWN: lazy_pgettext("privacy log", "Erasure request withdrawn"),
    PrivacyLogKind.ERASURE_CONFIRMED: lazy_pgettext("privacy log", "Erasure confirmed"),
    PrivacyLogKind.ERASURE_REFUSED: lazy_pgettext("privacy log", "Erasure refused"),
    PrivacyLogKind.ERASURE_DONE: lazy_pgettext("privacy log", "Erasure carried out"),
    PrivacyLogKind.RETENTION: lazy_pgettext("privacy log", "Retention run"),
}

register_message_kinds({
    "privacy_export_ready": lazy_pgettext("message kind", "Your data export is ready"),
    "privacy_erasure_confirmed": lazy_pgettext("message kind", "Erasure of your data confirmed"),
    "privacy_erasure_refused": lazy_pgettext("message kind", "Erasure of your data refused"),
    "privacy_erasure_requested": lazy_pgettext("message kind", "Erasure request to answer"),
})

register_history_reasons({
    # Written by the domains that cancel a live booking or a training place when the tourist's
    # data is erased.
    "erasure of the tourist's data": lazy_pgettext("history reason", "erasure of the tourist's data"),
})
