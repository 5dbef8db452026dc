"""Content that staff write in several languages, with a default (a training module's name, a
question of the health questionnaire, its choices): one way to store it and one way to read it.

Texts are a mapping ``{language: {field: value}}`` beside the content in its default language. A
reader gets the text in their language, or else the default's: never an empty field. Documents
(consent, waiver, briefings) keep a row per language instead, with a hash of each, as evidence
needs; they read their texts the same way (:meth:`app.models.DocumentVersion.text_in`).
"""

from __future__ import annotations

from typing import Any, Mapping

Texts = Mapping[str, Mapping[str, Any]]


def text_in(texts: Texts | None, language: str, field: str, default: Any = "") -> Any:
    """``field`` in ``language``, else ``default`` (the content in the default language)."""
    value = ((texts or {}).get(language) or {}).get(field)
    return value if value not in (None, "", {}) else default


def has(texts: Texts | None, language: str, field: str) -> bool:
    """Whether ``field`` is written in ``language`` (else readers see the default)."""
    return ((texts or {}).get(language) or {}).get(field) not in (None, "", {})


def with_text(texts: Texts | None, language: str, field: str, value: Any) -> dict[str, dict[str, Any]]:
    """A copy of ``texts`` with ``field`` in ``language`` set (or removed, when empty): JSON
    columns are replaced, not changed in place, so that the change is saved."""
    result = {lang: dict(fields) for lang, fields in (texts or {}).items()}
    fields = result.setdefault(language, {})
    if value in (None, "", {}):
        fields.pop(field, None)
    else:
        fields[field] = value
    if not fields:
        result.pop(language)
    return result
