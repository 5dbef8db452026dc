"""The health questionnaire: versions that medical staff edit and publish, and a tourist's answers.

A published version never changes: staff edit a new draft, copied from the latest version, and
publish it. A tourist answers the version their case was opened on. Answers are saved one at a
time as the tourist goes, and submitted once every question that applies is answered.

A question may be shown only when an earlier yes/no or choice question has one of some answers
(``show_if_key``/``show_if_values``); a question whose parent is hidden is hidden too. The server
decides what is visible from the saved answers, never from what the browser showed.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any, Iterable, Mapping

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import multilingual
from app.config import LANGUAGES
from app.errors import Problems, ServiceError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import clearances, files
from app.models import (
    Answer,
    CaseState,
    MedicalCase,
    MedicalUpload,
    Question,
    QuestionKind,
    Questionnaire,
    User,
)
from app.timeutil import now_utc

K = QuestionKind
#: Kinds whose answer another question can depend on.
CONDITION_KINDS = frozenset({K.YES_NO, K.SINGLE_CHOICE, K.MULTIPLE_CHOICE})
CHOICE_KINDS = frozenset({K.SINGLE_CHOICE, K.MULTIPLE_CHOICE})
#: While the case is in one of these states the tourist may change answers: answering, and when
#: medical staff asked for more (e.g. "please upload your ECG").
ANSWERABLE = frozenset({CaseState.ANSWERING, CaseState.INFO_REQUESTED})

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEXT_MAX = 4000            # a free-text answer
QUESTION_TEXT_MAX = 1000
HELP_MAX = 2000
CHOICE_MAX = 120
CHOICES_MAX = 30
UNIT_MAX = 16
INFO_RESPONSE_MAX = 4000
YES, NO = "yes", "no"
#: Which dates a date question takes: today or earlier (something that happened: the default),
#: today or later (something planned), or any date from 1900 to 2100.
PAST, FUTURE, ANY_DATE = "past", "future", "any"
DATE_RANGES = (PAST, FUTURE, ANY_DATE)
#: How far back a past date goes (nobody answering was born earlier) and how far ahead a future
#: one: an answer outside is a typing error.
PAST_YEARS, FUTURE_YEARS = 120, 20
YES_NO_VALUES = [YES, NO]
#: The title of a first draft. Stored as it is (in English, whatever the language of the staff
#: member who starts it): every tourist reads the title as stored, so a stored translation would
#: show one staff member's language to everyone. Tourists see this default in their language.
DEFAULT_TITLE = "Health questionnaire"


# -- versions -------------------------------------------------------------------------------------

def current_questionnaire() -> Questionnaire | None:
    """The latest published version: the one new cases are opened on."""
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.published_at.is_not(None))
        .order_by(Questionnaire.version.desc()).limit(1)
    )


def draft() -> Questionnaire | None:
    """The version being edited, if any (there is at most one)."""
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.published_at.is_(None))
        .order_by(Questionnaire.version.desc()).limit(1)
    )


def versions() -> list[Questionnaire]:
    return list(db.session.scalars(select(Questionnaire).order_by(Questionnaire.version.desc())))


def question_counts() -> dict[int, int]:
    """Questions per version, in one query (for the list of versions)."""
    return dict(db.session.execute(
        select(Question.questionnaire_id, func.count(Question.id)).group_by(Question.questionnaire_id)
    ).all())


def _require_draft(questionnaire: Questionnaire) -> None:
    if questionnaire.published:
        raise ServiceError(_("Version %(v)s is published and cannot be changed. "
                             "Start a new draft to make changes.", v=questionnaire.version))


def new_draft(actor: User) -> Questionnaire:
    """A new version to edit, copied from the latest one (or empty when there is none)."""
    existing = draft()
    if existing is not None:
        raise ServiceError(_("Version %(v)s is already a draft: edit it, or delete it first.",
                             v=existing.version))
    latest = db.session.scalar(select(Questionnaire).order_by(Questionnaire.version.desc()).limit(1))
    questionnaire = Questionnaire(
        version=(latest.version + 1) if latest else 1,
        title=latest.title if latest else DEFAULT_TITLE,
        intro=latest.intro if latest else "", created_by_id=actor.id,
        default_language=latest.default_language if latest else "en",
        texts=copy.deepcopy(latest.texts or {}) if latest else {},
    )
    db.session.add(questionnaire)
    if latest is not None:
        for q in latest.questions:
            questionnaire.questions.append(Question(
                position=q.position, key=q.key, text=q.text, help=q.help, kind=q.kind,
                required=q.required, unit=q.unit, min_value=q.min_value, max_value=q.max_value,
                choices=list(q.choices or []), show_if_key=q.show_if_key,
                show_if_values=list(q.show_if_values or []),
                exclusive_choices=list(q.exclusive_choices or []), date_range=q.date_range,
                texts=copy.deepcopy(q.texts or {}),
            ))
    db.session.flush()
    return questionnaire


def delete_draft(questionnaire: Questionnaire) -> None:
    _require_draft(questionnaire)
    if db.session.scalar(select(func.count(MedicalCase.id)).where(MedicalCase.questionnaire_id == questionnaire.id)):
        raise ServiceError(_("Tourists have answered this version; it cannot be deleted."))
    db.session.delete(questionnaire)
    db.session.flush()


def title_of(questionnaire: Questionnaire, language: str | None = None) -> str:
    """The title as readers see it: in their language where medical staff translated it, else as
    written, except the untouched default, which is shown in the reader's language."""
    language = language or str(get_locale() or "en")
    if multilingual.has(questionnaire.texts, language, "title"):
        return questionnaire.title_in(language)
    if questionnaire.title == DEFAULT_TITLE:
        return _("Health questionnaire")
    return questionnaire.title


