"""Lazily translated strings are text: whatever they carry is escaped where they are rendered."""

from __future__ import annotations

import ast
from pathlib import Path

from markupsafe import escape
from wtforms import Form, SelectField

from app.i18n import lazy_gettext, lazy_pgettext

ROOT = Path(__file__).resolve().parents[2]


def test_a_lazy_string_carrying_markup_is_escaped_in_templates_and_widgets(app):
    label = lazy_gettext("Only after question %(n)s: %(text)s", n=1, text='<input name="x">')
    with app.test_request_context():
        assert str(escape(label)) == "Only after question 1: &lt;input name=&#34;x&#34;&gt;"
        rendered = app.jinja_env.from_string("{{ label }}").render(label=label)
        assert "<input" not in rendered and "&lt;input" in rendered

        class Editor(Form):
            show_if = SelectField(choices=[("q1", label)])

        widget = str(Editor().show_if())
        assert "<input" not in widget and "&lt;input name=&#34;x&#34;&gt;" in widget
        assert str(escape(lazy_pgettext("role", "Tourist"))) == "Tourist"


def test_no_module_takes_flask_babels_own_lazy_strings():
    offenders = []
    for folder in ("app", "blueprints", "worker", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flask_babel"):
                    names = {alias.name for alias in node.names}
                    if names & {"lazy_gettext", "lazy_pgettext", "lazy_ngettext", "LazyString"} \
                            and path.name != "i18n.py":
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "import lazy strings from app.i18n, which escapes them: " + ", ".join(offenders)


def test_the_language_looked_up_once_follows_force_locale_and_refresh(app):
    """app.i18n keeps the translations for the request; a forced language (messages are written in
    their reader's) and a refreshed one (a user who just changed theirs) are followed at once."""
    from flask import session
    from flask_babel import force_locale, refresh

    from app import i18n

    template = app.jinja_env.from_string("{{ _('Log in') }}|{{ ngettext('%(num)d arrival', '%(num)d arrivals', 2) }}")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert i18n.current().name == "de"
        assert template.render() == "Anmelden|2 Ankünfte"
        with force_locale("fr"):
            assert i18n.gettext("Log in") == "Se connecter"
            assert template.render() == "Se connecter|2 arrivées"
            assert str(lazy_gettext("Log in")) == "Se connecter"
        assert i18n.gettext("Log in") == "Anmelden" and template.render().startswith("Anmelden|")
        session["language"] = "it"
        refresh()
        assert i18n.current().name == "it" and i18n.gettext("Log in") == "Accedi"
        assert i18n.pgettext("role", "Tourist") == str(lazy_pgettext("role", "Tourist"))


def test_the_language_in_force_outside_a_request_and_per_context(app):
    """app.i18n.current() reads Flask's context itself: outside any context it is English without
    a locale, in an app context it is Flask-Babel's, and nothing is carried from one request or
    app context into the next (each has its own ``g``)."""
    from flask_babel import force_locale, get_locale, get_timezone

    from app import i18n

    state = i18n.current()
    assert (state.locale, state.timezone, state.name) == (None, None, "en")
    assert i18n.gettext("Log in") == "Log in" and str(lazy_gettext("Log in")) == "Log in"
    with app.app_context():
        assert i18n.current().locale is get_locale() and i18n.current().timezone is get_timezone()
        with force_locale("es"):
            assert i18n.current().name == "es" and i18n.current() is i18n.current()
        assert i18n.current().locale is get_locale()
    for language, login in (("de", "Anmelden"), ("fr", "Se connecter"), ("de", "Anmelden")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            assert i18n.current().name == language and i18n.gettext("Log in") == login
            with force_locale("it"):
                with force_locale("pt"):
                    assert i18n.current().name == "pt"
                assert i18n.current().name == "it" and i18n.gettext("Log in") == "Accedi"
            assert i18n.current().name == language
    assert i18n.current().name == "en" and i18n.current().locale is None
