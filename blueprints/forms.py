"""Form pieces shared by several blueprints."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Callable, TypeVar
from zoneinfo import available_timezones

import wtforms
from flask import flash, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.validators import StopValidation
from wtforms.widgets import core as wtforms_widgets

from app.config import LANGUAGES
from app.errors import ServiceError
from app.formats import day_text
from app.i18n import current
from app.i18n import lazy_gettext as _l
from app.transactions import commit, rollback

T = TypeVar("T")

LANGUAGE_CHOICES = list(LANGUAGES.items())
TIMEZONE_CHOICES = sorted(
    tz for tz in available_timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/", "posix/", "right/"))
) + ["UTC"]

REQUIRED = _l("This field is required.")


#: WTForms' own ``html_params``, kept: the tests compare :func:`html_params` with it.
WTFORMS_HTML_PARAMS = wtforms_widgets.html_params


def html_params(**kwargs) -> Markup:
    """``wtforms.widgets.html_params``, the same output: sorted by key, ``True`` a bare attribute,
    ``False`` left out, each value escaped (and a quote inside markup written ``&quot;``). WTForms
    writes each attribute with ``Markup.format`` (``string.Formatter``): about 40 µs an attribute,
    0.1–0.25 ms a field, milliseconds on a page of forms; this one joins strings."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        key = escape(wtforms_widgets.clean_key(key))
        params.append(key if value is True else f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


def install_html_params() -> None:
    """Every WTForms widget writes its attributes with :func:`html_params` (called once, by the
    app factory's :func:`blueprints.register_blueprints`). The inputs and buttons call it through a
    class attribute, the others through the module's name: both are set. Same HTML
    (``tests/core/test_forms_html.py`` compares the two functions, and renders every field type
    both ways)."""
    wtforms_widgets.html_params = html_params
    wtforms.widgets.html_params = html_params
    wtforms_widgets.Input.html_params = staticmethod(html_params)
    wtforms_widgets.Button.html_params = staticmethod(html_params)


_SPACE = Markup(" ")


def field(f, hint=None, **kwargs) -> Markup:
    """A form field with its label, its hint and its errors, tied together for screen readers
    (``aria-describedby``, ``aria-invalid``): what the ``field`` macro of
    ``templates/macros/forms.html`` wrote, character for character, written in Python (the macro
    cost 40-55 µs a field; forms with many fields, as the travel page's, paid it on every view).
    The macros file exports this function under the macro's old name."""
    fid = kwargs.get("id") or f.id
    errors = f.errors
    described = []
    if hint:
        described.append(f"{fid}-hint")
    if errors:
        described.append(f"{fid}-error")
        kwargs["aria-invalid"] = "true"
    if described:
        kwargs["aria-describedby"] = " ".join(described)
    widget = f(**kwargs)
    label = escape(f.label.text)
    if f.type == "BooleanField":
        html = f'\n    <label class="checkbox">{widget} {label}</label>\n  \n  '
    else:
        html = f'\n    <label for="{escape(fid)}">{label}</label>\n    {widget}\n  \n  '
    if hint:
        html += f'<small id="{escape(fid)}-hint" class="hint">{escape(hint)}</small>'
    html += "\n  "
    if errors:
        html += f'<small id="{escape(fid)}-error" class="field-error">{_SPACE.join(map(escape, errors))}</small>'
    return Markup(html + "\n")


def flight_options(flights, chosen: int | None) -> Markup:
    """A flight filter's options (the coordinator's day, the desk's inbox): each flight (``id``,
    ``name``, ``launch_at``) with its launch day. The options are the same on every view until a
    flight changes: kept per list of flights, language and time zone, and only the chosen one is
    marked (as ``LongSelect`` does for time zones)."""
    state = current()
    options = _flight_options(tuple(flights), state.name, state.timezone)
    if chosen is not None:
        options = options.replace(f'<option value="{chosen}" >', f'<option value="{chosen}" selected>', 1)
    return Markup(options)


@functools.lru_cache(maxsize=64)
def _flight_options(flights: tuple, language: str, zone) -> str:
    return "".join(f'<option value="{f.id}" >{escape(f.name)} · '
                   f'{escape(day_text(f.launch_at.astimezone(zone).date(), "medium", language))}</option>'
                   for f in flights)


class LongSelect(wtforms.widgets.Select):
    """A select of many options that do not change (time zones, countries): the options are
    escaped and joined once per list of choices, then only the chosen one is marked, instead of
    rendering hundreds of options on every page."""

    _cache: dict[tuple, str] = {}

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        key = tuple(field.choices)
        options = self._cache.get(key)
        if options is None:
            options = self._cache[key] = "".join(
                f'<option value="{escape(str(value))}">{escape(str(label))}</option>' for value, label in key)
        value = "" if field.data is None else str(field.data)
        chosen = f'<option value="{escape(value)}">'
        if chosen in options:
            options = options.replace(chosen, f'<option selected value="{escape(value)}">', 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")

# The largest whole number a column holds on every database (PostgreSQL's integer).
MAX_INT = 2**31 - 1
# No number anyone types into this app is larger (money included: a billion is already absurd).
MAX_DECIMAL = Decimal(10) ** 12


class _SaysOneThing:
    """A number that could not be read has that one error: the range checks after it would only
    contradict it ("too large" and "enter zero or more")."""

    def pre_validate(self, form):
        # Only for something typed: an empty value is left to Optional(), which clears its error.
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:
            raise StopValidation()


class IntegerField(_SaysOneThing, wtforms.IntegerField):
    """A whole number a database column can hold; a longer one is a field error, not a crash."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 12:
            self.data = None
            raise ValueError(_l("This number is too large."))
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_INT:
            self.data = None
            raise ValueError(_l("This number is too large."))


class DecimalField(_SaysOneThing, wtforms.DecimalField):
    """A finite decimal of sensible size: "NaN", "Infinity" and "1e308" are field errors."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip()) > 32:
            self.data = None
            raise ValueError(_l("This number is too long."))
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(_l("Enter an ordinary number, such as 1250.50."))
        # adjusted(): the exponent of the leading digit, without arithmetic that could overflow
        # (abs() of 1e999999999 raises decimal.Overflow).
        if self.data is not None and self.data and self.data.adjusted() >= MAX_DECIMAL.adjusted():
            self.data = None
            raise ValueError(_l("This number is too large."))


def error_text(errors) -> str:
    """Field errors (lazy strings among them) as one sentence for a flash message."""
    return " ".join(str(error) for error in errors)


def all_errors(form) -> list:
    """Every error of a form, those above it first."""
    return [*form.form_errors, *(e for errors in form.errors.values() for e in errors)]


def show_error(form, error) -> None:
    """Put a service's refusal next to the field it is about, or above the form; a refusal of
    several fields at once (:class:`ServiceErrors`) puts each of its messages at its own field.
    A message already shown at its field is not repeated."""
    for one in getattr(error, "errors", [error]):
        name = getattr(one, "field", None)
        field = form._fields.get(name) if name else None
        if field is not None:
            if one.message not in field.errors:
                field.errors = [*field.errors, one.message]
        elif one.message not in form.form_errors:
            form.form_errors.append(one.message)


class CheckedForm(FlaskForm):
    """A form whose service's plausibility rules run together with its own validators, so that one
    answer shows every problem, each at its field (a sign-up with a 2015 birth date, a short
    password and two different passwords gets three errors, not one).

    A form overrides :meth:`service_problems`: it calls the service's check with what the form could
    read (``None`` for a field that could not be read, which the check then skips) and returns the
    refusals. The service runs the same check again when it saves, as the final guard. A field that
    has an error of its own already does not get a second one."""

    def service_problems(self) -> list[ServiceError]:
        return []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for problem in self.service_problems():
            for one in problem.errors:
                field = self._fields.get(one.field) if one.field else None
                if field is not None and field.errors:
                    continue
                show_error(self, one)
                valid = False
        return valid


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


def attempt(action: Callable[[], T], done: str | Callable[[T], str]) -> tuple[bool, T | None]:
    """A one-button action (no fields to show a refusal at): run the service call, then commit and
    flash ``done`` (a text, or one made from the call's result); when a rule refuses, roll back and
    flash why, and nothing is saved. Returns ``(whether it was done, the result)``."""
    try:
        result = action()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return False, None
    message = done(result) if callable(done) else done
    commit()
    flash(message, "success")
    return True, result


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for one-button actions."""


def form_status() -> int:
    """A form page shown again after a POST is showing what was wrong with it: 422, else 200."""
    return 422 if request.method == "POST" else 200
