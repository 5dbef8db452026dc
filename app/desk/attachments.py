"""Files sent with a message: PDF, JPEG or PNG, the type read from the content (as the medical
uploads are), at most ``DESK_ATTACHMENT_MAX_BYTES`` each and :data:`MAX_FILES` per message, kept
encrypted in the database (so key rotation re-encrypts them with the rest)."""

from __future__ import annotations

import base64
import hashlib

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.errors import ServiceError
from app.filetypes import detect_type, display_name
from app.models import ConversationAttachment

MAX_FILES = 3


def max_bytes() -> int:
    return int(current_app.config["DESK_ATTACHMENT_MAX_BYTES"])


def chosen(files: list[FileStorage] | tuple = ()) -> list[FileStorage]:
    """The files a form really carries (a browser sends an empty part for an empty file field)."""
    return [f for f in files or () if f is not None and (f.filename or f.content_length)]


def read(files: list[FileStorage], field: str = "files") -> list[ConversationAttachment]:
    """Check every file and make its attachment (not yet added to a message): nothing is kept
    unless all pass."""
    files = chosen(files)
    if len(files) > MAX_FILES:
        raise ServiceError(_("Attach at most %(n)s files to one message.", n=MAX_FILES), field)
    limit = max_bytes()
    made = []
    for file in files:
        data = file.stream.read(limit + 1)
        if not data:
            raise ServiceError(_("The file %(name)s is empty. Choose another file.", name=file.filename), field)
        if len(data) > limit:
            raise ServiceError(_("The file %(name)s is larger than %(mb)s MB. Please attach a smaller file.",
                                 name=file.filename, mb=limit // (1024 * 1024)), field)
        content_type = detect_type(data[:8192])
        if content_type is None:
            raise ServiceError(_("The file %(name)s is not a PDF, JPEG or PNG. Only those types are accepted, "
                                 "whatever the file's name says.", name=file.filename), field)
        made.append(ConversationAttachment(
            filename=display_name(file.filename, content_type, _("attachment")), content_type=content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            content=base64.b64encode(data).decode("ascii")))
    return made


def content_of(attachment: ConversationAttachment) -> bytes:
    return base64.b64decode(attachment.content)
