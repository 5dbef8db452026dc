from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)

from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.money import to_minor
from app.payments import payments as payment_service
from app.timeutil import now_utc
from blueprints.forms import REQUIRED, CheckedForm, DecimalField

EXPIRY = r"^\s*([0-9]{2})\s*/\s*([0-9]{2})\s*$"


def card_not_expired(form, field) -> None:
    """MM/YY: a card is valid through the last day of its month."""
    match = re.match(EXPIRY, field.data or "")
    if match is None:
        return  # the format's own message
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationError(_l("The month of the expiry must be from 01 to 12."))
    today = now_utc().date()
    if (year, month) < (today.year, today.month):
        raise ValidationError(_l("This card has expired."))


class SandboxCardForm(FlaskForm):
    """The sandbox checkout: test card numbers only; nothing is stored but the last four digits."""

    card_number = StringField(
        _l("Card number"),
        validators=[DataRequired(REQUIRED), Regexp(r"^[0-9 ]{12,23}$", message=_l("Enter the card number: 12 to 19 digits."))],
    )
    expiry = StringField(
        _l("Expiry (MM/YY)"),
        validators=[DataRequired(REQUIRED), Regexp(EXPIRY, message=_l("Enter the expiry as MM/YY.")),
                    card_not_expired],
    )
    cvc = StringField(
        _l("Security code"),
        validators=[DataRequired(REQUIRED), Regexp(r"^[0-9]{3,4}$", message=_l("Enter the 3 or 4 digits on the back of the card."))],
    )
    name = StringField(_l("Name on the card"), validators=[DataRequired(REQUIRED), Length(max=120)])


class SaveCardForm(SandboxCardForm):
    agree = BooleanField(
        _l("I agree that this card is charged automatically for this booking's balance on the due "
           "dates of the plan I choose, and that I am told before each charge."),
        validators=[DataRequired(_l("Please agree to automatic charges, or pay by hand instead."))],
    )


class PlanForm(FlaskForm):
    installments = SelectField(_l("How to pay the balance"), coerce=int, choices=[(1, _l("In one payment"))])

    def __init__(self, *args, most: int = 1, **kwargs):
        """``most``: how many monthly installments fit before the balance is due."""
        super().__init__(*args, **kwargs)
        self.installments.choices = [(1, _l("In one payment"))] + [
            (n, _l("In %(n)s monthly installments", n=n)) for n in range(2, most + 1)]


class CancelForm(FlaskForm):
    reason = StringField(_l("Why are you cancelling? (optional)"), validators=[Length(max=500)])
    confirm = BooleanField(
        _l("I understand the refund shown above and want to cancel this booking."),
        validators=[DataRequired(_l("Please confirm that you want to cancel."))],
    )


class RefundForm(CheckedForm):
    amount = DecimalField(_l("Amount to refund"), places=None,
                          validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("Enter an amount of zero or more."))])
    reason = StringField(_l("Reason (the tourist sees it)"), validators=[DataRequired(REQUIRED), Length(max=500)])
    #: Set by the page: the payment refunded.
    payment = None

    def amount_minor(self) -> int | None:
        """The amount in the payment's minor units; None (with an error at the field) when the
        currency has fewer decimal places, or when the amount could not be read."""
        if self.amount.data is None or self.amount.errors or self.payment is None:
            return None
        try:
            return to_minor(self.amount.data, self.payment.currency)
        except ValueError:
            return None

    def service_problems(self) -> list[ServiceError]:
        if self.payment is None:
            return []
        problems: list[ServiceError] = []
        amount = self.amount_minor()
        if amount is None and self.amount.data is not None and not self.amount.errors:
            problems.append(ServiceError(_l("%(currency)s amounts cannot have that many decimal places.",
                                            currency=self.payment.currency), "amount"))
        return problems + payment_service.refund_problems(
            self.payment, amount, None if self.reason.errors else self.reason.data)
