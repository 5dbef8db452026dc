"""Medical staff: the review queue, every tourist with a booking, a case with its assessments and
decision (and its correction), the case's access log, and the vehicles' physical limits.

Only medical staff open these pages. Every request writes a row to the medical access log, in the
transaction it commits."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.errors import ServiceError
from app.extensions import db
from app.medical import cases as medical
from app.medical import clearances, questionnaires
from app.medical.access import CASE_STATES, CORRECTIONS, DECIDED, TRANSITIONS, log_access
from app.models import (
    Answer,
    CaseEvent,
    CaseState,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    Question,
    QuestionKind,
    VehicleLimits,
)
from app.timeutil import age_on, now_utc
from app.transactions import commit
from app.web import page_arg, render_page
from blueprints.access import medical_only
from blueprints.forms import show_error
from blueprints.medical import rendering
from blueprints.medical.audit import logged, refused
from blueprints.medical.forms import (
    ECG_CHOICES,
    AssessmentForm,
    CorrectionForm,
    DecisionForm,
    VehicleLimitsForm,
)

bp = Blueprint("staff", __name__, url_prefix="/medical")


ACCESS_LOG_PAGE_SIZE = 100


def _page_arg() -> int:
    return page_arg()


# -- the review queue ------------------------------------------------------------------------------

@bp.get("/queue")
@medical_only
def queue():
    try:
        group = medical.QueueGroup(request.args.get("group", ""))
    except ValueError:
        group = None
    page = medical.queue(group, _page_arg())
    # The groups' labels translated once, not once per row.
    labels = {g: str(label) for g, label in medical.GROUP_LABELS.items()}
    groups = [(g.value, labels[g], page.counts[g]) for g in medical.QueueGroup]
    html = render_page("medical/staff/queue.html", "medical/staff/_queue.html", queue=page, group=group, groups=groups,
                       rows=rendering.queue_rows(page.rows, labels))
    return logged(html, None, "view", f"review queue{f' ({group.value})' if group else ''}, page {page.page}")


# -- every tourist with a booking -----------------------------------------------------------------

@bp.get("/tourists")
@medical_only
def tourists():
    """Every tourist with a live booking and their medical status: searched by name or email,
    filtered by status, a page at a time (htmx swaps the results in place)."""
    raw_q = request.args.get("q", "")
    try:
        status = medical.Clearance(request.args.get("status", ""))
    except ValueError:
        status = None
    if status is medical.Clearance.EXPIRED:
        status = None
    error, code = None, 200
    if len(raw_q) > medical.SEARCH_MAX:
        error, code = _("Search with at most %(max)s characters of a name or an email address.",
                        max=medical.SEARCH_MAX), 400
        page = medical.TouristsPage([], 0, 1, medical.TOURISTS_PAGE_SIZE, raw_q[:medical.SEARCH_MAX], status)
    else:
        page = medical.tourists(raw_q, status, _page_arg())
    statuses = [(s.value, medical.TOURIST_FILTER_LABELS[s]) for s in medical.TOURIST_STATUSES]
    html = render_page("medical/staff/tourists.html", "medical/staff/_tourists.html", listing=page, error=error,
                       statuses=statuses, rows=rendering.tourist_rows(page.rows, medical.tourist_status_labels()))
    what = f"tourists list{f' ({status.value})' if status else ''}{' (search)' if page.q else ''}, page {page.page}"
    return logged((html, code), None, "view", what)


# -- a case ----------------------------------------------------------------------------------------

def _case_or_404(case_id: int, *, for_update: bool = False) -> MedicalCase:
    """The case; locked for the rest of the transaction when it is about to change, so that two
    medics deciding at once make one decision, not two."""
    query = (select(MedicalCase).where(MedicalCase.id == case_id)
             .options(selectinload(MedicalCase.user), selectinload(MedicalCase.questionnaire)))
    if for_update:
        query = query.with_for_update(of=MedicalCase).execution_options(populate_existing=True)
    return db.session.scalar(query) or abort(404)


def _answers(case: MedicalCase) -> list[tuple[Question, object]]:
    """The questions that apply to the tourist, in order, with their answers (None: unanswered)."""
    answers = {a.question_id: a.value for a in db.session.scalars(select(Answer).where(Answer.case_id == case.id))}
    return [(q, answers.get(q.id)) for q in questionnaires.visible_questions(case.questionnaire, answers)]


def _upload_url(upload: MedicalUpload) -> str:
    # The download belongs to blueprints/health, which checks who asks and logs it.
    return url_for("medical.tourist.download", upload_id=upload.id)


def _case_page(case: MedicalCase, *, assessment_form=None, decision_form=None, correction_form=None,
               status: int = 200):
    bookings = clearances.live_bookings(case.user_id)
    uploads = list(db.session.scalars(
        select(MedicalUpload).where(MedicalUpload.case_id == case.id).order_by(MedicalUpload.id)
    ))
    events = list(db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id)
        .options(selectinload(CaseEvent.actor)).order_by(CaseEvent.id)
    ))
    vehicles = {b.flight.vehicle for b in bookings}
    limits = {v.vehicle: v for v in db.session.scalars(
        select(VehicleLimits).where(VehicleLimits.vehicle.in_(vehicles))
    )} if vehicles else {}
    today = now_utc().date()
    user = case.user
    # A decided case is changed through "Correct the decision" only (it offers every decision, with
    # its reason), so the page never shows two "Do not clear" forms.
    decisions = [] if case.state in DECIDED else [
        d for d in medical.DECISIONS if (case.state, d) in TRANSITIONS]
    assessments = medical.assessments_of(case)
    # The newest assessment is checked against the vehicles of the bookings the tourist has now
    # (one booked since it was recorded may have other limits); older ones keep their flags.
    current_flags = (medical.flags_for(user, assessments[0].height_cm, assessments[0].weight_kg, bookings)
                     if assessments else [])
    default_form = DecisionForm(formdata=None, valid_days=medical.clearance_valid_days())
    corrections = [d for d in medical.DECISIONS if (case.state, d) in CORRECTIONS]
    default_correction = CorrectionForm(formdata=None, valid_days=medical.clearance_valid_days(),
                                        restrictions=case.restrictions if case.state is CaseState.RESTRICTED else "")
    return render_template(
        "medical/staff/case.html", case=case, tourist=user,
        age=age_on(user.date_of_birth, today) if user.date_of_birth else None,
        bookings=bookings, statuses=medical.clearance_statuses(bookings),
        missing_limits=sorted(vehicles - set(limits)), case_state_labels=CASE_STATES,
        answers=_answers(case), uploads=uploads, upload_url=_upload_url, QuestionKind=QuestionKind,
        assessments=assessments, current_flags=current_flags, describe_flag=medical.describe_flag, num=medical.plain_number,
        self_certifications=medical.self_certifications_of(case), events=events, limits=limits,
        status=medical.user_statuses([user])[user.id],
        can_assess=case.state in medical.ASSESSABLE, decisions=decisions,
        assessment_form=assessment_form or AssessmentForm(formdata=None),
        decision_form=decision_form or default_form, default_decision_form=default_form,
        corrections=corrections, correction_form=correction_form or default_correction,
        default_correction_form=default_correction,
        CaseState=CaseState, ecg_labels=dict(ECG_CHOICES),
    ), status


@bp.get("/cases/<int:case_id>")
@medical_only
def case(case_id: int):
    case = _case_or_404(case_id)
    html, status = _case_page(case)
    return logged((html, status), case, "view", "case: questionnaire, assessments, decisions")


@bp.post("/cases/<int:case_id>/assessments")
@medical_only
def record_assessment(case_id: int):
    case = _case_or_404(case_id, for_update=True)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            medical.record_assessment(case, current_user, form.assessment_data())
        except ServiceError as exc:
            show_error(form, exc)
        else:
            log_access(current_user, case, "change", "assessment recorded")
            commit()
            flash(_("Assessment recorded."), "success")
            return redirect(url_for("medical.staff.case", case_id=case.id, _anchor="assessments"))
    refused(case, "change", "assessment")
    case = _case_or_404(case_id)
    return _case_page(case, assessment_form=form, status=422)


@bp.post("/cases/<int:case_id>/decision")
@medical_only
def decide(case_id: int):
    return _take_decision(case_id, correcting=False)


def _take_decision(case_id: int, *, correcting: bool):
    """A decision, or a decided case's decision corrected (a new decision row, with its reason):
    one form, one service call, the access log either way, every problem shown at once."""
    case = _case_or_404(case_id, for_update=True)
    form = CorrectionForm() if correcting else DecisionForm()
    if not form.validate_on_submit():
        _decision_problems(form, case, correcting=correcting)
    else:
        take = medical.correct if correcting else medical.decide
        try:
            take(case, current_user, form.decision.data, reason=form.reason.data or "",
                 restrictions=form.restrictions.data or "", message=form.message.data or "",
                 valid_days=form.valid_days.data)
        except ServiceError as exc:
            _show_decision_error(form, exc)
        else:
            done = "decision corrected" if correcting else "decision"
            log_access(current_user, case, "decide", f"{done}: {case.state.value}")
            commit()
            flash(_("Decision corrected.") if correcting else _("Decision recorded."), "success")
            return redirect(url_for("medical.staff.case", case_id=case.id, _anchor="decision"))
    asked = "decision correction" if correcting else "decision"
    refused(case, "decide", f"{asked}: {form.decision.data or '-'}"[:60])
    case = _case_or_404(case_id)
    if correcting:
        return _case_page(case, correction_form=form, status=422)
    return _case_page(case, decision_form=form, status=422)


def _show_decision_error(form, error: ServiceError) -> None:
    """Each refusal at its field; the decision is the form itself (a hidden field), so a refusal
    of the decision is said above the form."""
    for one in error.errors:
        show_error(form, ServiceError(one.message) if one.field == "decision" else one)


def _decision_problems(form, case: MedicalCase, *, correcting: bool) -> None:
    """When the form itself refuses something (a validity that is not a number), the service's
    rules are checked too, so that one answer shows every problem."""
    try:
        decision = CaseState(form.decision.data or "")
    except ValueError:
        return
    if decision not in medical.DECISIONS:
        return
    unreadable = frozenset(name for name, f in form._fields.items() if f.errors)
    try:
        medical.decision_problems(
            case, decision, correcting=correcting, restrictions=form.restrictions.data,
            message=form.message.data, reason=form.reason.data,
            valid_days=None if "valid_days" in unreadable else form.valid_days.data, skip=unreadable,
        )
    except ServiceError as exc:
        _show_decision_error(form, exc)


@bp.post("/cases/<int:case_id>/correction")
@medical_only
def correct(case_id: int):
    """A decided case's decision corrected (a new decision row, with its reason)."""
    return _take_decision(case_id, correcting=True)


