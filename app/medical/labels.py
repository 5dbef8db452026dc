"""What the medical domain's messages are about, in the reader's
language (see :mod:`app.labels`)."""

from __future__ import annotations

from app.i18n import lazy_pgettext
from app.labels import register_message_kinds

register_message_kinds({
    "reminder_medical_questionnaire": lazy_pgettext("message kind", "Health questionnaire to fill in"),
    "reminder_medical_info_requested": lazy_pgettext("message kind", "Medical team asks for information"),
    "reminder_medical_clearance_expiring": lazy_pgettext("message kind", "Medical clearance ends before launch"),
    "reminder_medical_self_certification": lazy_pgettext("message kind", "Health self-certification due"),
})
