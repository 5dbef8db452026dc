"""Form pieces shared by several blueprints."""

from __future__ import annotations

from typing import Callable, TypeVar
from zoneinfo import available_timezones

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