#: The longest translated title, question, hint and choice label.
TRANSLATION_MAX = {"title": 200, "intro": 4000, "text": 500, "help": 1000, "choice": 200}


@dataclass
class Translation:
    """A draft's texts in one language other than its default: the title, the introduction, and
    per question id its text, hint and choice labels (empty: readers see the default)."""
    title: str = ""
    intro: str = ""
    questions: dict[int, dict[str, Any]] = dataclass_field(default_factory=dict)


def translation_of(questionnaire: Questionnaire, language: str) -> Translation:
    own = (questionnaire.texts or {}).get(language) or {}
    return Translation(
        title=own.get("title", ""), intro=own.get("intro", ""),
        questions={q.id: {"text": multilingual.text_in(q.texts, language, "text"),
                          "help": multilingual.text_in(q.texts, language, "help"),
                          "choices": dict(multilingual.text_in(q.texts, language, "choices", {}) or {})}
                   for q in questionnaire.questions},
    )


def translate(questionnaire: Questionnaire, language: str, translation: Translation) -> None:
    """Save a draft's texts in ``language``. Each one left empty falls back to the default
    language for readers; the choices themselves (what answers keep) never change."""
    _require_draft(questionnaire)
    if language not in LANGUAGES or language == questionnaire.default_language:
        raise ServiceError(_("Choose a language to translate into."))
    problems = Problems()

    def clean(value: str | None, kind: str, where: str) -> str:
        value = _clean_text(value)
        if len(value) > TRANSLATION_MAX[kind]:
            problems.add(_("At most %(max)s characters.", max=TRANSLATION_MAX[kind]), where)
        return value

    texts = multilingual.with_text(questionnaire.texts, language, "title",
                                   clean(" ".join((translation.title or "").split()), "title", "title"))
    texts = multilingual.with_text(texts, language, "intro", clean(translation.intro, "intro", "intro"))
    updates = {}
    for question in questionnaire.questions:
        given = translation.questions.get(question.id) or {}
        own = multilingual.with_text(question.texts, language, "text", clean(given.get("text"), "text", f"q{question.id}-text"))
        own = multilingual.with_text(own, language, "help", clean(given.get("help"), "help", f"q{question.id}-help"))
        labels = {}
        for n, choice in enumerate(question.choices or []):
            label = clean((given.get("choices") or {}).get(choice), "choice", f"q{question.id}-choice-{n}")
            if label:
                labels[choice] = label
        updates[question] = multilingual.with_text(own, language, "choices", labels)
    problems.raise_any()
    questionnaire.texts = texts
    for question, own in updates.items():
        question.texts = own
    db.session.flush()


