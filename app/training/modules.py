"""Training modules, as operations keep them: what each trains (the 14 CFR 460.51 topics), its kind
and length, what must be passed first, how long a pass stays valid, an exam's pass mark, and its
name and description in each language."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import Problems, ServiceError
from app.extensions import db
from app.models import (
    ModuleKind,
    PlanItem,
    SafetyTopic,
    TrainingModule,
    TrainingPlan,
    module_prerequisites,
)

#: A module is a session's length at most: two weeks is a typing error, not a module.
DURATION_MAX_MINUTES = 14 * 24 * 60
#: How long a pass can stay valid, in days (ten years); no limit is written as "never expires".
VALIDITY_MAX_DAYS = 3650
NAME_MAX = 120
DESCRIPTION_MAX = 4000


@dataclass
class ModuleData:
    kind: ModuleKind
    duration_minutes: int
    topics: set[SafetyTopic] = field(default_factory=set)
    validity_days: int | None = None
    pass_mark: int | None = None
    #: ``{language: {"name": ..., "description": ...}}``; languages left out have no text of their own.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    default_language: str = "en"
    prerequisite_ids: list[int] = field(default_factory=list)


def _requirements() -> dict[int, set[int]]:
    """Every module's direct prerequisites (one small table, read at once)."""
    edges: dict[int, set[int]] = {}
    for module_id, requires_id in db.session.execute(select(module_prerequisites)):
        edges.setdefault(module_id, set()).add(requires_id)
    return edges


def _requires(start: int, target: int, edges: dict[int, set[int]]) -> bool:
    """Whether ``start`` needs ``target`` passed first, directly or through other modules."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))
    return False


def module_problems(data: ModuleData, module: TrainingModule | None = None) -> list[ServiceError]:
    """Everything wrong with ``data``, each at its field (``name_<language>`` for a text)."""
    problems = Problems()
    languages = current_app.config["LANGUAGES"]
    if data.default_language not in languages:
        problems.add(_("Choose one of the languages Countdown speaks."), "default_language")
    for language, text in data.texts.items():
        if language not in languages:
            problems.add(_("Choose one of the languages Countdown speaks."), "default_language")
            continue
        if len((text.get("name") or "").strip()) > NAME_MAX:
            problems.add(_("A name has at most %(max)s characters.", max=NAME_MAX), f"name_{language}")
        if len((text.get("description") or "").strip()) > DESCRIPTION_MAX:
            problems.add(_("A description has at most %(max)s characters.", max=DESCRIPTION_MAX),
                         f"description_{language}")
    if not (data.texts.get(data.default_language, {}).get("name") or "").strip():
        problems.add(_("Give the module a name in its default language."), f"name_{data.default_language}")
    if not 1 <= data.duration_minutes <= DURATION_MAX_MINUTES:
        problems.add(_("A module lasts from 1 minute to 14 days."), "duration_minutes")
    if data.validity_days is not None and not 1 <= data.validity_days <= VALIDITY_MAX_DAYS:
        problems.add(_("A pass stays valid from 1 day to 10 years; leave it empty for a pass that "
                       "never expires."), "validity_days")
    if data.kind is ModuleKind.EXAM:
        if data.pass_mark is None or not 0 <= data.pass_mark <= 100:
            problems.add(_("An exam needs a pass mark from 0 to 100 percent."), "pass_mark")
    elif data.pass_mark is not None:
        problems.add(_("Only an exam has a pass mark."), "pass_mark")
    wanted = set(data.prerequisite_ids)
    if wanted:
        known = set(db.session.scalars(select(TrainingModule.id).where(TrainingModule.id.in_(wanted))))
        if known != wanted:
            problems.add(_("Choose prerequisites from the modules listed."), "prerequisites")
        elif module is not None:
            edges = _requirements()  # a new module cannot close a circle: read only for an edit
            if module.id in wanted or any(_requires(m, module.id, edges) for m in wanted):
                problems.add(_("A module cannot need itself first, directly or through the modules it "
                               "needs."), "prerequisites")
    if module is not None and not problems.has("prerequisites"):
        added = set(data.prerequisite_ids) - {m.id for m in module.prerequisites}
        for plan in published_plans_with(module) if added else []:
            deadlines = {item.module_id: item.deadline_days for item in plan.items}
            own = deadlines[module.id]
            if any(deadlines.get(needed, -1) < own for needed in added):
                problems.add(_("A published plan requires this module without the new prerequisite (or "
                               "with a later deadline for it): publish a plan that has it first."),
                             "prerequisites")
                break
    if module is not None and data.topics != {SafetyTopic(t) for t in (module.topics or [])}:
        for plan in published_plans_with(module):
            others = {SafetyTopic(t) for item in plan.items if item.module_id != module.id
                      for t in (item.module.topics or [])}
            if set(SafetyTopic) - others - data.topics:
                problems.add(_("A published plan relies on this module for the 14 CFR 460.51 topics it "
                               "trains: keep them, or publish a plan without it first."), "topics")
                break
    return problems.errors


def published_plans_with(module: TrainingModule) -> list[TrainingPlan]:
    return list(db.session.scalars(
        select(TrainingPlan).join(PlanItem, PlanItem.plan_id == TrainingPlan.id)
        .where(PlanItem.module_id == module.id, TrainingPlan.published_at.is_not(None))
    ))


def _apply(module: TrainingModule, data: ModuleData) -> None:
    module.kind = data.kind
    module.duration_minutes = data.duration_minutes
    module.topics = [t.value for t in SafetyTopic if t in data.topics]
    module.validity_days = data.validity_days
    module.pass_mark = data.pass_mark
    module.default_language = data.default_language
    module.texts = {
        language: {"name": (text.get("name") or "").strip(), "description": (text.get("description") or "").strip()}
        for language, text in data.texts.items()
        if (text.get("name") or "").strip() or (text.get("description") or "").strip()
    }
    module.prerequisites = list(db.session.scalars(
        select(TrainingModule).where(TrainingModule.id.in_(sorted(set(data.prerequisite_ids))))
    )) if data.prerequisite_ids else []


def create_module(data: ModuleData) -> TrainingModule:
    Problems(module_problems(data)).raise_any()
    module = TrainingModule()
    _apply(module, data)
    db.session.add(module)
    db.session.flush()
    return module


def update_module(module: TrainingModule, data: ModuleData) -> TrainingModule:
    Problems(module_problems(data, module)).raise_any()
    _apply(module, data)
    db.session.flush()
    return module
