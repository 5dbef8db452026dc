"""The tourist's side of the medical assessment: the health questionnaire (answers saved as they
go, uploads), their medical status, answering what medical staff ask, and, close to launch, the
self-certification that nothing has changed.

Every request that touches medical data writes an access-log row in the transaction it commits,
also when what it was asked to do is refused.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app import filetypes
from app.errors import ServiceError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import cases as medical
from app.medical import questionnaires as qs
from app.medical import uploads as medical_uploads
from app.medical.access import log_access
from app.models import Booking, CaseState, MedicalCase, MedicalUpload, Question, QuestionKind, Role
from app.timeutil import now_utc
from app.transactions import commit, rollback
from app.web import wants_fragment
from blueprints.access import own_or_404, roles_required
from blueprints.forms import show_error
from blueprints.medical.audit import logged, refused
from blueprints.medical.forms import ChangeReportForm, InfoResponseForm, SelfCertificationForm

bp = Blueprint("tourist", __name__)


tourists_only = roles_required(Role.TOURIST)


K = QuestionKind


def _log(case: MedicalCase | None, action: str, what: str) -> None:
    medical_access.log_access(current_user, case, action, what)


# -- what the pages show --------------------------------------------------------------------------

def _form_value(question: Question, value: Any) -> Any:
    """A stored answer as the form's inputs hold it."""
    if value is None:
        return None
    if question.kind is K.YES_NO:
        return qs.YES if value is True else qs.NO
    if question.kind in (K.MULTIPLE_CHOICE, K.FILE):
        return list(value)
    return str(value)


def _raw(question: Question) -> Any:
    name = f"q{question.id}"
    if question.kind is K.MULTIPLE_CHOICE:
        return request.form.getlist(name)
    return request.form.get(name, "")


def _posted_answers(case: MedicalCase) -> dict[int, Any]:
    """The answers in a whole-form POST (a browser without JavaScript): each question on the page
    says it was there, so that a choice left empty counts as "no answer"."""
    present = {int(v) for v in request.form.getlist("present") if v.isascii() and v.isdigit() and len(v) < 10}
    return {q.id: _raw(q) for q in case.questionnaire.questions if q.id in present and q.kind is not K.FILE}


def _questionnaire_context(case: MedicalCase, *, values: dict[int, Any] | None = None,
                           errors: dict[int, str] | None = None, notes: dict[int, str] | None = None,
                           missing: list[Question] | None = None) -> dict[str, Any]:
    answers = qs.answers_of(case)
    questions = sorted(case.questionnaire.questions, key=lambda q: q.position)
    visible = qs.visible_questions(case.questionnaire, answers)
    shown = {q.id: _form_value(q, answers.get(q.id)) for q in questions}
    shown.update(values or {})
    return {
        "case": case, "questionnaire": case.questionnaire, "questions": questions,
        "visible_ids": {q.id for q in visible}, "values": shown, "errors": errors or {},
        "notes": notes or {}, "missing": missing or [], "uploads": medical_uploads.uploads_of(case),
        "answered": sum(1 for q in visible if answers.get(q.id) not in (None, "", [])),
        "applicable": len(visible), "editable": case.state in qs.ANSWERABLE,
        "max_mb": medical_uploads.max_bytes() // (1024 * 1024), "range_hint": qs.range_hint, "date_bounds": qs.date_bounds,
        "condition_labels": qs.condition_labels,
        "accept": ",".join([*filetypes.ALLOWED_TYPES, ".pdf", ".jpg", ".jpeg", ".png"]),
    }


def _questionnaire_page(case: MedicalCase, status: int = 200, **kw):
    return render_template("medical/tourist/questionnaire.html", **_questionnaire_context(case, **kw)), status


def _question_response(case: MedicalCase, question: Question, *, before: set[int] | None = None,
                       status: int = 200, **kw):
    """One question again (its save status or error); questions whose visibility changed and the
    progress line are swapped out of band."""
    context = _questionnaire_context(case, **kw)
    changed = [] if before is None else [
        q for q in context["questions"] if (q.id in before) != (q.id in context["visible_ids"])
    ]
    return render_template("medical/tourist/_answer_response.html", question=question, changed=changed, **context), status


