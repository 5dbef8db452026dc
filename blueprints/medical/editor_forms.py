"""Forms of the questionnaire editor: a version's details, a question, moving one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.errors import Problems, ServiceError
from app.i18n import lazy_gettext as _l
from app.medical import questionnaires as qs
from app.models import Question, QuestionKind
from blueprints.forms import REQUIRED, CheckedForm, DecimalField

#: What medical staff read for each kind of question.
QUESTION_KINDS = {
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.TEXT: _l("Text"),
    QuestionKind.NUMBER: _l("Number (with unit and range)"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.SINGLE_CHOICE: _l("One choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Several choices"),
    QuestionKind.FILE: _l("File upload (PDF, JPEG, PNG)"),
}


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class DetailsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    intro = TextAreaField(_l("Introduction (shown above the questions)"), validators=[Optional(), Length(max=4000)])


#: Which dates a date question takes.
DATE_RANGES = [
    (qs.PAST, _l("Today or earlier (something that happened)")),
    (qs.FUTURE, _l("Today or later (something planned)")),
    (qs.ANY_DATE, _l("Any date from 1900 to 2100")),
]


class QuestionForm(CheckedForm):
    text = TextAreaField(_l("Question"), validators=[DataRequired(REQUIRED), Length(max=qs.QUESTION_TEXT_MAX)])
    kind = SelectField(_l("Kind of answer"), choices=[(k.value, label) for k, label in QUESTION_KINDS.items()],
                       default=QuestionKind.YES_NO.value)
    key = StringField(_l("Key"), validators=[Optional(), Length(max=64)])
    help = TextAreaField(_l("Help text (optional)"), validators=[Optional(), Length(max=qs.HELP_MAX)])
    required = BooleanField(_l("An answer is required"), default=True)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=qs.UNIT_MAX)])
    min_value = DecimalField(_l("Lowest value"), places=None, validators=[Optional()])
    max_value = DecimalField(_l("Highest value"), places=None, validators=[Optional()])
    choices = TextAreaField(_l("Options, one per line"), validators=[Optional(), Length(max=8000)])
    exclusive_choices = TextAreaField(_l("Options answered on their own, one per line (several choices only)"),
                                      validators=[Optional(), Length(max=8000)])
    date_range = SelectField(_l("Dates taken"), choices=DATE_RANGES, default=qs.PAST)
    show_if_key = SelectField(_l("Show this question"), choices=[], validate_choice=False)
    #: Ticked as "parent_key:value" (keys have no colon), under each question this one can depend
    #: on, so that the page works without JavaScript; only the chosen parent's values count. A
    #: value alone (e.g. "yes", "ja" or an option) is taken as the chosen parent's.
    show_if_values = SelectMultipleField(_l("When its answer is"), choices=[], validate_choice=False)

    parents: list[Question] = []
    #: Set by the page: the questionnaire, and the question edited (None for a new one).
    questionnaire = None
    question = None

    def service_problems(self) -> list[ServiceError]:
        if self.questionnaire is None:
            return []
        problems = Problems()
        qs.question_problems(self.questionnaire, self.data_for_service(), self.question, problems)
        return problems.errors

    def set_parents(self, questions: list[Question], before: int | None) -> None:
        """The questions this one can depend on: yes/no and choice questions before it."""
        self.parents = [q for q in questions
                        if q.kind in qs.CONDITION_KINDS and (before is None or q.position < before)]
        self.show_if_key.choices = [("", _l("Always"))] + [
            (q.key, _l("Only after question %(n)s: %(text)s", n=q.position, text=_short(q.text)))
            for q in self.parents
        ]

    def condition_options(self) -> list[tuple[Question, list[tuple[str, str, bool]]]]:
        """For each possible parent, its answers as (value, label, ticked), labels translated."""
        ticked = set(self.show_if_values.data or [])
        return [
            (parent, [(f"{parent.key}:{v}", qs.value_label(parent, v), f"{parent.key}:{v}" in ticked)
                      for v in qs.possible_values(parent)])
            for parent in self.parents
        ]

    def _condition_values(self, key: str | None) -> list[str]:
        keys = {q.key for q in self.parents}
        values: list[str] = []
        for raw in self.show_if_values.data or []:
            for line in str(raw).splitlines():
                prefix, colon, value = line.partition(":")
                if colon and prefix in keys:
                    if prefix == key:
                        values.append(value)
                elif line.strip():
                    values.append(line)
        return values

    def fill(self, question: Question) -> None:
        self.text.data, self.kind.data, self.key.data = question.text, question.kind.value, question.key
        self.help.data, self.required.data, self.unit.data = question.help, question.required, question.unit
        self.min_value.data, self.max_value.data = question.min_value, question.max_value
        self.choices.data = "\n".join(question.choices or [])
        self.exclusive_choices.data = "\n".join(question.exclusive_choices or [])
        self.date_range.data = question.date_range
        self.show_if_key.data = question.show_if_key or ""
        self.show_if_values.data = [f"{question.show_if_key}:{v}" for v in question.show_if_values or []]

    def data_for_service(self) -> qs.QuestionData:
        def lines(text: str | None) -> list[str]:
            return [line for line in (text or "").splitlines() if line.strip()]

        return qs.QuestionData(
            text=self.text.data or "", kind=self.kind.data, key=self.key.data or "", help=self.help.data or "",
            required=bool(self.required.data), unit=self.unit.data or "",
            min_value=float(self.min_value.data) if self.min_value.data is not None else None,
            max_value=float(self.max_value.data) if self.max_value.data is not None else None,
            choices=lines(self.choices.data), show_if_key=self.show_if_key.data or None,
            show_if_values=self._condition_values(self.show_if_key.data or None),
            exclusive_choices=lines(self.exclusive_choices.data), date_range=self.date_range.data or qs.PAST,
        )
