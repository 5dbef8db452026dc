"""What every request goes through, written for speed: the same results as the libraries' own ways."""

from __future__ import annotations

import jinja2
import pytest
from babel.support import Translations
from flask import render_template_string

from app import SessionCookies
from app.i18n import install


class _German(Translations):
    """A few translations, with markup-looking and percent-bearing text."""

    def __init__(self) -> None:
        super().__init__()
        self._catalog = {
            "Hello": "Hallo",
            "Save %(what)s": "%(what)s <speichern>",
            ("One %(num)s thing", 0): "Ein Ding (%(num)s)",
            ("One %(num)s thing", 1): "%(num)s Dinge",
            "flight status\x04Delayed": "Verspätet",
            ("ctx\x04%(num)s seat", 0): "%(num)s Platz (%(context)s)",
            ("ctx\x04%(num)s seat", 1): "%(num)s Plätze (%(context)s)",
        }
        self.plural = lambda n: int(n != 1)


TEMPLATE = (
    '{{ _("Hello") }}|{{ _("Hello", what="<b>") }}|{{ _("100%% sure") }}|{{ gettext("Save %(what)s", what="<b>") }}|'
    '{{ ngettext("One %(num)s thing", "Many %(num)s things", 1) }}|'
    '{{ ngettext("One %(num)s thing", "Many %(num)s things", 3) }}|'
    '{{ pgettext("flight status", "Delayed") }}|{{ npgettext("ctx", "%(num)s seat", "%(num)s seats", 2) }}|'
    '{% trans %}Hello{% endtrans %}|{% trans n=2 %}One {{ n }} thing{% pluralize %}Many {{ n }} things{% endtrans %}'
)


@pytest.mark.parametrize("autoescape", [True, False])
def test_the_templates_translations_match_jinjas_newstyle_callables(app, monkeypatch, autoescape):
    translations = _German()
    monkeypatch.setattr("app.i18n.current", lambda: type("C", (), {"translations": translations})())
    jinjas = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
    jinjas.install_gettext_translations(translations, newstyle=True)
    ours = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
    install(ours)
    expected = jinjas.from_string(TEMPLATE).render()
    assert ours.from_string(TEMPLATE).render() == expected
    assert "Hallo" in expected and "Verspätet" in expected and "100% sure" in expected
    assert ("&lt;b&gt; <speichern>" if autoescape else "<b> <speichern>") in expected


def test_the_app_templates_use_the_direct_callables(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ _("100%% sure") }} {{ _("a %(x)s", x="<i>") }}') == "100% sure a &lt;i&gt;"


def test_the_session_cookies_serializer_is_made_once_per_key(app):
    interface = app.session_interface
    assert isinstance(interface, SessionCookies)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old_key = app.secret_key
    try:
        app.secret_key = "another-secret-key-for-this-test-only-0123456789"
        other = interface.get_signing_serializer(app)
        assert other is not first
        assert other.loads(other.dumps({"a": 1})) == {"a": 1}
        with pytest.raises(Exception):
            first.loads(other.dumps({"a": 1}))
    finally:
        app.secret_key = old_key
    assert interface.get_signing_serializer(app) is first


def test_wtforms_messages_are_in_the_language_in_force_and_loaded_once_per_language(app, monkeypatch):
    """WTForms' own messages (a required field left empty) come in the request's language, follow
    ``force_locale`` as the rest of the page does, and each language's catalogue is read from disk
    once per process, not once per request (Flask-WTF's own way)."""
    from flask_babel import force_locale
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from app.i18n import FormMessages

    class Form(FlaskForm):
        class Meta:
            csrf = False
        name = StringField("Name", validators=[DataRequired()])

    loads: list[str] = []
    real_load = Translations.load.__func__

    def counted(cls, dirname=None, locales=None, domain=None):
        if domain == "wtforms":
            loads.extend(str(locale) for locale in locales)
        return real_load(cls, dirname, locales, domain)

    monkeypatch.setattr(FormMessages, "_catalogues", {})
    monkeypatch.setattr(Translations, "load", classmethod(counted))
    expected = {"de": "Dieses Feld wird benötigt.", "fr": "Ce champ est requis.", "it": "Questo campo è obbligatorio.",
                "es": "Este campo es obligatorio.", "pt": "Campo obrigatório.", "en": "This field is required."}
    for _round in range(2):
        for language, message in expected.items():
            with app.test_request_context("/", method="POST", data={"name": ""},
                                          headers={"Accept-Language": language}):
                form = Form()
                assert not form.validate() and form.name.errors == [message]
    with app.test_request_context("/", method="POST", data={"name": ""}, headers={"Accept-Language": "de"}):
        with force_locale("fr"):
            form = Form()
            assert not form.validate() and form.name.errors == [expected["fr"]]
    assert sorted(loads) == sorted(expected)
