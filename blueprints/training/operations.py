"""Operations run training: the modules they keep, a plan per vehicle or flight, sessions (single or
a series; moved or cancelled), and per flight a tourist × module table of who is behind."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking import flights as flight_service
from app.extensions import db
from app.models import (
    Flight,
    FlightStatus,
    PlanItem,
    Role,
    SessionPlace,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    User,
)
from app.timeutil import now_utc
from app.training import modules as module_service
from app.training import places as place_service
from app.training import plans as plan_service
from app.training import progress
from app.training import sessions as session_service
from app.transactions import commit
from blueprints.access import ops_only
from blueprints.forms import ActionForm, attempt, form_status, save
from blueprints.training.forms import (
    CancelSessionForm,
    ModuleForm,
    PlanForm,
    PlanItemForm,
    SessionForm,
)

bp = Blueprint("operations", __name__, url_prefix="/ops/training")


def _language() -> str:
    return current_user.language or "en"


def _modules(include_archived: bool = False) -> list[TrainingModule]:
    query = select(TrainingModule).order_by(TrainingModule.id)
    if not include_archived:
        query = query.where(TrainingModule.archived_at.is_(None))
    return list(db.session.scalars(query))


# -- who is behind: a flight's tourists against its plan's modules ------------------------------------

@bp.get("")
@ops_only
def index():
    now = now_utc()
    flights = list(db.session.scalars(
        select(Flight).where(Flight.status.notin_([FlightStatus.FLOWN, FlightStatus.CANCELLED]),
                             Flight.window_closes_at >= now).order_by(Flight.launch_at).limit(200)
    ))
    flight = None
    chosen = request.args.get("flight", "")
    if chosen:
        flight = db.session.get(Flight, int(chosen)) if chosen.isascii() and chosen.isdecimal() and len(chosen) < 10 else None
        if flight is None:
            abort(404)
    elif flights:
        flight = flights[0]
    table = None
    if flight is not None:
        bookings = flight_service.bookings_of_flight(flight)
        live = [b for b in bookings if b.state.value == "confirmed" or b.hold_is_live(now)]
        plan = progress.plans_for_flights([flight])[flight.id]
        table = {"plan": plan, "rows": progress.progress_for(live, now, plans={flight.id: plan})}
    return render_template("training/operations/index.html", flights=flights, flight=flight, table=table,
                           language=_language(), now=now)


# -- modules ------------------------------------------------------------------------------------------

@bp.get("/modules")
@ops_only
def modules():
    rows = list(db.session.scalars(
        select(TrainingModule).options(selectinload(TrainingModule.prerequisites))
        .order_by(TrainingModule.archived_at.is_not(None), TrainingModule.id)
    ))
    return render_template("training/operations/modules.html", modules=rows, language=_language(),
                           form=ActionForm(formdata=None))


def _module_form(module: TrainingModule | None = None, **kw) -> ModuleForm:
    form = ModuleForm(**kw)
    form.module = module
    form.set_prerequisites(_modules(), _language())
    return form


@bp.route("/modules/new", methods=["GET", "POST"])
@ops_only
def new_module():
    form = _module_form()
    if form.validate_on_submit():
        saved, module = save(form, lambda: module_service.create_module(form.module_data()))
        if saved:
            flash(_("Module %(name)s created.", name=module.text(_language())), "success")
            return redirect(url_for("training.operations.modules"))
    return render_template("training/operations/module_form.html", form=form, module=None), form_status()


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
@ops_only
def edit_module(module_id: int):
    module = db.session.get(TrainingModule, module_id) or abort(404)
    if request.method == "GET":
        form = _module_form(module, formdata=None)
        form.fill(module)
    else:
        form = _module_form(module)
        if form.validate_on_submit():
            saved, _module = save(form, lambda: module_service.update_module(module, form.module_data()))
            if saved:
                flash(_("Module %(name)s saved.", name=module.text(_language())), "success")
                return redirect(url_for("training.operations.modules"))
    return render_template("training/operations/module_form.html", form=form, module=module), form_status()


@bp.post("/modules/<int:module_id>/archive")
@ops_only
def archive_module(module_id: int):
    module = db.session.get(TrainingModule, module_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if module.archived_at is None:
        module.archived_at = now_utc()
        flash(_("%(name)s is no longer offered. Plans and passes that name it keep it.",
                name=module.text(_language())), "success")
    else:
        module.archived_at = None
        flash(_("%(name)s is offered again.", name=module.text(_language())), "success")
    commit()
    return redirect(url_for("training.operations.modules"))


# -- plans --------------------------------------------------------------------------------------------

def _targets() -> list[tuple[str, str]]:
    vehicles = db.session.scalars(select(Flight.vehicle).distinct().order_by(Flight.vehicle)).all()
    flights = db.session.scalars(
        select(Flight).where(Flight.status.notin_([FlightStatus.FLOWN, FlightStatus.CANCELLED]))
        .order_by(Flight.launch_at).limit(200)
    ).all()
    return ([(f"vehicle:{v}", _("Every flight of %(vehicle)s", vehicle=v)) for v in vehicles]
            + [(f"flight:{f.id}", _("Flight %(name)s only", name=f.name)) for f in flights])


@bp.get("/plans")
@ops_only
def plans():
    rows = list(db.session.scalars(
        select(TrainingPlan).options(selectinload(TrainingPlan.items))
        .order_by(TrainingPlan.published_at.is_(None).desc(), TrainingPlan.published_at.desc(), TrainingPlan.id.desc())
    ))
    flights = {f.id: f for f in db.session.scalars(
        select(Flight).where(Flight.id.in_({p.flight_id for p in rows if p.flight_id})))}
    form = PlanForm(formdata=None)
    form.target.choices = _targets()
    return render_template("training/operations/plans.html", plans=rows, flights=flights, form=form,
                           current=_current_plan_ids(rows))


def _current_plan_ids(rows: list[TrainingPlan]) -> set[int]:
    """The published plans that apply now: the newest per vehicle and per flight."""
    seen: set[tuple[str, object]] = set()
    current = set()
    for plan in sorted((p for p in rows if p.published_at), key=lambda p: (p.published_at, p.id), reverse=True):
        key = ("flight", plan.flight_id) if plan.flight_id else ("vehicle", plan.vehicle)
        if key not in seen:
            seen.add(key)
            current.add(plan.id)
    return current


@bp.post("/plans")
@ops_only
def new_plan():
    form = PlanForm()
    form.target.choices = _targets()
    if not form.validate_on_submit():
        flash(_("Choose a vehicle or a flight for the plan."), "error")
        return redirect(url_for("training.operations.plans"))
    kind, _sep, value = form.target.data.partition(":")
    plan = TrainingPlan(vehicle=value) if kind == "vehicle" else TrainingPlan(flight_id=int(value))
    db.session.add(plan)
    db.session.flush()
    # A new plan starts as a copy of the one it replaces, so a change is a small edit.
    previous = _replaced(plan)
    if previous is not None:
        for item in previous.items:
            plan.items.append(PlanItem(module_id=item.module_id, deadline_days=item.deadline_days))
    commit()
    flash(_("A new draft plan. Add its modules, then publish it."), "success")
    return redirect(url_for("training.operations.plan", plan_id=plan.id))


def _replaced(plan: TrainingPlan) -> TrainingPlan | None:
    where = (TrainingPlan.flight_id == plan.flight_id) if plan.flight_id else (TrainingPlan.vehicle == plan.vehicle)
    return db.session.scalar(
        select(TrainingPlan).where(where, TrainingPlan.published_at.is_not(None))
        .order_by(TrainingPlan.published_at.desc(), TrainingPlan.id.desc()).limit(1)
    )


def _plan(plan_id: int) -> TrainingPlan:
    return db.session.scalar(
        select(TrainingPlan).where(TrainingPlan.id == plan_id)
        .options(selectinload(TrainingPlan.items).joinedload(PlanItem.module))
    ) or abort(404)


def _plan_page(plan: TrainingPlan, item_form: PlanItemForm | None = None, status: int = 200):
    form = item_form or PlanItemForm(formdata=None)
    used = {item.module_id for item in plan.items}
    form.module.choices = [(m.id, m.text(_language())) for m in _modules() if m.id not in used]
    flight = db.session.get(Flight, plan.flight_id) if plan.flight_id else None
    return render_template(
        "training/operations/plan.html", plan=plan, flight=flight, item_form=form, form=ActionForm(formdata=None),
        missing=plan_service.missing_topics(plan), language=_language(),
    ), status


@bp.get("/plans/<int:plan_id>")
@ops_only
def plan(plan_id: int):
    return _plan_page(_plan(plan_id))


@bp.post("/plans/<int:plan_id>/items")
@ops_only
def add_item(plan_id: int):
    plan = _plan(plan_id)
    form = PlanItemForm()
    form.module.choices = [(m.id, m.text(_language())) for m in _modules()]
    if form.validate_on_submit():
        module = db.session.get(TrainingModule, form.module.data)
        saved, _item = save(form, lambda: plan_service.add_module(plan, module, form.deadline_days.data))
        if saved:
            flash(_("%(name)s added to the plan.", name=module.text(_language())), "success")
            return redirect(url_for("training.operations.plan", plan_id=plan.id))
        plan = _plan(plan_id)
    return _plan_page(plan, form, 422)


@bp.post("/plans/<int:plan_id>/items/<int:item_id>/remove")
@ops_only
def remove_item(plan_id: int, item_id: int):
    plan = _plan(plan_id)
    item = next((i for i in plan.items if i.id == item_id), None) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: plan_service.remove_module(plan, item), _("Module removed from the plan."))
    return redirect(url_for("training.operations.plan", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/publish")
@ops_only
def publish_plan(plan_id: int):
    plan = _plan(plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    published, _result = attempt(lambda: plan_service.publish_plan(plan, current_user),
                                 _("The plan is published: tourists of its flights now see this training."))
    if not published:
        return redirect(url_for("training.operations.plan", plan_id=plan_id))
    return redirect(url_for("training.operations.plans"))


# -- sessions -----------------------------------------------------------------------------------------

def _instructors() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.INSTRUCTOR, User.active.is_(True)).order_by(User.name)))


def _session_form(session: TrainingSession | None = None, **kw) -> SessionForm:
    form = SessionForm(**kw)
    form.session = session
    if session is not None:  # a session keeps its module
        del form.module_id
    else:
        form.module_id.choices = [(m.id, m.text(_language())) for m in _modules()]
    form.instructor_ids.choices = [(u.id, u.name) for u in _instructors()]
    return form


@bp.get("/sessions")
@ops_only
def sessions():
    show = request.args.get("show", "upcoming")
    rows = session_service.upcoming(include_past_days=30 if show == "recent" else 0)
    return render_template("training/operations/sessions.html", sessions=rows,
                           counts=place_service.counts([s.id for s in rows]), show=show, language=_language())


@bp.route("/sessions/new", methods=["GET", "POST"])
@ops_only
def new_session():
    form = _session_form()
    if request.method == "GET":
        form.timezone.data = current_user.timezone
        chosen = request.args.get("module", "")
        if chosen.isascii() and chosen.isdecimal() and len(chosen) < 10:
            form.module_id.data = int(chosen)
    if form.validate_on_submit():
        saved, created = save(form, lambda: session_service.create_sessions(
            form.session_data(), repeat=form.repeat.data or 1, every_days=form.every_days.data or 7))
        if saved:
            flash(_("%(count)s sessions created.", count=len(created)) if len(created) > 1
                  else _("Session created."), "success")
            return redirect(url_for("training.operations.sessions"))
    return render_template("training/operations/session_form.html", form=form, session=None), form_status()


def _session(session_id: int) -> TrainingSession:
    return db.session.get(TrainingSession, session_id) or abort(404)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@ops_only
def session(session_id: int):
    """A session: its participants and waiting list, and its details to change."""
    session = _session(session_id)
    if request.method == "GET":
        form = _session_form(session, formdata=None)
        form.starts_at.data = session.starts_at.astimezone(ZoneInfo(session.timezone)).replace(tzinfo=None)
        form.timezone.data, form.place.data, form.capacity.data = session.timezone, session.place, session.capacity
        form.instructor_ids.data = [u.id for u in session.instructors]
    else:
        form = _session_form(session)
        if session.cancelled:
            flash(_("This session is cancelled and cannot be changed."), "error")
            return redirect(url_for("training.operations.session", session_id=session.id))
        if form.validate_on_submit():
            saved, moved = save(form, lambda: session_service.update_session(
                session, form.session_data(), current_user, confirm_late=form.confirm_late.data))
            if saved:
                flash(_("Session moved: every participant has been told the new time.") if moved
                      else _("Session saved."), "success")
                return redirect(url_for("training.operations.session", session_id=session.id))
    places = list(db.session.scalars(
        select(SessionPlace).where(SessionPlace.session_id == session.id)
        .options(selectinload(SessionPlace.user)).order_by(SessionPlace.id)
    ))
    taken, waiting = place_service.counts([session.id])[session.id]
    return render_template(
        "training/operations/session.html", session=session, form=form, places=places, taken=taken,
        waiting=waiting, cancel_form=CancelSessionForm(formdata=None), language=_language(), now=now_utc(),
    ), form_status()


@bp.post("/sessions/<int:session_id>/cancel")
@ops_only
def cancel_session(session_id: int):
    session = _session(session_id)
    form = CancelSessionForm()
    if form.validate_on_submit():
        saved, told = save(form, lambda: session_service.cancel_session(session, form.reason.data, current_user))
        if saved:
            flash(_("Session cancelled; %(count)s people told.", count=told), "success")
            return redirect(url_for("training.operations.sessions"))
    flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or
          _("The session could not be cancelled."), "error")
    return redirect(url_for("training.operations.session", session_id=session.id))

