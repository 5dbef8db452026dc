"""Lazily translated strings that are text, never markup.

Flask-Babel's lazy strings answer ``__html__`` with their text as it is, so Jinja and WTForms
treat them as safe HTML: ``_l("Only after question %(n)s: %(text)s", text=question.text)`` would
put a user's text into the page as markup. These answer ``__html__`` with their text escaped, so a
lazy string is escaped wherever it is rendered, whatever it carries. Import ``lazy_gettext`` and
``lazy_pgettext`` from here, never from ``flask_babel`` (a test checks).
"""

from __future__ import annotations

from flask_babel import gettext, pgettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

__all__ = ["LazyText", "lazy_gettext", "lazy_pgettext"]


class LazyText(LazyString):
    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    return LazyText(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyText:
    return LazyText(pgettext, context, string, **variables)
