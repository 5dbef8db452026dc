from __future__ import annotations

from app.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.services.questionnaires import INFO_RESPONSE_MAX
from blueprints.forms import REQUIRED


class InfoResponseForm(FlaskForm):
    response = TextAreaField(
        _l("Your answer to the medical team"),
        validators=[DataRequired(REQUIRED), Length(max=INFO_RESPONSE_MAX)],
    )


class ChangeReportForm(FlaskForm):
    details = TextAreaField(
        _l("What has changed? (new conditions, medicines, injuries, treatments)"),
        validators=[DataRequired(REQUIRED), Length(max=8000)],
    )
