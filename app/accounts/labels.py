"""What the accounts domain's messages are about, in the reader's
language (see :mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_message_kinds

register_message_kinds({
    "password_reset": lazy_pgettext("message kind", "Password reset link"),
    "phone_code": lazy_pgettext("message kind", "Code to verify a mobile number"),
})
