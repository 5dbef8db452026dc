"""What a form page says at each of its fields."""

from __future__ import annotations

import html
import re


def field_error(page: str, field_id: str) -> str:
    """The error text shown under the field with this id ("" when it has none)."""
    match = re.search(rf'<small id="{re.escape(field_id)}-error" class="field-error">(.*?)</small>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""
