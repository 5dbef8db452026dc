from __future__ import annotations

from app.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from blueprints.forms import IntegerField, REQUIRED


class SignForm(FlaskForm):
    document_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    read_disclosure = BooleanField(
        _l("I have read and understood this risk disclosure."),
        validators=[DataRequired(_l("Please confirm that you have read the disclosure."))],
    )
    not_certified = BooleanField(
        _l("I understand that the United States Government has not certified the launch vehicle "
           "and any reentry vehicle as safe for carrying crew or spaceflight participants."),
        validators=[DataRequired(_l("Please confirm that you understand this."))],
    )
    questions_answered = BooleanField(
        _l("I had the opportunity to ask questions, and I consent to take part in the flight."),
        validators=[DataRequired(_l("Please confirm that you consent."))],
    )
    signed_name = StringField(
        _l("Type your full name to sign"), validators=[DataRequired(REQUIRED), Length(max=120)]
    )


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"), validators=[DataRequired(REQUIRED), Length(min=5, max=4000)]
    )
