"""The files people may send us (PDF, JPEG, PNG): their type read from their content, never from
their name or the browser's say-so, so a renamed program is refused; and the name to show them by."""

from __future__ import annotations

from pathlib import Path

import filetype

ALLOWED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
EXTENSIONS = {"application/pdf": {".pdf"}, "image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}}


def detect_type(head: bytes) -> str | None:
    """The MIME type read from the file's first bytes, if it is one we accept."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        return None
    return kind.mime


def display_name(filename: str | None, content_type: str, fallback: str) -> str:
    """The name the sender gave the file, without any path, with the extension of its real type
    (``fallback`` and that extension when it had none)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")[:150]
    wanted = ALLOWED_TYPES[content_type]
    if not name:
        return fallback + wanted
    if Path(name).suffix.lower() in EXTENSIONS[content_type]:
        return name
    return name + wanted
