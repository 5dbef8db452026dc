"""What the consent domain's messages are about, in the reader's
language (see :mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_message_kinds

register_message_kinds({
    "consent_answer": lazy_pgettext("message kind", "Answer to a consent question"),
    "reminder_consent_resign": lazy_pgettext("message kind", "Consent to sign again"),
})
