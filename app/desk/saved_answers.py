"""Answers staff keep ready (opening hours, what to bring, how refunds work): a title and a text
in the operator's default language, with translations; a reply starts from the one in the
tourist's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, bindparam, select

from app import multilingual
from app.errors import Problems
from app.extensions import db
from app.models import SavedAnswer, Topic, User
from app.timeutil import now_utc

TITLE_MAX = 120
BODY_MAX = 4000


#: What a reply may start from (a conversation's page asks on every view): composed once, the
#: columns a reply reads (its title to choose it, its texts to start from).
_OFFERED = (select(SavedAnswer.id, SavedAnswer.title, SavedAnswer.body, SavedAnswer.texts)
            .where(SavedAnswer.active, SavedAnswer.topic.is_(None) | SavedAnswer.topic.in_(bindparam("topics", expanding=True)))
            .order_by(SavedAnswer.title))


def offered(topics: list[Topic]) -> list[Row]:
    """The active saved answers for these topics (and those for any topic), by title: rows of
    ``id``, ``title``, ``body`` and ``texts`` (what :func:`text_in` reads), not whole answers."""
    return db.session.execute(_OFFERED, {"topics": topics}).all()


def listed(topics: list[Topic] | None = None, *, active_only: bool = True) -> list[SavedAnswer]:
    """The saved answers for these topics (and those for any topic), by title."""
    query = select(SavedAnswer).order_by(SavedAnswer.title)
    if active_only:
        query = query.where(SavedAnswer.active)
    if topics is not None:
        query = query.where(SavedAnswer.topic.is_(None) | SavedAnswer.topic.in_(topics))
    return list(db.session.scalars(query))


def text_in(answer: SavedAnswer | Row, language: str) -> str:
    return multilingual.text_in(answer.texts, language, "body", answer.body)


def default_language() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def save(answer: SavedAnswer | None, actor: User, *, title: str, topic: Topic | None, active: bool,
         bodies: dict[str, str]) -> SavedAnswer:
    """Create or change a saved answer: ``bodies`` per language, the default language's required."""
    problems = Problems()
    title = " ".join((title or "").split())
    if not title:
        problems.add(_("Give the answer a title."), "title")
    elif len(title) > TITLE_MAX:
        problems.add(_("A title has at most %(max)s characters.", max=TITLE_MAX), "title")
    elif db.session.scalar(select(SavedAnswer.id).where(SavedAnswer.title == title,
                                                        SavedAnswer.id != (answer.id if answer else -1))):
        problems.add(_("Another saved answer has this title."), "title")
    default = default_language()
    cleaned = {language: (text or "").strip() for language, text in bodies.items()}
    if not cleaned.get(default):
        problems.add(_("Write the answer in the default language."), f"body_{default}")
    for language, text in cleaned.items():
        if len(text) > BODY_MAX:
            problems.add(_("An answer has at most %(max)s characters.", max=BODY_MAX), f"body_{language}")
    problems.raise_any()
    if answer is None:
        answer = SavedAnswer(title=title, body="", texts={})
        db.session.add(answer)
    answer.title, answer.topic, answer.active = title, topic, active
    answer.body = cleaned[default]
    texts: dict = {}
    for language, text in cleaned.items():
        if language != default:
            texts = multilingual.with_text(texts, language, "body", text)
    answer.texts = texts
    answer.updated_by_id, answer.updated_at = actor.id, now_utc()
    db.session.flush()
    return answer