def _readable_answers(case: MedicalCase) -> list[dict[str, Any]]:
    """The visible questions with their answers, as the tourist reads them back."""
    answers = qs.answers_of(case)
    uploads = medical_uploads.uploads_of(case)
    rows = []
    for question in qs.visible_questions(case.questionnaire, answers):
        value = answers.get(question.id)
        text, files = None, []
        if value in (None, "", []):
            pass
        elif question.kind is K.YES_NO:
            text = _("Yes") if value is True else _("No")
        elif question.kind is K.NUMBER:
            text = f"{format_decimal(value)} {question.unit}".strip()
        elif question.kind is K.DATE:
            text = format_date(date.fromisoformat(value), "long")
        elif question.kind is K.MULTIPLE_CHOICE:
            text = ", ".join(question.choice_label(v, current_user.language) for v in value)
        elif question.kind is K.SINGLE_CHOICE:
            text = question.choice_label(str(value), current_user.language)
        elif question.kind is K.FILE:
            files = [uploads[i] for i in value if i in uploads]
        else:
            text = str(value)
        rows.append({"question": question, "text": text, "files": files})
    return rows


def _status_page(case: MedicalCase | None, form: InfoResponseForm, status: int = 200,
                 change_form: ChangeReportForm | None = None):
    answered = applicable = 0
    if case is not None and case.state is CaseState.ANSWERING:
        answers = qs.answers_of(case)
        visible = qs.visible_questions(case.questionnaire, answers)
        answered = sum(1 for q in visible if answers.get(q.id) not in (None, "", []))
        applicable = len(visible)
    return render_template(
        "medical/tourist/status.html", case=case, form=form, answered=answered, applicable=applicable,
        rows=_readable_answers(case) if case is not None and case.state is not CaseState.ANSWERING else [],
        available=case is not None or qs.current_questionnaire() is not None,
        renew=case is not None and qs.needs_renewal(case, current_user),
        can_report_change=case is not None and case.state in medical.CHANGE_REPORTABLE,
        change_under_review=medical.changed_since_decision(case),
        change_form=change_form or ChangeReportForm(formdata=None),
    ), status


def _case_and_question(question_id: int) -> tuple[MedicalCase, Question]:
    """The tourist's case (opened if need be), locked, and a question of its questionnaire; a 404
    for any other question."""
    try:
        case = qs.open_case(current_user, for_update=True)
    except ServiceError:
        abort(404)
    question = db.session.get(Question, question_id)
    if question is None or question.questionnaire_id != case.questionnaire_id:
        abort(404)
    return case, question


def _save_posted(case: MedicalCase, action: str, refused: str):
    """Without JavaScript, the upload and remove buttons send the whole form: keep what was typed.
    Returns the questionnaire page with the errors when an answer is refused (nothing is saved,
    and ``action`` and ``refused`` go to the access log), else None."""
    posted = _posted_answers(case)
    if not posted or case.state not in qs.ANSWERABLE:
        return None
    errors = qs.save_answers(case, posted, current_user)
    if not errors:
        return None
    rollback()
    case = qs.current_case(current_user)
    _log(case, action, refused)
    page = _questionnaire_page(case, 422, values=posted, errors=errors)
    commit()
    return page


# -- the medical status page ----------------------------------------------------------------------

@bp.get("/medical")
@tourists_only
def status():
    case = qs.current_case(current_user)
    _log(case, "view", "medical status")
    page = _status_page(case, InfoResponseForm(formdata=None))
    commit()
    return page


def _status_form(form, act, done: str, refused: str, thanks: str, refused_page):
    """A form of the status page: ``act(case)`` and log ``done``, or show the page again with the
    refusal (logged as ``refused``): a 404 for a tourist without a case."""
    case = qs.current_case(current_user, for_update=True)
    if case is None:
        abort(404)
    if form.validate_on_submit():
        try:
            act(case)
            _log(case, "submit", done)
            commit()
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            flash(thanks, "success")
            return redirect(url_for("medical.tourist.status"))
    case = qs.current_case(current_user)
    _log(case, "change", refused)
    page = refused_page(case)
    commit()
    return page


@bp.post("/medical/info-response")
@tourists_only
def info_response():
    form = InfoResponseForm()
    return _status_form(
        form, lambda case: qs.answer_info_request(case, current_user, form.response.data),
        "answer to information request", "answer to information request (refused)",
        _("Thank you. Your answer was sent to the medical team."),
        lambda case: _status_page(case, form, 422),
    )


@bp.post("/medical/change")
@tourists_only
def report_change():
    """The tourist tells the medical team about a change: a clearance goes back to review."""
    form = ChangeReportForm()
    return _status_form(
        form, lambda case: medical.report_change(case, current_user, form.details.data),
        "change reported", "change report (refused)",
        _("Thank you. The medical team will review what has changed and let you know."),
        lambda case: _status_page(case, InfoResponseForm(formdata=None), 422, change_form=form),
    )


# -- the questionnaire ----------------------------------------------------------------------------

