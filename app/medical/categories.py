"""The medical domain's kind of message, as the notification settings list it."""

from __future__ import annotations

from app.i18n import lazy_gettext as _l
from app.messaging.preferences import Category, register_category

register_category(Category(
    "medical", _l("Medical assessment"),
    _l("Your health questionnaire, questions from the medical team, a clearance to renew before "
       "launch, and the check close to launch that nothing has changed."),
    position=50,
))
