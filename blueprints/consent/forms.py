"""Forms of the consent pages: signing, a tourist's question; operations' document and answer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.consent import consent
from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from blueprints.forms import REQUIRED, CheckedForm, IntegerField


class SignForm(CheckedForm):
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
    #: Set by the page: the tourist signing.
    user = None

    def service_problems(self) -> list[ServiceError]:
        if self.user is None:
            return []
        problem = consent.signed_name_problem(self.user, self.signed_name.data)
        return [problem] if problem is not None else []


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"), validators=[DataRequired(REQUIRED), Length(min=5, max=4000)]
    )


class DocumentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Text of the risk disclosure"), validators=[
        DataRequired(REQUIRED),
        Length(min=50, message=_l("A risk disclosure needs at least 50 characters.")),
        Length(max=100_000),
    ])
    change_summary = StringField(_l("What changed (shown to tourists)"), validators=[Optional(), Length(max=500)])
    resign_required = BooleanField(_l("Everyone who signed an earlier version must sign again"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(REQUIRED), Length(min=2, max=8000)])
