"""WTForms' widgets for the documents' forms, writing the same HTML for a fraction of the cost.

WTForms builds every attribute with ``Markup.format`` (``wtforms.widgets.html_params``): about
40 µs an attribute, 0.2 ms a field. A version's form has eighteen fields (a title, a text and a
summary in six languages) and the new document's form a select of up to two hundred flights, an
option each: that was a third of those pages. ``blueprints.forms.html_params`` writes the same
attributes with plain string operations (every widget's since, ``install_html_params``); the
widgets below also write a select's options and a text area as joined strings."""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets

from blueprints.forms import html_params


class TextInput(widgets.TextInput):
    html_params = staticmethod(html_params)


class HiddenInput(widgets.HiddenInput):
    html_params = staticmethod(html_params)


class RadioInput(widgets.RadioInput):
    html_params = staticmethod(html_params)


def _attributes(widget, field, kwargs: dict) -> dict:
    """What WTForms' ``TextArea`` and ``Select`` add to the given attributes: the field's id, and
    the validation flags (``required``, ...) the widget passes on."""
    kwargs.setdefault("id", field.id)
    flags = getattr(field, "flags", {})
    for k in dir(flags):
        if k in widget.validation_attrs and k not in kwargs:
            kwargs[k] = getattr(flags, k)
    return kwargs


class TextArea(widgets.TextArea):
    def __call__(self, field, **kwargs):
        kwargs = _attributes(self, field, kwargs)
        return Markup(f"<textarea {html_params(name=field.name, **kwargs)}>\r\n{escape(field._value())}</textarea>")


class Select(widgets.Select):
    """A select of plain ``(value, label)`` choices (no groups, one value), its options joined as
    strings. ``keep_last``: for long choices of plain strings that seldom change (the flights to
    come), the options of the last list are kept and only the chosen one marked."""

    def __init__(self, keep_last: bool = False) -> None:
        super().__init__()
        self.keep_last = keep_last
        self._last: tuple[tuple, str] | None = None

    def __call__(self, field, **kwargs):
        kwargs = _attributes(self, field, kwargs)
        params = html_params(name=field.name, **kwargs)
        if not self.keep_last:
            coerce, data = field.coerce, field.data
            options = "".join(
                f'<option {"selected " if coerce(value) == data else ""}value="{escape(value)}">'
                f"{escape(label or value)}</option>"
                for value, label in field.choices)
            return Markup(f"<select {params}>{options}</select>")
        key = tuple(field.choices)
        last = self._last
        if last is None or last[0] != key:
            last = self._last = (key, "".join(
                f'<option value="{escape(value)}">{escape(label or value)}</option>' for value, label in key))
        options = last[1]
        chosen = next((value for value, _label in key if field.coerce(value) == field.data), None)
        if chosen is not None:
            mark = f'<option value="{escape(chosen)}">'
            options = options.replace(mark, f'<option selected value="{escape(chosen)}">', 1)
        return Markup(f"<select {params}>{options}</select>")
