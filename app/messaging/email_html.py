"""The HTML version of an email: the same text as the plain-text body, in the email layout.

An email is written once, as text (``templates/email/<kind>.txt``); this turns that text into a
complete HTML document (``templates/email/_layout.html``) so that the two parts of the message
never say different things. Blank lines separate paragraphs, single line breaks stay line breaks,
web addresses become links, and the message's main link (``url``) also becomes a button.

Call it in the recipient's language (inside ``outbox.recipient_locale``): the ``lang``
attribute, the button and the footer follow the current locale. The text is escaped by Jinja's
autoescaping; nothing in it is ever taken as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from app.urls import external_url

# Web addresses in running text; punctuation right after one ends a sentence, not the address.
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")

#: One piece of a line: ("text", "Hello ") or ("link", "https://...").
Segment = tuple[str, str]


@dataclass
class Block:
    """One paragraph: its lines, each a list of segments."""

    lines: list[list[Segment]] = field(default_factory=list)
    #: The paragraph is only the main link: shown as the button, with the address under it.
    link_only: bool = False
    #: The main link is in this paragraph's text: the button follows it.
    button_after: bool = False


def render_html(
    subject: str, text: str, *, url: str | None = None, action: str | None = None
) -> str:
    """A complete HTML email for ``text``, the plain-text body, titled ``subject``.

    When ``url`` appears in the text it is also shown as a button labelled ``action`` (by default
    "Open in Countdown", in the current language).
    """
    blocks = [_block(part) for part in PARAGRAPH_BREAK.split(_normalise(text)) if part.strip()]
    if url and _is_web_address(url):
        for block in blocks:
            if any(value == url for kind, value in _segments(block) if kind == "link"):
                if [seg for seg in _segments(block) if seg[1].strip()] == [("link", url)]:
                    block.link_only = True
                else:
                    block.button_after = True
                break
        else:
            url = None
    else:
        url = None
    # Rendered by Jinja directly: the pages' context processors give nothing the layout uses.
    return current_app.jinja_env.get_template("email/_layout.html").render(
        lang=_html_lang(),
        subject=subject,
        blocks=blocks,
        url=url,
        action=action or _("Open in Countdown"),
        preferences_url=_preferences_url(),
    )


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _block(paragraph: str) -> Block:
    return Block(lines=[_linkify(line.strip()) for line in paragraph.split("\n")])


def _segments(block: Block) -> list[Segment]:
    return [segment for line in block.lines for segment in line]


def _linkify(line: str) -> list[Segment]:
    segments: list[Segment] = []
    position = 0
    for match in URL_RE.finditer(line):
        address = match.group(0).rstrip(TRAILING_PUNCTUATION)
        # A closing parenthesis belongs to the address when it has an opening one (Wikipedia).
        found = match.group(0)
        while found[len(address):len(address) + 1] == ")" and address.count("(") > address.count(")"):
            address += ")"
        if len(address) <= len("https://"):
            continue
        if match.start() > position:
            segments.append(("text", line[position:match.start()]))
        segments.append(("link", address))
        position = match.start() + len(address)
    if position < len(line):
        segments.append(("text", line[position:]))
    return segments


def _is_web_address(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _html_lang() -> str:
    """The current locale as an HTML language tag: ``de``, ``pt-BR``."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else "en"


def _preferences_url() -> str | None:
    try:
        return external_url("messages.inbox.preferences")
    except BuildError:  # without the settings page the email still goes out, without the link
        return None
