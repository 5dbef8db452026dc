from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.i18n import lazy_gettext as _l
from app.privacy.erasure import MAX_REASON
from blueprints.forms import REQUIRED


class ErasureForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=MAX_REASON)])
    agree = BooleanField(_l("I understand what erasure means for my bookings, as listed above"))


class ConfirmForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_REASON)])


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Why the request is refused (the tourist reads this)"),
                           validators=[DataRequired(REQUIRED), Length(max=MAX_REASON)])
