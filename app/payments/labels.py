"""What the payments domain's messages are about, and the reasons it writes in histories,
in the reader's language (see :mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_history_reasons, register_message_kinds

register_message_kinds({
    "payment_receipt": lazy_pgettext("message kind", "Payment receipt"),
    "payment_overdue": lazy_pgettext("message kind", "Payment overdue"),
    "booking_cancelled": lazy_pgettext("message kind", "Booking cancelled"),
    "deposit_refunded_seat_gone": lazy_pgettext("message kind", "Deposit refunded: the seat was gone"),
    "payment_refunded_cancelled": lazy_pgettext("message kind", "Payment refunded: it was no longer owed"),
    "refund_issued": lazy_pgettext("message kind", "Refund issued"),
    "reminder_payment_due": lazy_pgettext("message kind", "Payment due"),
    "reminder_charge_failed": lazy_pgettext("message kind", "Automatic charge did not go through"),
    "payment_due_7d": lazy_pgettext("message kind", "Payment due in 7 days"),
    "payment_due_1d": lazy_pgettext("message kind", "Payment due tomorrow"),
})
register_history_reasons({
    "cancelled by the tourist": lazy_pgettext("history reason", "cancelled by the tourist"),
    "withdrew after the launch moved": lazy_pgettext("history reason", "withdrew after the launch moved"),
    "booking cancelled": lazy_pgettext("history reason", "booking cancelled"),
    "launch moved": lazy_pgettext("history reason", "launch moved"),
    "replaced by a new plan": lazy_pgettext("history reason", "replaced by a new plan"),
    "no automatic attempt left": lazy_pgettext("history reason", "no automatic attempt left"),
    "paid after it was cancelled": lazy_pgettext("history reason", "paid after it was cancelled"),
    "payment arrived after it was cancelled": lazy_pgettext("history reason", "payment arrived after it was cancelled"),
    "seat no longer available when the deposit arrived":
        lazy_pgettext("history reason", "seat no longer available when the deposit arrived"),
    "refund made at the provider, outside Countdown":
        lazy_pgettext("history reason", "refund made at the provider, outside Countdown"),
})