@bp.get("/medical/questionnaire")
@tourists_only
def questionnaire():
    try:
        case = qs.open_case(current_user)
    except ServiceError as exc:
        rollback()
        _log(None, "view", "questionnaire (none published)")
        page = render_template("medical/tourist/unavailable.html", message=exc.message)
        commit()
        return page
    _log(case, "view", "questionnaire")
    if case.state not in qs.ANSWERABLE:
        commit()
        flash(_("Your questionnaire has been submitted. Your answers are below."), "info")
        return redirect(url_for("medical.tourist.status"))
    page = _questionnaire_page(case)
    commit()
    return page


@bp.post("/medical/questionnaire")
@tourists_only
def save_questionnaire():
    """The whole form: "Save for later" (without JavaScript) or "Submit"."""
    try:
        case = qs.open_case(current_user, for_update=True)
        qs.require_answerable(case)
    except ServiceError as exc:
        rollback()
        _log(qs.current_case(current_user), "change", "questionnaire (refused)")
        commit()
        flash(exc.message, "error")
        return redirect(url_for("medical.tourist.status"))
    submitting = request.form.get("action") == "submit"
    posted = _posted_answers(case)
    errors = qs.save_answers(case, posted, current_user)
    if errors:
        rollback()  # nothing is saved; the form shows what was typed, and why it was refused
        case = qs.current_case(current_user)
        _log(case, "change", "questionnaire (refused)")
        page = _questionnaire_page(case, 422, values=posted, errors=errors)
        commit()
        return page
    if not submitting:
        _log(case, "change", "questionnaire")
        commit()
        flash(_("Your answers are saved. You can come back and finish later."), "success")
        return redirect(url_for("medical.tourist.questionnaire"))
    try:
        qs.submit(case, current_user)
    except qs.IncompleteQuestionnaire as exc:
        # The answers given are kept; the page lists what is still missing.
        _log(case, "change", "questionnaire (submission incomplete)")
        page = _questionnaire_page(case, 422, missing=exc.missing,
                                   errors={q.id: _("Please answer this question.") for q in exc.missing})
        commit()
        return page
    except ServiceError as exc:
        rollback()
        _log(qs.current_case(current_user), "change", "questionnaire (refused)")
        commit()
        flash(exc.message, "error")
        return redirect(url_for("medical.tourist.status"))
    _log(case, "submit", "questionnaire")
    commit()
    flash(_("Thank you. Your questionnaire is submitted: the medical team will review it and let you know."),
          "success")
    return redirect(url_for("medical.tourist.status"))


@bp.post("/medical/questionnaire/answers/<int:question_id>")
@tourists_only
def save_answer(question_id: int):
    """One answer, saved as the tourist goes (htmx, on change)."""
    case, question = _case_and_question(question_id)
    before = {q.id for q in qs.visible_questions(case.questionnaire, qs.answers_of(case))}
    raw = _raw(question)
    try:
        qs.save_answer(case, question, raw, current_user)
    except ServiceError as exc:
        rollback()
        case = qs.current_case(current_user)
        _log(case, "change", f"answer {question.key} (refused)")
        kw = {"values": {question.id: raw}, "errors": {question.id: exc.message}}
        page = (_question_response(case, question, status=422, **kw) if wants_fragment()
                else _questionnaire_page(case, 422, **kw))
        commit()
        return page
    _log(case, "change", f"answer {question.key}")
    if not wants_fragment():
        commit()
        return redirect(url_for("medical.tourist.questionnaire", _anchor=f"q-{question.id}"))
    page = _question_response(case, question, before=before, notes={question.id: _("Saved")})
    commit()
    return page


