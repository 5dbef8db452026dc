"""WTForms' widgets write their attributes with ``blueprints.forms.html_params`` (installed by the
app factory): the same HTML as WTForms' own ``html_params``, for every kind of value and field."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import core as wtforms_widgets

from blueprints.forms import WTFORMS_HTML_PARAMS, FlaskForm, html_params

AWKWARD = ['plain', 'a "quoted" <b>value</b> & more', Markup('<i>"safe"</i>'), 0, 12.5, None, "ü€ 🚀", ""]


@pytest.mark.parametrize("value", AWKWARD + [True, False])
def test_html_params_writes_what_wtforms_writes(value):
    for kwargs in ({"name": value}, {"class_": value, "id": "x", "data_hx_get": value, "aria_describedby": value},
                   {"for_": "f", "checked": value, "required": True, "readonly": False, "z": value, "a": "1"},
                   {}):
        assert html_params(**kwargs) == WTFORMS_HTML_PARAMS(**kwargs)
        assert isinstance(html_params(**kwargs), Markup)


class EveryField(FlaskForm):
    text = StringField("Text <b>", render_kw={"placeholder": 'say "hi"', "autocomplete": "off"})
    area = TextAreaField("Area")
    number = IntegerField("Number")
    amount = DecimalField("Amount")
    day = DateField("Day")
    email = EmailField("Email")
    secret = PasswordField("Secret")
    hidden = HiddenField()
    agree = BooleanField("Agree")
    choice = SelectField("Choice", choices=[("a", "A & a"), ("b", 'B "b"'), ("", "none")])
    many = SelectMultipleField("Many", choices=[("1", "one"), ("2", "two")])
    radio = RadioField("Radio", choices=[("x", "X <x>"), ("y", "Y")])
    send = SubmitField("Send")


def _rendered(form) -> list[str]:
    out = []
    for field in form:
        out.append(str(field()))
        out.append(str(field(class_="wide", aria_invalid="true", data_x='q"q', disabled=True, readonly=False)))
        out.append(str(field.label(class_="lbl")))
    return out


def test_every_field_renders_as_with_wtforms_own(app, monkeypatch):
    with app.test_request_context("/", method="POST", data={
        "text": 'Ada "<script>"', "area": "line\n<two>", "number": "12", "amount": "1.50", "day": "2026-12-06",
        "email": "a@b.c", "secret": "pw", "hidden": "h&h", "agree": "y", "choice": "b", "many": ["1", "2"],
        "radio": "x",
    }):
        form = EveryField(meta={"csrf": False})
        form.validate()
        fast = _rendered(form)
        monkeypatch.setattr(wtforms_widgets, "html_params", WTFORMS_HTML_PARAMS)
        monkeypatch.setattr("wtforms.widgets.html_params", WTFORMS_HTML_PARAMS)
        monkeypatch.setattr(wtforms_widgets.Input, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
        monkeypatch.setattr(wtforms_widgets.Button, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
        assert _rendered(form) == fast


def test_the_app_installs_it(app):
    assert wtforms_widgets.html_params is html_params
    assert wtforms_widgets.Input.html_params is html_params


#: The ``field`` macro as templates/macros/forms.html wrote it before it moved into Python
#: (``blueprints.forms.field``): the reference the Python function must match character for character.
FIELD_MACRO = """{% macro field(f, hint=None) %}
  {%- set fid = kwargs.get("id") or f.id -%}
  {%- set described = [] -%}
  {%- if hint %}{% do described.append(fid ~ "-hint") %}{% endif -%}
  {%- if f.errors %}{% do described.append(fid ~ "-error") %}{% endif -%}
  {%- set extra = kwargs -%}
  {%- if f.errors %}{% do extra.update({"aria-invalid": "true"}) %}{% endif -%}
  {%- if described %}{% do extra.update({"aria-describedby": described | join(" ")}) %}{% endif -%}
  {% if f.type == "BooleanField" %}
    <label class="checkbox">{{ f(**extra) }} {{ f.label.text }}</label>
  {% else %}
    <label for="{{ fid }}">{{ f.label.text }}</label>
    {{ f(**extra) }}
  {% endif %}
  {% if hint %}<small id="{{ fid }}-hint" class="hint">{{ hint }}</small>{% endif %}
  {% if f.errors %}<small id="{{ fid }}-error" class="field-error">{{ f.errors | join(" ") }}</small>{% endif %}
{% endmacro %}"""

#: Each call as templates make it: (hint, attributes).
FIELD_CALLS = [(None, {}), ('Say "hi" <now>', {}), (Markup("<b>safe</b> hint"), {"autocomplete": "off"}),
               (None, {"id": "row-3-text", "class": "wide"}), ("A hint", {"id": 'odd"id', "data-x": "1"}),
               ("", {"placeholder": "MM/YY", "inputmode": "numeric"})]


@pytest.mark.parametrize("posted", [False, True])
def test_the_field_function_writes_what_the_macro_wrote(app, posted):
    """Every kind of field, valid and with errors, with and without a hint and attributes, and
    imported from the macros file as templates do."""
    from blueprints.forms import field

    data = {"text": "", "number": "not a number", "day": "2026-13-45", "choice": "zz", "agree": ""}
    with app.test_request_context("/", method="POST" if posted else "GET", data=data if posted else None):
        form = EveryField(meta={"csrf": False})
        if posted:
            for name in ("text", "area"):
                getattr(form, name).validators = [__import__("wtforms").validators.InputRequired('Fill <this> in')]
            form.validate()
            form.agree.errors = ["Tick & agree", Markup("<i>really</i>")]
            assert form.errors
        macro = app.jinja_env.from_string(FIELD_MACRO).module.field
        imported = app.jinja_env.from_string('{% from "macros/forms.html" import field %}{{ field(f, h, **kw) }}')
        for f in form:
            for hint, attributes in FIELD_CALLS:
                expected = str(macro(f, hint, **dict(attributes)))
                assert str(field(f, hint, **dict(attributes))) == expected
                assert imported.render(f=f, h=hint, kw=dict(attributes)) == expected
                if posted and f.errors:
                    assert 'aria-invalid="true"' in expected
