"""Translations: lazily translated strings that are text, never markup, and the current language
looked up once per request.

Flask-Babel's lazy strings answer ``__html__`` with their text as it is, so Jinja and WTForms
treat them as safe HTML: ``_l("Only after question %(n)s: %(text)s", text=question.text)`` would
put a user's text into the page as markup. These answer ``__html__`` with their text escaped, so a
lazy string is escaped wherever it is rendered, whatever it carries. Import ``lazy_gettext`` and
``lazy_pgettext`` from here, never from ``flask_babel`` (a test checks).

Flask-Babel finds its context three times and spells the locale's name out on every call of
``gettext``, ``get_locale`` and ``get_timezone``: a page of a hundred rows of labels and times
paid milliseconds for it. :func:`current` works the locale, time zone and translations out once
per request and keeps them while Flask-Babel's own choice stays the same (``force_locale`` or
``refresh`` change it, and the next call follows); the functions below and the templates'
``_``, ``ngettext`` and ``pgettext`` use it.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, TypeVar

from babel import Locale
from babel.support import NullTranslations, Translations
from flask.globals import _cv_app
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup, escape
from wtforms.i18n import messages_path as wtforms_messages_path

__all__ = ["FormMessages", "LazyText", "current", "gettext", "lazy_gettext", "lazy_pgettext", "markup", "ngettext", "nmarkup", "pgettext",
           "translated"]


class Current(NamedTuple):
    locale: Locale | None
    timezone: object
    translations: NullTranslations
    name: str  # "de", as the caches of app.formats are keyed


_NO_BABEL_STATE: Mapping[str, object] = {}


def current() -> Current:
    """The language, time zone and translations in force (Flask-Babel's, looked up once).

    Called for every ``_()`` of a template, lazy label and time shown (a few hundred times a
    page), so the app context is read from Flask's context variable itself (what
    ``has_app_context()`` and the ``g`` proxy read, without their two calls each)."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return Current(None, None, NullTranslations(), "en")
    state = ctx.g.__dict__
    cached = state.get("_countdown_i18n")
    if cached is not None:
        babel_state = getattr(state.get("_flask_babel"), "__dict__", _NO_BABEL_STATE)
        if cached.locale is babel_state.get("babel_locale") and cached.timezone is babel_state.get("babel_tzinfo"):
            return cached
    locale, timezone, translations = get_locale(), get_timezone(), get_translations()
    state["_countdown_i18n"] = cached = Current(locale, timezone, translations, str(locale or "en"))
    return cached


def gettext(string: str, **variables) -> str:
    text = current().translations.ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return current().translations.ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables) -> str:
    text = current().translations.upgettext(context, string)
    return text % variables if variables else text


def markup(string: str, **variables) -> Markup:
    """A translation as the templates' ``_()`` gives it: markup, its values escaped (for HTML
    written in Python)."""
    return Markup(current().translations.ugettext(string)) % variables


def nmarkup(singular: str, plural: str, num: int, **variables) -> Markup:
    """:func:`markup` for a count: the templates' ``ngettext``."""
    variables.setdefault("num", num)
    return Markup(current().translations.ungettext(singular, plural, num)) % variables


def install(jinja_env) -> None:
    """The templates' ``_``, ``gettext``, ``ngettext`` and ``pgettext`` through :func:`current`.

    Jinja's newstyle callables (what ``install_gettext_callables(..., newstyle=True)`` makes) reach
    the translation through three calls of the template context each (``_`` looks ``gettext``
    up, which calls the function given): the same behaviour written once, below, is called
    directly, with the same result (a translation is markup in an autoescaped template, and always
    a format string for its keyword arguments)."""
    jinja_env.install_gettext_callables(
        gettext=lambda s: current().translations.ugettext(s),
        ngettext=lambda s, p, n: current().translations.ungettext(s, p, n),
        pgettext=lambda c, s: current().translations.upgettext(c, s),
        npgettext=lambda c, s, p, n: current().translations.unpgettext(c, s, p, n),
        newstyle=True,
    )
    jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext,
                             pgettext=_template_pgettext, npgettext=_template_npgettext)


def _as_template_text(context, text: str, variables: dict):
    if "%" not in text:  # no placeholder: what ``% variables`` gives, without Markup's escaping helper
        return Markup(text) if context.eval_ctx.autoescape else text
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables


@pass_context
def _template_gettext(__context, __string: str, **variables):
    # _as_template_text written out: the templates' most frequent call (a hundred and more a page)
    text = current().translations.ugettext(__string)
    if "%" not in text:
        return Markup(text) if __context.eval_ctx.autoescape else text
    return (Markup(text) if __context.eval_ctx.autoescape else text) % variables


@pass_context
def _template_ngettext(__context, __singular: str, __plural: str, __num: int, **variables):
    variables.setdefault("num", __num)
    return _as_template_text(__context, current().translations.ungettext(__singular, __plural, __num), variables)


@pass_context
def _template_pgettext(__context, __string_ctx: str, __string: str, **variables):
    variables.setdefault("context", __string_ctx)
    return _as_template_text(__context, current().translations.upgettext(__string_ctx, __string), variables)


@pass_context
def _template_npgettext(__context, __string_ctx: str, __singular: str, __plural: str, __num: int, **variables):
    variables.setdefault("context", __string_ctx)
    variables.setdefault("num", __num)
    return _as_template_text(
        __context, current().translations.unpgettext(__string_ctx, __singular, __plural, __num), variables)


K = TypeVar("K")


def translated(labels: Mapping[K, object]) -> dict[K, str]:
    """A table of lazy labels (state -> label) in the current language, each translated once: for
    a page that shows one of them on each of many rows (the templates' ``translated`` filter)."""
    return {key: str(label) for key, label in labels.items()}


class LazyText(LazyString):
    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    return LazyText(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyText:
    return LazyText(pgettext, context, string, **variables)


class FormMessages:
    """WTForms' own messages ("This field is required.", "Not a valid choice.") in the language in
    force, for Flask-WTF, which looks them up on ``request.wtforms_translations`` and, when a
    request has none, loads and parses WTForms' catalogue from disk for it: every request that
    built a form paid that (about 0.3 ms; a form's CSRF field asks for its label's translation
    as it is built). :class:`app.web.Request` carries one of these as a class attribute instead:
    each language's catalogue is loaded once per process, and the language is
    :func:`current`'s, so it follows ``force_locale`` as the rest of a page does."""

    __slots__ = ()
    _catalogues: dict[str, NullTranslations] = {}

    @classmethod
    def catalogue(cls) -> NullTranslations:
        state = current()
        found = cls._catalogues.get(state.name)
        if found is None:
            found = cls._catalogues[state.name] = Translations.load(
                wtforms_messages_path(), [state.locale or "en"], domain="wtforms")
        return found

    def ugettext(self, string: str) -> str:
        return self.catalogue().ugettext(string)

    def ungettext(self, singular: str, plural: str, num: int) -> str:
        return self.catalogue().ungettext(singular, plural, num)
