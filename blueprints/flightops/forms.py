from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.i18n import lazy_gettext as _l
from app.readiness import REASON_MAX


class OverrideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason for the override: it is recorded and shown with the gate.")),
                    Length(max=REASON_MAX)],
        description=_l("For example: balance deferred by written agreement of 2 March. Operations read it in the "
                       "matrix; the tourist sees only that the step was waived."))