@bp.post("/medical/questionnaire/uploads/<int:question_id>")
@tourists_only
def upload(question_id: int):
    case, question = _case_and_question(question_id)
    fragment = wants_fragment()
    if not fragment and (refusal := _save_posted(case, "upload", f"upload for {question.key} (refused)")):
        return refusal
    try:
        # Refuses before writing anything: a refused file leaves no row and no file behind.
        stored = medical_uploads.store_upload(case, question, request.files.get(f"file-{question.id}"),
                                              current_user)
    except ServiceError as exc:
        _log(case, "upload", f"upload for {question.key} (refused)")
        kw = {"errors": {question.id: exc.message}}
        page = _question_response(case, question, status=422, **kw) if fragment else _questionnaire_page(case, 422, **kw)
        commit()
        return page
    _log(case, "upload", f"upload {stored.id} for {question.key}")
    note = _("Uploaded %(name)s.", name=stored.filename)
    if not fragment:
        commit()
        flash(note, "success")
        return redirect(url_for("medical.tourist.questionnaire", _anchor=f"q-{question.id}"))
    page = _question_response(case, question, notes={question.id: note})
    commit()
    return page


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request over ``MAX_CONTENT_LENGTH`` is refused before it is read (and before its CSRF
    token could be): say so at the question, and store nothing."""
    if request.endpoint == "medical.tourist.self_certification":
        return error  # a form without files: the general answer, not the uploads' message
    rollback()
    message = medical_uploads.too_large_message()
    if (request.endpoint == "medical.tourist.upload" and current_user.is_authenticated
            and current_user.role is Role.TOURIST):
        case = qs.current_case(current_user)
        question = db.session.get(Question, (request.view_args or {}).get("question_id", 0))
        if case is not None and question is not None and question.questionnaire_id == case.questionnaire_id:
            _log(case, "upload", f"upload for {question.key} (refused: too large)")
            kw = {"errors": {question.id: message}}
            # htmx swaps a 422, not a 413.
            page = (_question_response(case, question, status=422, **kw) if wants_fragment()
                    else _questionnaire_page(case, 413, **kw))
            commit()
            return page
    return render_template("errors/error.html", code=413, title=_("File too large"), message=message), 413


@bp.post("/medical/uploads/<int:upload_id>/remove")
@tourists_only
def remove_upload(upload_id: int):
    case = qs.current_case(current_user, for_update=True)
    stored = db.session.get(MedicalUpload, upload_id)
    if case is None or stored is None or stored.case_id != case.id:
        abort(404)
    question = db.session.get(Question, stored.question_id) if stored.question_id else None
    fragment = wants_fragment() and question is not None
    if not fragment and (refusal := _save_posted(case, "change", f"upload {upload_id} removal (refused)")):
        return refusal
    name = stored.filename
    try:
        medical_uploads.remove_upload(case, stored, current_user)
    except ServiceError as exc:
        rollback()
        case = qs.current_case(current_user)
        _log(case, "change", f"upload {upload_id} removal (refused)")
        commit()
        flash(exc.message, "error")
        return redirect(url_for("medical.tourist.status"))
    _log(case, "change", f"upload {upload_id} removed")
    note = _("Removed %(name)s.", name=name)
    if not fragment:
        commit()
        flash(note, "success")
        anchor = f"q-{question.id}" if question is not None else None
        return redirect(url_for("medical.tourist.questionnaire", _anchor=anchor))
    page = _question_response(case, question, notes={question.id: note})
    commit()
    return page


@bp.get("/medical/uploads/<int:upload_id>")
@login_required
def download(upload_id: int):
    """A file, to the tourist who uploaded it and to medical staff; a 404 to everyone else."""
    stored = db.session.get(MedicalUpload, upload_id)
    case = db.session.get(MedicalCase, stored.case_id) if stored is not None else None
    own = case is not None and current_user.role is Role.TOURIST and case.user_id == current_user.id
    if case is None or not (own or medical_access.is_medical(current_user)):
        abort(404)
    data = medical_uploads.read_upload(stored)
    content_type, name = stored.content_type, stored.filename or f"upload-{stored.id}"
    _log(case, "download", f"upload {stored.id}")
    commit()
    response = send_file(BytesIO(data), mimetype=content_type, as_attachment=True, download_name=name,
                         conditional=False, etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the tourist's self-certification before launch ------------------------------------------------

@bp.route("/medical/self-certification/<reference>", methods=["GET", "POST"])
@roles_required(Role.TOURIST)
def self_certification(reference: str):
    query = select(Booking).where(Booking.reference == reference)
    if request.method == "POST":  # one answer per booking, even when sent twice at once
        query = query.with_for_update(of=Booking).execution_options(populate_existing=True)
    booking = own_or_404(db.session.scalar(query))
    case = medical.latest_case(current_user)
    form = SelfCertificationForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                medical.self_certify(booking, current_user, form.changed.data == "yes", form.details.data or "")
            except ServiceError as exc:
                show_error(form, exc)
            else:
                log_access(current_user, case, "change", f"self-certification for {booking.reference}")
                commit()
                if form.changed.data == "yes":
                    flash(_("Thank you. The medical team will review what has changed."), "success")
                else:
                    flash(_("Thank you for confirming that nothing has changed."), "success")
                return redirect(url_for("journey.index"))
        refused(case, "change", f"self-certification for {booking.reference}")
        case = medical.latest_case(current_user)
        status = 422
    html = render_template(
        "medical/tourist/self_certification.html", booking=booking, form=form,
        due=medical.self_certification_due(booking, case=case),
        opens_at=medical.self_certification_opens(booking), certified=medical.self_certified(booking),
        change_reported=medical.change_reported(booking),
        before_window=now_utc() < medical.self_certification_opens(booking),
        clearance=medical.clearance_statuses([booking])[booking.id], medical_page=medical.tourist_page_url(),
    )
    if request.method == "POST":
        return html, status
    return logged(html, case, "view", f"self-certification for {booking.reference}")
