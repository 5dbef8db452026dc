from __future__ import annotations

from app.i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.labels import FLIGHT_STATUSES, ROLES
from app.models import FlightStatus
from app.money import CURRENCIES
from blueprints.forms import DecimalField, IntegerField, LANGUAGE_CHOICES, REQUIRED, TIMEZONE_CHOICES

AMOUNT = _l("Enter an amount of zero or more.")


class FlightForm(FlaskForm):
    name = StringField(_l("Mission name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    vehicle = StringField(_l("Vehicle"), validators=[DataRequired(REQUIRED), Length(max=120)])
    spaceport = StringField(_l("Spaceport"), validators=[DataRequired(REQUIRED), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    launch_at = DateTimeLocalField(
        _l("Planned launch (window opens)"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the planned launch date and time."))],
    )
    window_closes_at = DateTimeLocalField(
        _l("Launch window closes"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter when the launch window closes."))],
    )
    seat_count = IntegerField(
        _l("Seats for tourists"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 100, _l("Between 1 and 100 seats."))],
    )
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES], default="USD")
    price = DecimalField(_l("Ticket price"), places=None, validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)])
    deposit = DecimalField(_l("Deposit"), places=None, validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)])
    deposit_nonrefundable = DecimalField(
        _l("Non-refundable part of the deposit"), places=None,
        validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)],
    )
    balance_due_days = IntegerField(
        _l("Balance due (days before launch)"),
        validators=[InputRequired(REQUIRED), NumberRange(0, 730, _l("Between 0 and 730 days."))],
    )
    status = SelectField(
        _l("Status"), choices=[(s.value, label) for s, label in FLIGHT_STATUSES.items()],
        default=FlightStatus.SCHEDULED.value,
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


class StaffForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLES.items() if r.is_staff])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(REQUIRED)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(t, t) for t in TIMEZONE_CHOICES], default="UTC")