def update_details(questionnaire: Questionnaire, *, title: str, intro: str) -> None:
    _require_draft(questionnaire)
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError(_("Give the questionnaire a title."), "title")
    if len(title) > 200:
        raise ServiceError(_("Keep the title under 200 characters."), "title")
    questionnaire.title = title
    questionnaire.intro = _clean_text(intro)
    db.session.flush()


def publish(questionnaire: Questionnaire, actor: User) -> None:
    """Publish a draft: new cases are opened on it from now on. It never changes again."""
    _require_draft(questionnaire)
    if not questionnaire.questions:
        raise ServiceError(_("Add at least one question before publishing."))
    # Every question was checked when it was saved; check the whole again, in order, since a
    # published version can never be corrected.
    seen: dict[str, Question] = {}
    for question in questionnaire.questions:
        if question.show_if_key:
            parent = seen.get(question.show_if_key)
            if parent is None or parent.kind not in CONDITION_KINDS or not question.show_if_values or \
                    not set(question.show_if_values) <= set(possible_values(parent)):
                raise ServiceError(_("The condition of question “%(key)s” no longer fits: edit it first.",
                                     key=question.key))
        seen[question.key] = question
    questionnaire.published_at = now_utc()
    db.session.flush()


# -- questions (drafts only) ----------------------------------------------------------------------

@dataclass
class QuestionData:
    """What the editor's form says about a question, before it is checked."""

    text: str
    kind: QuestionKind | str
    key: str = ""
    help: str = ""
    required: bool = True
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    choices: Iterable[str] = ()
    show_if_key: str | None = None
    show_if_values: Iterable[str] = ()
    exclusive_choices: Iterable[str] = ()
    date_range: str = PAST


def possible_values(question: Question) -> list[str]:
    """The answers a condition on ``question`` can name, as stored: ``yes``/``no`` for a yes/no
    question (whatever the language), the options as written for a choice question."""
    if question.kind is K.YES_NO:
        return [YES, NO]
    if question.kind in CHOICE_KINDS:
        return list(question.choices or [])
    return []


def value_label(parent: Question | None, value: str) -> str:
    """A value a condition names, as staff read it: Yes/No in their language for a yes/no
    question, an option as written for a choice question."""
    if (parent is None or parent.kind is K.YES_NO) and value in YES_NO_VALUES:
        return _("Yes") if value == YES else _("No")
    return value


def condition_value(parent: Question, value: str) -> str:
    """What staff gave as a condition's value, as stored: for a yes/no question the token or the
    word in the staff member's language ("ja", "oui") or in English, any case."""
    if parent.kind is K.YES_NO:
        word = value.strip().casefold()
        for token, label in ((YES, _("Yes")), (NO, _("No"))):
            if word in (token, label.casefold()):
                return token
    return value


def condition_labels(question: Question) -> list[str]:
    """The values ``question``'s condition names, as staff read them."""
    if not question.show_if_key:
        return []
    parent = next((q for q in question.questionnaire.questions if q.key == question.show_if_key), None)
    return [value_label(parent, v) for v in question.show_if_values or []]


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)[:6]
    slug = "_".join(words)[:48].strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"q_{slug}".strip("_")
    return slug