@bp.get("/cases/<int:case_id>/access-log")
@medical_only
def access_log(case_id: int):
    case = _case_or_404(case_id)
    page = _page_arg()
    total = db.session.scalar(select(func.count()).select_from(MedicalAccess).where(MedicalAccess.case_id == case.id))
    pages = max((total + ACCESS_LOG_PAGE_SIZE - 1) // ACCESS_LOG_PAGE_SIZE, 1)
    page = min(page, pages)
    rows = list(db.session.scalars(
        select(MedicalAccess).where(MedicalAccess.case_id == case.id)
        .options(selectinload(MedicalAccess.actor))
        .order_by(MedicalAccess.at.desc(), MedicalAccess.id.desc())
        .limit(ACCESS_LOG_PAGE_SIZE).offset((page - 1) * ACCESS_LOG_PAGE_SIZE)
    ))
    html = render_template("medical/staff/access_log.html", case=case, rows=rows, page=page, pages=pages, total=total)
    return logged(html, case, "view", "access log")


# -- vehicles' physical limits ---------------------------------------------------------------------

def _vehicles_page(bound: VehicleLimitsForm | None = None, status: int = 200):
    rows = medical.vehicles()
    forms = {}
    for row in rows:
        if bound is not None and bound.vehicle.data == row.vehicle:
            forms[row.vehicle] = bound
        else:
            lim = row.limits
            forms[row.vehicle] = VehicleLimitsForm(formdata=None, vehicle=row.vehicle, **({
                "min_age": lim.min_age,
                **{k: medical.plain_number(getattr(lim, k)) for k in ("min_height_cm", "max_height_cm", "min_weight_kg", "max_weight_kg")},
            } if lim else {}))
    known = {r.vehicle for r in rows}
    new_form = bound if bound is not None and bound.vehicle.data not in known else VehicleLimitsForm(formdata=None)
    return render_template("medical/staff/vehicles.html", rows=rows, forms=forms, new_form=new_form), status


@bp.route("/vehicles", methods=["GET", "POST"])
@medical_only
def vehicles():
    if request.method == "GET":
        return logged(_vehicles_page(), None, "view", "vehicle limits")
    form = VehicleLimitsForm()
    if form.validate_on_submit():
        try:
            limits = medical.save_vehicle_limits(
                form.vehicle.data, current_user, min_age=form.min_age.data,
                **{k: getattr(form, k).data for k in ("min_height_cm", "max_height_cm", "min_weight_kg", "max_weight_kg")},
            )
        except ServiceError as exc:
            show_error(form, exc)
        else:
            log_access(current_user, None, "change", f"vehicle limits: {limits.vehicle}")
            commit()
            flash(_("Limits for %(vehicle)s saved.", vehicle=limits.vehicle), "success")
            return redirect(url_for("medical.staff.vehicles"))
    refused(None, "change", "vehicle limits")
    return _vehicles_page(form, 422)


@bp.post("/vehicles/<int:limits_id>/delete")
@medical_only
def delete_vehicle_limits(limits_id: int):
    limits = db.session.get(VehicleLimits, limits_id) or abort(404)
    vehicle = limits.vehicle
    medical.delete_vehicle_limits(limits, current_user)
    log_access(current_user, None, "change", f"vehicle limits removed: {vehicle}")
    commit()
    flash(_("Limits for %(vehicle)s removed.", vehicle=vehicle), "success")
    return redirect(url_for("medical.staff.vehicles"))
