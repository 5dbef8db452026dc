from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from blueprints.forms import LANGUAGE_CHOICES, REQUIRED, TIMEZONE_CHOICES

PHONE = Regexp(r"^\+?[0-9 ()\-]{7,20}$", message=_l("Enter a phone number with its country code, e.g. +1 555 0100."))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class ProfileFields:
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), PHONE])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(t, t) for t in TIMEZONE_CHOICES], default="UTC")


class SignupForm(FlaskForm, ProfileFields):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address.")), Length(max=254)])
    date_of_birth = DateField(_l("Date of birth"), validators=[DataRequired(_l("Enter your date of birth."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )


class ProfileForm(FlaskForm, ProfileFields):
    pass


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )
