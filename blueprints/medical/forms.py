"""Forms of the medical pages: the tourist's answers to the medical team, a change reported, the
self-certification; medical staff's assessment, decision, correction and vehicle limits."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.medical import cases as medical
from app.medical.questionnaires import INFO_RESPONSE_MAX
from app.models import EcgResult
from blueprints.forms import REQUIRED, CheckedForm, IntegerField


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


ECG_CHOICES = [
    ("", _l("Choose…")),
    (EcgResult.NORMAL.value, _l("Normal")),
    (EcgResult.ABNORMAL.value, _l("Abnormal")),
    (EcgResult.NOT_DONE.value, _l("Not done")),
]


class AssessmentForm(CheckedForm):
    """Numbers are text here: the service reads them and says at each field what range it takes."""

    MEASURES = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "height_cm", "weight_kg", "ecg_result",
                "centrifuge_g", "other_tests", "notes")

    def assessment_data(self) -> dict:
        return {name: self._fields[name].data for name in self.MEASURES}

    def service_problems(self) -> list[ServiceError]:
        return medical.assessment_values(self.assessment_data())[1]

    systolic_mmhg = StringField(_l("Systolic pressure (mmHg)"))
    diastolic_mmhg = StringField(_l("Diastolic pressure (mmHg)"))
    heart_rate_bpm = StringField(_l("Heart rate (beats per minute)"))
    height_cm = StringField(_l("Height (cm)"))
    weight_kg = StringField(_l("Weight (kg)"))
    ecg_result = SelectField(_l("ECG"), choices=ECG_CHOICES, default="")
    centrifuge_g = StringField(_l("Centrifuge tolerance (g, highest load tolerated)"))
    other_tests = TextAreaField(_l("Other tests and results"), validators=[Length(max=8000)])
    notes = TextAreaField(_l("Notes (medical staff only)"), validators=[Length(max=8000)])


class DecisionForm(FlaskForm):
    """One form for the four decisions; the page shows each decision as its own small form."""

    decision = HiddenField()
    # Its range is the service's (CLEARANCE_VALID_DAYS), which says it with the other problems.
    valid_days = IntegerField(_l("Valid for (days)"), validators=[Optional()])
    restrictions = TextAreaField(_l("Restrictions (the tourist sees them)"), validators=[Length(max=8000)])
    message = TextAreaField(_l("What the tourist should tell you or send (the tourist sees it)"),
                            validators=[Length(max=8000)])
    reason = TextAreaField(_l("Reason (kept in the medical record, not shown to the tourist)"),
                           validators=[Length(max=8000)])


class CorrectionForm(DecisionForm):
    """A decided case's decision corrected: the new decision and, always, why."""

    reason = TextAreaField(_l("Why the decision is corrected (kept in the medical record, not shown to the tourist)"),
                           validators=[Length(max=8000)])


class VehicleLimitsForm(CheckedForm):
    vehicle = StringField(_l("Vehicle"), validators=[InputRequired(_l("Name the vehicle as flights give it.")),
                                                      Length(max=120)])
    min_age = IntegerField(_l("Minimum age"), default=18,
                           validators=[InputRequired(_l("Enter the minimum age.")),
                                       NumberRange(18, 99, _l("Between 18 and 99."))])
    min_height_cm = StringField(_l("Minimum height (cm)"))
    max_height_cm = StringField(_l("Maximum height (cm)"))
    min_weight_kg = StringField(_l("Minimum weight (kg)"))
    max_weight_kg = StringField(_l("Maximum weight (kg)"))

    def service_problems(self) -> list[ServiceError]:
        return medical.vehicle_limits_values(
            self.vehicle.data, min_age=None if self.min_age.errors else self.min_age.data,
            min_height_cm=self.min_height_cm.data, max_height_cm=self.max_height_cm.data,
            min_weight_kg=self.min_weight_kg.data, max_weight_kg=self.max_weight_kg.data,
        )[1]


class SelfCertificationForm(FlaskForm):
    changed = RadioField(
        _l("Has anything about your health changed since your medical assessment?"),
        choices=[("no", _l("No, nothing has changed")), ("yes", _l("Yes, something has changed"))],
        validators=[InputRequired(_l("Choose one of the answers."))],
    )
    details = TextAreaField(_l("What has changed? (new conditions, medicines, injuries, treatments)"),
                            validators=[Length(max=8000)])
