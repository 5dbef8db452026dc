"""Form pieces shared by several blueprints."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, TypeVar
from zoneinfo import available_timezones

import wtforms

from app.i18n import lazy_gettext as _l

from app.config import LANGUAGES
from app.services import ServiceError
from app.transactions import commit, rollback

T = TypeVar("T")

LANGUAGE_CHOICES = list(LANGUAGES.items())
TIMEZONE_CHOICES = sorted(
    tz for tz in available_timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/", "posix/", "right/"))
) + ["UTC"]

REQUIRED = _l("This field is required.")

# The largest whole number a column holds on every database (PostgreSQL's integer).
MAX_INT = 2**31 - 1
# No number anyone types into this app is larger (money included: a billion is already absurd).
MAX_DECIMAL = Decimal(10) ** 12


class IntegerField(wtforms.IntegerField):
    """A whole number a database column can hold; a longer one is a field error, not a crash."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 12:
            self.data = None
            raise ValueError(_l("This number is too large."))
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_INT:
            self.data = None
            raise ValueError(_l("This number is too large."))


class DecimalField(wtforms.DecimalField):
    """A finite decimal of sensible size: "NaN", "Infinity" and "1e308" are field errors."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 32:
            self.data = None
            raise ValueError(_l("This number is too long."))
        super().process_formdata(valuelist)
        if self.data is not None and (not self.data.is_finite() or abs(self.data) >= MAX_DECIMAL):
            self.data = None
            raise ValueError(_l("Enter an ordinary number, such as 1250.50."))


def error_text(errors) -> str:
    """Field errors (lazy strings among them) as one sentence for a flash message."""
    return " ".join(str(error) for error in errors)


def all_errors(form) -> list:
    """Every error of a form, those above it first."""
    return [*form.form_errors, *(e for errors in form.errors.values() for e in errors)]


def show_error(form, error) -> None:
    """Put a service's refusal next to the field it is about, or above the form."""
    field = getattr(form, error.field, None) if getattr(error, "field", None) else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def save(form, action: Callable[[], T]) -> tuple[bool, T | None]:
    """Run a service call for a valid form and commit. When a rule refuses, roll back, show why
    on the form, and return ``(False, None)``; nothing is saved."""
    try:
        result = action()
        commit()
    except ServiceError as exc:
        rollback()
        show_error(form, exc)
        return False, None
    return True, result
