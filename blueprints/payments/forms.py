from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from blueprints.forms import REQUIRED


class SandboxCardForm(FlaskForm):
    """The sandbox checkout: test card numbers only; nothing is stored but the last four digits."""

    card_number = StringField(
        _l("Card number"),
        validators=[DataRequired(REQUIRED), Regexp(r"^[0-9 ]{12,23}$", message=_l("Enter the card number: 12 to 19 digits."))],
    )
    expiry = StringField(
        _l("Expiry (MM/YY)"),
        validators=[DataRequired(REQUIRED), Regexp(r"^(0[1-9]|1[0-2])\s*/\s*[0-9]{2}$", message=_l("Enter the expiry as MM/YY."))],
    )
    cvc = StringField(
        _l("Security code"),
        validators=[DataRequired(REQUIRED), Regexp(r"^[0-9]{3,4}$", message=_l("Enter the 3 or 4 digits on the back of the card."))],
    )
    name = StringField(_l("Name on the card"), validators=[DataRequired(REQUIRED), Length(max=120)])
