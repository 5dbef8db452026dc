"""Forms of the account pages: sign-up, log-in, profile, password reset; staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.accounts import accounts
from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.labels import ROLES
from app.models import Role
from app.phones import parse_e164
from blueprints.forms import LANGUAGE_CHOICES, REQUIRED, TIMEZONE_CHOICES, CheckedForm


class PhoneNumber:
    """A mobile number with its country code, checked with ``phonenumbers`` (the service stores
    it in E.164)."""

    def __call__(self, form, field) -> None:
        text = (field.data or "").strip()
        if not text or parse_e164(text) is not None:
            return
        if not text.startswith(("+", "00")):
            raise ValidationError(_l("Enter a phone number with its country code, e.g. +1 202 555 0100."))
        raise ValidationError(_l("This is not a valid phone number. Check the country code and the digits."))


PHONE = PhoneNumber()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class ProfileFields:
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), PHONE])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(t, t) for t in TIMEZONE_CHOICES], default="UTC")


class SignupForm(CheckedForm, ProfileFields):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address.")), Length(max=254)])
    date_of_birth = DateField(_l("Date of birth"), validators=[DataRequired(_l("Enter your date of birth."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )

    def service_problems(self) -> list[ServiceError]:
        return accounts.account_problems(
            email=self.email.data if not self.email.errors else None, name=self.name.data,
            password=self.password.data or None, date_of_birth=self.date_of_birth.data,
            check_date_of_birth=not self.date_of_birth.errors,
        )


class ProfileForm(FlaskForm, ProfileFields):
    pass


class PhoneCodeForm(FlaskForm):
    code = StringField(_l("The code from the SMS"), validators=[DataRequired(REQUIRED), Length(max=12)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address."))])


class ResetPasswordForm(CheckedForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))],
    )
    #: The account whose password is reset (its email and name must not be in the password).
    user = None

    def service_problems(self) -> list[ServiceError]:
        if not self.password.data:
            return []
        try:
            accounts.check_password_strength(self.password.data, email=getattr(self.user, "email", ""),
                                             name=getattr(self.user, "name", ""))
        except ServiceError as exc:
            return [exc]
        return []


class EndSessionsForm(FlaskForm):
    """"Log out of all other devices": a button, with its CSRF token."""


class StaffForm(CheckedForm):
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLES.items() if r.is_staff])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(REQUIRED)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(t, t) for t in TIMEZONE_CHOICES], default="UTC")

    def service_problems(self) -> list[ServiceError]:
        return accounts.account_problems(
            email=self.email.data if not self.email.errors else None, name=self.name.data,
            password=self.password.data or None, role=Role.OPERATIONS if self.role.errors else Role(self.role.data),
            check_date_of_birth=False,
        )
