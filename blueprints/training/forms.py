"""Forms of the training pages: a module (its texts in every language), a plan and its items, a
session (or a series), cancelling one, booking or moving a place, and the instructor's sign-off."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.config import LANGUAGES
from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.labels import MODULE_KINDS, SAFETY_TOPICS
from app.models import ModuleKind, SafetyTopic, TrainingModule
from app.timeutil import UTC, now_utc
from app.training import modules as module_service
from app.training import plans as plan_service
from app.training import sessions as session_service
from app.training.labels import ATTENDANCE
from app.training.modules import ModuleData
from app.training.sessions import SessionData
from blueprints.forms import LANGUAGE_CHOICES, REQUIRED, TIMEZONE_CHOICES, CheckedForm, IntegerField


class CheckboxesField(SelectMultipleField):
    """Several choices, shown as a group of checkboxes; an unknown value is a field error."""


class ModuleForm(CheckedForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in MODULE_KINDS.items()],
                       default=ModuleKind.CLASSROOM.value)
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[InputRequired(REQUIRED)])
    topics = CheckboxesField(_l("14 CFR 460.51 topics it trains"),
                             choices=[(t.value, label) for t, label in SAFETY_TOPICS.items()])
    validity_days = IntegerField(_l("A pass stays valid for (days)"), validators=[Optional()])
    pass_mark = IntegerField(_l("Pass mark (percent, exams only)"), validators=[Optional()])
    default_language = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES, default="en")
    prerequisites = CheckboxesField(_l("Must be passed first"), coerce=int, choices=[])

    #: Set by the page: the module edited (None for a new one).
    module: TrainingModule | None = None

    def set_prerequisites(self, modules: list[TrainingModule], language: str) -> None:
        own = self.module.id if self.module is not None else None
        self.prerequisites.choices = [(m.id, m.text(language)) for m in modules if m.id != own]

    def text_fields(self):
        """(language code, language name, name field, description field) per language."""
        return [(code, name, self[f"name_{code}"], self[f"description_{code}"]) for code, name in LANGUAGE_CHOICES]

    def fill(self, module: TrainingModule) -> None:
        self.kind.data = module.kind.value
        self.duration_minutes.data = module.duration_minutes
        self.topics.data = list(module.topics or [])
        self.validity_days.data = module.validity_days
        self.pass_mark.data = module.pass_mark
        self.default_language.data = module.default_language
        self.prerequisites.data = [m.id for m in module.prerequisites]
        for code, _name, name_field, description_field in self.text_fields():
            text = (module.texts or {}).get(code) or {}
            name_field.data, description_field.data = text.get("name", ""), text.get("description", "")

    def module_data(self) -> ModuleData:
        return ModuleData(
            kind=ModuleKind(self.kind.data) if not self.kind.errors else ModuleKind.CLASSROOM,
            duration_minutes=self.duration_minutes.data if self.duration_minutes.data is not None else 0,
            topics={SafetyTopic(t) for t in (self.topics.data or []) if not self.topics.errors},
            validity_days=self.validity_days.data, pass_mark=self.pass_mark.data,
            texts={code: {"name": name.data or "", "description": description.data or ""}
                   for code, _n, name, description in self.text_fields()},
            default_language=self.default_language.data,
            prerequisite_ids=[] if self.prerequisites.errors else list(self.prerequisites.data or []),
        )

    def service_problems(self) -> list[ServiceError]:
        data = self.module_data()
        problems = module_service.module_problems(data, self.module)
        if self.duration_minutes.errors:
            problems = [p for p in problems if p.field != "duration_minutes"]
        return problems


for _code, _name in LANGUAGES.items():
    setattr(ModuleForm, f"name_{_code}", StringField(_l("Name"), validators=[Optional(), Length(max=module_service.NAME_MAX)]))
    setattr(ModuleForm, f"description_{_code}", TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=module_service.DESCRIPTION_MAX)]))


class PlanForm(FlaskForm):
    """A new draft plan, for a vehicle (every flight of it) or one flight."""
    target = SelectField(_l("Plan for"), choices=[], validators=[DataRequired(REQUIRED)])


class PlanItemForm(FlaskForm):
    module = SelectField(_l("Module"), coerce=int, choices=[], validators=[InputRequired(REQUIRED)])
    deadline_days = IntegerField(
        _l("Passed by (days before launch)"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(0, plan_service.DEADLINE_MAX_DAYS,
                                _l("A deadline is from 0 to %(max)s days before launch.", max=plan_service.DEADLINE_MAX_DAYS))],
    )


class SessionForm(CheckedForm):
    module_id = SelectField(_l("Module"), coerce=int, choices=[], validators=[InputRequired(REQUIRED)])
    starts_at = DateTimeLocalField(_l("Starts (at the place's local time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter when the session starts."))])
    timezone = SelectField(_l("Time zone of the place"), choices=[(tz, tz) for tz in TIMEZONE_CHOICES], default="UTC")
    place = StringField(_l("Place"), validators=[DataRequired(REQUIRED), Length(max=session_service.PLACE_MAX)])
    capacity = IntegerField(_l("Places"), validators=[InputRequired(REQUIRED)])
    instructor_ids = CheckboxesField(_l("Instructors"), coerce=int, choices=[])
    repeat = IntegerField(_l("Number of sessions in the series"), default=1, validators=[Optional()])
    every_days = IntegerField(_l("Days between sessions"), default=7, validators=[Optional()])
    #: Asked only when a move would make booked participants miss their deadline.
    confirm_late = BooleanField(_l("Move it anyway and tell them to move to an earlier session"))

    #: Set by the page: the session edited (None for a new one).
    session = None

    def starts_utc(self) -> datetime | None:
        if self.starts_at.data is None or self.starts_at.errors or self.timezone.errors:
            return None
        return self.starts_at.data.replace(tzinfo=ZoneInfo(self.timezone.data)).astimezone(UTC)

    def validate_starts_at(self, field) -> None:
        """A session starts within the years a plan can reach; a wall-clock time the place's
        clocks skip (the hour they go forward) does not exist."""
        if field.data is None:
            return
        this_year = now_utc().year
        if not this_year - 1 <= field.data.year <= this_year + session_service.YEARS_AHEAD:
            raise ValidationError(_l("A session starts within the next %(years)s years.",
                                     years=session_service.YEARS_AHEAD))
        if self.timezone.data not in dict(self.timezone.choices):
            return
        zone = ZoneInfo(self.timezone.data)
        there = field.data.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if there != field.data:
            raise ValidationError(_l("This time does not exist at the place: the clocks go forward then. "
                                     "Choose another time."))

    def session_data(self) -> SessionData:
        return SessionData(
            module_id=None if self.session is not None or self.module_id.errors else self.module_id.data,
            starts_at=self.starts_utc(), timezone="UTC" if self.timezone.errors else self.timezone.data, place=self.place.data or "",
            capacity=None if self.capacity.errors else self.capacity.data,
            instructor_ids=[] if self.instructor_ids.errors else list(self.instructor_ids.data or []),
        )

    def service_problems(self) -> list[ServiceError]:
        data = self.session_data()
        if data.starts_at is None and self.session is not None:
            data.starts_at = self.session.starts_at
        return session_service.session_problems(data, self.session)


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(_l("Why is it cancelled? (its participants read this)"),
                           validators=[DataRequired(REQUIRED), Length(max=session_service.REASON_MAX)])


class BookForm(FlaskForm):
    """A place in a session for one of the tourist's bookings."""
    booking = HiddenField(validators=[DataRequired(REQUIRED), Length(max=16)])


class MoveForm(FlaskForm):
    session = SelectField(_l("Move to"), coerce=int, choices=[], validators=[InputRequired(REQUIRED)])


class MarkForm(FlaskForm):
    attendance = RadioField(_l("Attendance"), choices=[(a.value, label) for a, label in ATTENDANCE.items()],
                            validators=[InputRequired(_l("Choose present, absent or excused."))])
    result = RadioField(_l("Result"), choices=[("passed", _l("Passed")), ("failed", _l("Failed"))],
                        validators=[Optional()])
    score = IntegerField(_l("Score (percent)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