def _clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _lines(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = " ".join(str(value).split())
        if value and value not in out:
            out.append(value)
    return out


def _check(questionnaire: Questionnaire, data: QuestionData, question: Question | None) -> dict[str, Any]:
    """The question's columns, checked against the rest of the questionnaire; every problem is
    refused at once, each at its field."""
    problems = Problems()
    values = question_problems(questionnaire, data, question, problems)
    problems.raise_any()
    return values


def question_problems(questionnaire: Questionnaire, data: QuestionData, question: Question | None,
                      problems: Problems | None = None) -> dict[str, Any]:
    """The question's columns as far as they can be read; what is wrong goes into ``problems``."""
    problems = problems if problems is not None else Problems()
    others = [q for q in questionnaire.questions if q is not question]
    try:
        kind = QuestionKind(data.kind)
    except ValueError:
        problems.add(_("Choose a kind of question."), "kind")
        kind = None
    text = _clean_text(data.text)
    if not text:
        problems.add(_("Write the question."), "text")
    elif len(text) > QUESTION_TEXT_MAX:
        problems.add(_("Keep the question under %(n)s characters.", n=QUESTION_TEXT_MAX), "text")
    help_text = _clean_text(data.help)
    if len(help_text) > HELP_MAX:
        problems.add(_("Keep the help text under %(n)s characters.", n=HELP_MAX), "help")

    taken = {q.key for q in others}
    key = (data.key or "").strip().lower()
    if not key:
        key = base = slugify(text or "question")
        n = 2
        while key in taken:
            key, n = f"{base[:60]}_{n}", n + 1
    if not KEY_PATTERN.match(key):
        problems.add(_("A key is lower-case letters, digits and underscores, starting with a "
                       "letter (e.g. heart_condition)."), "key")
    elif key in taken:
        problems.add(_("Another question already has the key “%(key)s”.", key=key), "key")

    choices: list[str] = []
    exclusive: list[str] = []
    if kind in CHOICE_KINDS:
        choices = _lines(data.choices)
        if len(choices) < 2:
            problems.add(_("A choice question needs at least two options, one per line."), "choices")
        elif len(choices) > CHOICES_MAX:
            problems.add(_("A question can have at most %(n)s options.", n=CHOICES_MAX), "choices")
        elif any(len(c) > CHOICE_MAX for c in choices):
            problems.add(_("Keep each option under %(n)s characters.", n=CHOICE_MAX), "choices")
    if kind is K.MULTIPLE_CHOICE:
        exclusive = _lines(data.exclusive_choices)
        wrong = [c for c in exclusive if c not in choices]
        if wrong:
            problems.add(_("“%(value)s” is not one of the options above.", value=wrong[0]), "exclusive_choices")
        elif choices and len(exclusive) >= len(choices):
            problems.add(_("At least one option must go with others."), "exclusive_choices")

    unit, min_value, max_value = "", None, None
    if kind is K.NUMBER:
        unit = " ".join((data.unit or "").split())
        if len(unit) > UNIT_MAX:
            problems.add(_("Keep the unit under %(n)s characters.", n=UNIT_MAX), "unit")
        min_value, max_value = data.min_value, data.max_value
        for value, field in ((min_value, "min_value"), (max_value, "max_value")):
            if value is not None and not math.isfinite(float(value)):
                problems.add(_("Enter a number."), field)
        min_value = float(min_value) if min_value is not None and math.isfinite(float(min_value)) else None
        max_value = float(max_value) if max_value is not None and math.isfinite(float(max_value)) else None
        if min_value is not None and max_value is not None and min_value >= max_value:
            problems.add(_("The lowest value must be less than the highest."), "max_value")

    date_range = ANY_DATE
    if kind is K.DATE:
        date_range = data.date_range or PAST
        if date_range not in DATE_RANGES:
            problems.add(_("Choose which dates this question takes."), "date_range")
            date_range = PAST

    show_if_key = (data.show_if_key or "").strip() or None
    show_if_values: list[str] = []
    if show_if_key is not None:
        position = question.position if question is not None else _next_position(questionnaire)
        parent = next((q for q in others if q.key == show_if_key), None)
        if parent is None or parent.position >= position:
            problems.add(_("A question can only depend on a question before it."), "show_if_key")
        elif parent.kind not in CONDITION_KINDS:
            problems.add(_("A question can only depend on a yes/no or choice question."), "show_if_key")
        else:
            show_if_values = _lines(condition_value(parent, v) for v in _lines(data.show_if_values))
            allowed = possible_values(parent)
            wrong = [v for v in show_if_values if v not in allowed]
            if not show_if_values:
                problems.add(_("Say which answers to “%(key)s” show this question.", key=parent.key),
                             "show_if_values")
            elif wrong:
                problems.add(_("“%(value)s” is not an answer to “%(key)s”. Its answers are: %(allowed)s.",
                               value=wrong[0], key=parent.key,
                               allowed=", ".join(value_label(parent, v) for v in allowed)),
                             "show_if_values")

    return dict(
        key=key, text=text, help=help_text, kind=kind, required=bool(data.required), unit=unit,
        min_value=min_value, max_value=max_value, choices=choices, show_if_key=show_if_key,
        show_if_values=show_if_values, exclusive_choices=exclusive, date_range=date_range,
    )


def _next_position(questionnaire: Questionnaire) -> int:
    return max((q.position for q in questionnaire.questions), default=0) + 1


def dependents(question: Question) -> list[Question]:
    """The questions shown or hidden by ``question``'s answer."""
    return [q for q in question.questionnaire.questions if q.show_if_key == question.key and q is not question]


def add_question(questionnaire: Questionnaire, data: QuestionData) -> Question:
    _require_draft(questionnaire)
    values = _check(questionnaire, data, None)
    question = Question(position=_next_position(questionnaire), **values)
    questionnaire.questions.append(question)
    db.session.flush()
    return question


def update_question(question: Question, data: QuestionData) -> Question:
    questionnaire = question.questionnaire
    _require_draft(questionnaire)
    values = _check(questionnaire, data, question)
    children = dependents(question)
    if children:
        # The questions that depend on this one must still make sense afterwards.
        new_values = YES_NO_VALUES if values["kind"] is K.YES_NO else values["choices"]
        for child in children:
            if values["kind"] not in CONDITION_KINDS:
                raise ServiceError(_("Question “%(child)s” depends on this one's answer, so it must stay a "
                                     "yes/no or choice question.", child=child.key), "kind")
            lost = [v for v in child.show_if_values if v not in new_values]
            if lost:
                raise ServiceError(_("Question “%(child)s” is shown when this one is answered “%(value)s”: "
                                     "change that question's condition first.", child=child.key,
                                     value=value_label(question, lost[0])),
                                   "choices" if values["kind"] in CHOICE_KINDS else "kind")
        for child in children:  # a renamed key carries its dependents along
            child.show_if_key = values["key"]
    for name, value in values.items():
        setattr(question, name, value)
    db.session.flush()
    return question


def remove_question(question: Question) -> None:
    questionnaire = question.questionnaire
    _require_draft(questionnaire)
    children = dependents(question)
    if children:
        raise ServiceError(_("Question “%(child)s” depends on this one. Remove it or change its condition first.",
                             child=children[0].key))
    questionnaire.questions.remove(question)
    _renumber(questionnaire)
    db.session.flush()


def move_question(question: Question, offset: int) -> None:
    """Move a question up (-1) or down (+1) past its neighbour."""
    questionnaire = question.questionnaire
    _require_draft(questionnaire)
    ordered = sorted(questionnaire.questions, key=lambda q: q.position)
    index = ordered.index(question)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(ordered):
        return
    neighbour = ordered[target]
    upper, lower = (question, neighbour) if offset < 0 else (neighbour, question)
    # ``upper`` moves above ``lower``: wrong if ``upper`` depends on ``lower``.
    if upper.show_if_key == lower.key:
        raise ServiceError(_("Question “%(child)s” depends on “%(parent)s” and must stay below it.",
                             child=upper.key, parent=lower.key))
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for n, q in enumerate(ordered, start=1):
        q.position = n
    db.session.flush()


def _renumber(questionnaire: Questionnaire) -> None:
    for n, q in enumerate(sorted(questionnaire.questions, key=lambda q: q.position), start=1):
        q.position = n


# -- a tourist's case -----------------------------------------------------------------------------

def current_case(user: User, *, for_update: bool = False) -> MedicalCase | None:
    """The tourist's latest case; locked (and fresh) for the rest of the transaction if asked,
    so that two saves at once never both insert the same answer."""
    query = select(MedicalCase).where(MedicalCase.user_id == user.id).order_by(MedicalCase.id.desc()).limit(1)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def needs_renewal(case: MedicalCase, user: User) -> bool:
    """A clearance that no longer covers what it must: today, and every launch the tourist has a
    seat on. The tourist then answers a new questionnaire for a new clearance."""
    if not case.state.cleared:
        return False
    today = now_utc().date()
    launches = [clearances.launch_date(b.flight) for b in clearances.live_bookings(user.id)]
    return not clearances.covers(case, max([today, *launches]))


def open_case(user: User, *, for_update: bool = False) -> MedicalCase:
    """The tourist's current case, or a new one on the current questionnaire (the first one, or a
    renewal when the clearance no longer covers the tourist's launches)."""
    case = current_case(user, for_update=for_update)
    if case is not None and not needs_renewal(case, user):
        return case
    questionnaire = current_questionnaire()
    if questionnaire is None:
        raise ServiceError(_("The health questionnaire is not available yet. Please come back later."))
    # Lock the user's row, so that two first visits at once open one case, not two.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    case = current_case(user, for_update=for_update)
    if case is not None and not needs_renewal(case, user):
        return case
    case = MedicalCase(user_id=user.id, questionnaire_id=questionnaire.id)
    db.session.add(case)
    medical_access.transition(case, CaseState.ANSWERING, actor=user)
    return case


def answers_of(case: MedicalCase) -> dict[int, Any]:
    """Saved answers by question id."""
    return {a.question_id: a.value for a in case.answers}


def _tokens(question: Question, value: Any) -> set[str]:
    """An answer as the values a condition names."""
    if value is None:
        return set()
    if question.kind is K.YES_NO:
        return {YES if value is True else NO} if isinstance(value, bool) else set()
    if question.kind is K.SINGLE_CHOICE:
        return {value} if isinstance(value, str) else set()
    if question.kind is K.MULTIPLE_CHOICE:
        return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
    return set()


def visible_questions(questionnaire: Questionnaire, answers: Mapping[int, Any]) -> list[Question]:
    """The questions that apply, given ``answers`` (by question id), in order. A conditional
    question is shown when its parent is shown and answered with one of its values; conditions
    point at earlier questions, so one pass in order settles every chain."""
    shown: dict[str, Question] = {}
    result: list[Question] = []
    for question in sorted(questionnaire.questions, key=lambda q: q.position):
        if question.show_if_key:
            parent = shown.get(question.show_if_key)
            if parent is None or not (_tokens(parent, answers.get(parent.id)) & set(question.show_if_values or [])):
                continue
        shown[question.key] = question
        result.append(question)
    return result


def is_visible(question: Question, answers: Mapping[int, Any]) -> bool:
    return question in visible_questions(question.questionnaire, answers)


def _number(value: float) -> str:
    return format_decimal(int(value) if float(value).is_integer() else value)


def range_hint(question: Question) -> str:
    """E.g. "between 100 and 250 cm", for hints and for messages."""
    unit = f" {question.unit}" if question.unit else ""
    lo, hi = question.min_value, question.max_value
    if lo is not None and hi is not None:
        return _("between %(min)s and %(max)s%(unit)s", min=_number(lo), max=_number(hi), unit=unit)
    if lo is not None:
        return _("at least %(min)s%(unit)s", min=_number(lo), unit=unit)
    if hi is not None:
        return _("at most %(max)s%(unit)s", max=_number(hi), unit=unit)
    return ""


def date_bounds(question: Question, today: date | None = None) -> tuple[date, date]:
    """The earliest and the latest answer a date question takes."""
    today = today or now_utc().date()
    years_back = today.replace(year=today.year - PAST_YEARS) if not (today.month == 2 and today.day == 29) \
        else date(today.year - PAST_YEARS, 3, 1)
    years_ahead = today.replace(year=today.year + FUTURE_YEARS) if not (today.month == 2 and today.day == 29) \
        else date(today.year + FUTURE_YEARS, 2, 28)
    if question.date_range == PAST:
        return years_back, today
    if question.date_range == FUTURE:
        return today, years_ahead
    return date(1900, 1, 1), date(2100, 12, 31)


def date_problem(question: Question, value: date, today: date | None = None) -> str | None:
    """Why a date answer is refused, or ``None``."""
    earliest, latest = date_bounds(question, today)
    if earliest <= value <= latest:
        return None
    if question.date_range == PAST:
        if value > latest:
            return _("This date is in the future. Enter the date it happened: today or earlier.")
        return _("Check the year: enter a date after %(date)s.", date=format_date(earliest))
    if question.date_range == FUTURE:
        if value < earliest:
            return _("This date has passed. Enter a date from today on.")
        return _("Check the year: enter a date before %(date)s.", date=format_date(latest))
    return _("Enter a date between 1900 and 2100.")


def validate_answer(question: Question, raw: Any, case: MedicalCase | None = None) -> Any:
    """The answer as it is stored (JSON), or ``None`` for no answer; a :class:`ServiceError`
    saying what is wrong otherwise. ``raw`` is what the form sent: a string, or a list of strings
    for multiple choice and files (upload ids)."""
    field = f"q{question.id}"
    kind = question.kind
    if kind in (K.MULTIPLE_CHOICE, K.FILE):
        items = raw if isinstance(raw, (list, tuple)) else ([] if raw in (None, "") else [raw])
        items = [str(i).strip() for i in items if str(i).strip()]
        if not items:
            return None
        if kind is K.MULTIPLE_CHOICE:
            if any(i not in question.choices for i in items):
                raise ServiceError(_("Choose from the options given."), field)
            chosen = [c for c in question.choices if c in items]  # in the questionnaire's order
            alone = [c for c in chosen if c in (question.exclusive_choices or [])]
            if alone and len(chosen) > 1:
                raise ServiceError(_("“%(option)s” cannot be ticked together with other options: untick "
                                     "it, or untick the others.",
                                     option=question.choice_label(alone[0], str(get_locale() or "en"))), field)
            return chosen
        try:
            ids = list(dict.fromkeys(int(i) for i in items))
        except ValueError:
            raise ServiceError(_("This file is not one of your uploads."), field) from None
        found = set(db.session.scalars(select(MedicalUpload.id).where(
            MedicalUpload.id.in_(ids), MedicalUpload.case_id == (case.id if case else -1),
            MedicalUpload.question_id == question.id,
        )))
        if set(ids) != found:
            raise ServiceError(_("This file is not one of your uploads."), field)
        return ids

    if isinstance(raw, bool) and kind is K.YES_NO:
        return raw
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    text = _clean_text(str(raw) if raw is not None else "")
    if not text:
        return None
    if kind is K.YES_NO:
        if text.lower() not in (YES, NO):
            raise ServiceError(_("Answer yes or no."), field)
        return text.lower() == YES
    if kind is K.TEXT:
        if len(text) > TEXT_MAX:
            raise ServiceError(_("Keep this answer under %(n)s characters (it has %(has)s).",
                                 n=format_decimal(TEXT_MAX), has=format_decimal(len(text))), field)
        return text
    if kind is K.NUMBER:
        try:
            value = float(text.replace(" ", "").replace(",", "."))
        except ValueError:
            value = math.nan
        hint = range_hint(question)
        if not math.isfinite(value):
            raise ServiceError(_("Enter a number, %(range)s.", range=hint) if hint else _("Enter a number."), field)
        lo, hi = question.min_value, question.max_value
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ServiceError(_("Enter a number %(range)s.", range=hint), field)
        return int(value) if value.is_integer() else value
    if kind is K.DATE:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ServiceError(_("Enter a date as YYYY-MM-DD."), field)
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise ServiceError(_("This date does not exist."), field) from None
        problem = date_problem(question, parsed)
        if problem:
            raise ServiceError(problem, field)
        return parsed.isoformat()
    if kind is K.SINGLE_CHOICE:
        if text not in question.choices:
            raise ServiceError(_("Choose one of the options given."), field)
        return text
    raise ServiceError(_("This question cannot be answered here."), field)


def require_answerable(case: MedicalCase) -> None:
    if case.state not in ANSWERABLE:
        raise ServiceError(_("Your questionnaire has been submitted, so answers can no longer be "
                             "changed. If something has changed, tell the medical team."))


def _question_of(case: MedicalCase, question: Question) -> None:
    if question.questionnaire_id != case.questionnaire_id:
        raise ServiceError(_("This question is not part of your questionnaire."))


def set_answer(case: MedicalCase, question: Question, value: Any) -> Answer | None:
    """Store an already checked value (``None`` removes the answer)."""
    answer = next((a for a in case.answers if a.question_id == question.id), None)
    if value is None:
        if answer is not None:
            case.answers.remove(answer)
            db.session.flush()
        return None
    if answer is None:
        answer = Answer(question_id=question.id, value=value)
        case.answers.append(answer)
    else:
        answer.value = value
        answer.updated_at = now_utc()
    db.session.flush()
    return answer


def save_answer(case: MedicalCase, question: Question, raw: Any, actor: User) -> Answer | None:
    """Check and save one answer while the tourist fills in the questionnaire (or while medical
    staff have asked for more). An empty answer removes the saved one."""
    require_answerable(case)
    _question_of(case, question)
    if question.kind is K.FILE:
        raise ServiceError(_("Upload a file to answer this question."), f"q{question.id}")
    if not is_visible(question, answers_of(case)):
        raise ServiceError(_("This question does not apply to your earlier answers."), f"q{question.id}")
    return set_answer(case, question, validate_answer(question, raw, case))


def save_answers(case: MedicalCase, raw_by_question: Mapping[int, Any], actor: User) -> dict[int, str]:
    """Save many answers at once (the whole form, sent without JavaScript). Questions are taken in
    order, so an answer that shows a later question counts for it. Returns the problems by
    question id; the caller saves nothing when there are any."""
    require_answerable(case)
    errors: dict[int, str] = {}
    answers = answers_of(case)
    questions = {q.id: q for q in case.questionnaire.questions}
    for question in sorted(questions.values(), key=lambda q: q.position):
        if question.id not in raw_by_question or question.kind is K.FILE:
            continue
        if not is_visible(question, answers):
            continue
        try:
            value = validate_answer(question, raw_by_question[question.id], case)
        except ServiceError as exc:
            errors[question.id] = exc.message
            continue
        set_answer(case, question, value)
        if value is None:
            answers.pop(question.id, None)
        else:
            answers[question.id] = value
    return errors


def missing_answers(case: MedicalCase) -> list[Question]:
    """The questions that apply and are required, but have no answer yet."""
    answers = answers_of(case)
    return [q for q in visible_questions(case.questionnaire, answers)
            if q.required and answers.get(q.id) in (None, "", [])]


def answered_counts(case: MedicalCase) -> tuple[int, int]:
    """(answered, applicable) questions, for the progress line."""
    answers = answers_of(case)
    visible = visible_questions(case.questionnaire, answers)
    return sum(1 for q in visible if answers.get(q.id) not in (None, "", [])), len(visible)


class IncompleteQuestionnaire(ServiceError):
    def __init__(self, missing: list[Question]) -> None:
        super().__init__(_("Please answer every question that applies to you before submitting. "
                           "Still to answer: %(list)s.", list="; ".join(q.text for q in missing)))
        self.missing = missing


def _drop_hidden_answers(case: MedicalCase) -> None:
    """Answers to questions that no longer apply are not part of what is submitted."""
    answers = answers_of(case)
    visible = {q.id for q in visible_questions(case.questionnaire, answers)}
    for answer in [a for a in case.answers if a.question_id not in visible]:
        case.answers.remove(answer)
    for upload in db.session.scalars(select(MedicalUpload).where(MedicalUpload.case_id == case.id)):
        if upload.question_id not in visible:
            files.discard_upload(case, upload)
    db.session.flush()


def _require_complete(case: MedicalCase) -> None:
    missing = missing_answers(case)
    if missing:
        raise IncompleteQuestionnaire(missing)


def _sync_reminders(case: MedicalCase) -> None:
    clearances.sync_reminders(case)


def submit(case: MedicalCase, actor: User) -> None:
    """Hand the questionnaire to medical staff. Every required question that applies must be
    answered; answers to questions that no longer apply are removed."""
    if case.state is CaseState.INFO_REQUESTED:
        raise ServiceError(_("The medical team asked you for more information: answer them below."))
    if case.state is not CaseState.ANSWERING:
        raise ServiceError(_("Your questionnaire has already been submitted."))
    _require_complete(case)
    _drop_hidden_answers(case)
    case.submitted_at = now_utc()
    medical_access.transition(case, CaseState.SUBMITTED, actor=actor)
    _sync_reminders(case)


def answer_info_request(case: MedicalCase, actor: User, text: str) -> None:
    """The tourist answers what medical staff asked; the case goes back for review."""
    if case.state is not CaseState.INFO_REQUESTED:
        raise ServiceError(_("The medical team has not asked you for anything."))
    text = _clean_text(text)
    if not text:
        raise ServiceError(_("Write your answer to the medical team."), "response")
    if len(text) > INFO_RESPONSE_MAX:
        raise ServiceError(_("Keep your answer under %(n)s characters.", n=format_decimal(INFO_RESPONSE_MAX)),
                           "response")
    _require_complete(case)  # answers may have been changed meanwhile
    _drop_hidden_answers(case)
    case.info_response = text
    case.submitted_at = now_utc()
    medical_access.transition(case, CaseState.SUBMITTED, actor=actor)
    _sync_reminders(case)
