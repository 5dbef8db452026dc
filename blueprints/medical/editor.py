"""Medical staff maintain the health questionnaire: versions, a draft's questions, preview, publish.

A published version never changes; every change is made to a draft (copied from the latest
version) and takes effect for new cases when it is published. Every request writes an access-log
row (questionnaires are no one's medical record, so the row names no case)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.config import LANGUAGES
from app.errors import ServiceError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import questionnaires as qs
from app.medical import uploads as medical_uploads
from app.models import Question, Questionnaire
from app.transactions import commit, rollback
from app.web import wants_fragment
from blueprints.access import medical_only
from blueprints.forms import ActionForm, show_error
from blueprints.medical.editor_forms import QUESTION_KINDS, DetailsForm, MoveForm, QuestionForm

bp = Blueprint("editor", __name__, url_prefix="/medical/questionnaires")


def _log(action: str, what: str) -> None:
    medical_access.log_access(current_user, None, action, what)


def _version(questionnaire_id: int) -> Questionnaire:
    return db.session.get(Questionnaire, questionnaire_id) or abort(404)


def _question(questionnaire: Questionnaire, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.questionnaire_id != questionnaire.id:
        abort(404)
    return question


def _what(questionnaire: Questionnaire) -> str:
    return f"questionnaire v{questionnaire.version}"


def _question_form(questionnaire: Questionnaire, question: Question | None = None, **kw) -> QuestionForm:
    form = QuestionForm(**kw)
    form.questionnaire, form.question = questionnaire, question
    form.set_parents(sorted(questionnaire.questions, key=lambda q: q.position),
                     question.position if question is not None else None)
    return form


def _editor_context(questionnaire: Questionnaire, *, add_form: QuestionForm | None = None,
                    details_form: DetailsForm | None = None, notice: str | None = None,
                    error: str | None = None) -> dict:
    if details_form is None:
        details_form = DetailsForm(formdata=None, obj=questionnaire)
    return {
        "questionnaire": questionnaire, "questions": sorted(questionnaire.questions, key=lambda q: q.position),
        "add_form": add_form or _question_form(questionnaire, formdata=None),
        "details_form": details_form, "action_form": ActionForm(formdata=None),
        "kinds": QUESTION_KINDS, "notice": notice, "error": error, "range_hint": qs.range_hint, "date_bounds": qs.date_bounds,
        "condition_labels": qs.condition_labels,
    }


def _editor(questionnaire: Questionnaire, status: int = 200, **kw):
    """The draft's editor; the list and the add form alone for htmx."""
    template = "medical/editor/_editor.html" if wants_fragment() else "medical/editor/edit.html"
    return render_template(template, **_editor_context(questionnaire, **kw)), status


def _changed(questionnaire: Questionnaire, notice: str, anchor: str | None = None):
    """After a change: the editor again for htmx, else back to the editor page."""
    if wants_fragment():
        page = _editor(questionnaire, notice=notice)
        commit()
        return page
    commit()
    flash(notice, "success")
    return redirect(url_for("medical.editor.edit", questionnaire_id=questionnaire.id, _anchor=anchor))


def _refused(questionnaire_id: int, message: str, status: int = 422):
    """A change a rule refused: nothing saved, the refusal logged and shown."""
    rollback()
    questionnaire = _version(questionnaire_id)
    _log("change", f"{_what(questionnaire)} (refused)")
    if wants_fragment() and not questionnaire.published:
        page = _editor(questionnaire, status, error=message)
        commit()
        return page
    commit()
    flash(message, "error")
    return redirect(url_for("medical.editor.edit", questionnaire_id=questionnaire.id))


@bp.get("")
@medical_only
def index():
    rows = qs.versions()
    _log("view", "questionnaire versions")
    page = render_template(
        "medical/editor/index.html", versions=rows, counts=qs.question_counts(), draft=qs.draft(),
        current=qs.current_questionnaire(), form=ActionForm(formdata=None),
    )
    commit()
    return page


@bp.post("/new")
@medical_only
def new():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        questionnaire = qs.new_draft(current_user)
    except ServiceError as exc:
        rollback()
        _log("change", "questionnaire draft (refused)")
        commit()
        flash(exc.message, "error")
        return redirect(url_for("medical.editor.index"))
    _log("change", f"{_what(questionnaire)} (new draft)")
    commit()
    if questionnaire.version == 1:
        flash(_("Version 1 is a new draft. Add its questions, then publish it."), "success")
    else:
        flash(_("Version %(v)s is a new draft, copied from the latest version. Change it, then publish it.",
                v=questionnaire.version), "success")
    return redirect(url_for("medical.editor.edit", questionnaire_id=questionnaire.id))


@bp.get("/<int:questionnaire_id>")
@medical_only
def edit(questionnaire_id: int):
    """A draft's editor, or a published version as it was published."""
    questionnaire = _version(questionnaire_id)
    _log("view", _what(questionnaire))
    if questionnaire.published:
        page = render_template("medical/editor/view.html", **_editor_context(questionnaire))
    else:
        page = _editor(questionnaire)
    commit()
    return page


@bp.post("/<int:questionnaire_id>")
@medical_only
def update_details(questionnaire_id: int):
    questionnaire = _version(questionnaire_id)
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            qs.update_details(questionnaire, title=form.title.data, intro=form.intro.data or "")
        except ServiceError as exc:
            rollback()
            questionnaire = _version(questionnaire_id)
            show_error(form, exc)
        else:
            _log("change", f"{_what(questionnaire)} (details)")
            return _changed(questionnaire, _("The title and introduction are saved."))
    if questionnaire.published:
        return _refused(questionnaire_id, _("Version %(v)s is published and cannot be changed. "
                                            "Start a new draft to make changes.", v=questionnaire.version))
    _log("change", f"{_what(questionnaire)} (details refused)")
    page = render_template("medical/editor/edit.html", **_editor_context(questionnaire, details_form=form)), 422
    commit()
    return page


def _translation_from_form(questionnaire: Questionnaire) -> qs.Translation:
    form = request.form
    return qs.Translation(
        title=form.get("title", ""), intro=form.get("intro", ""),
        questions={q.id: {"text": form.get(f"q{q.id}-text", ""), "help": form.get(f"q{q.id}-help", ""),
                          "choices": {c: form.get(f"q{q.id}-choice-{n}", "") for n, c in enumerate(q.choices or [])}}
                   for q in questionnaire.questions},
    )


@bp.route("/<int:questionnaire_id>/translations/<language>", methods=["GET", "POST"])
@medical_only
def translations(questionnaire_id: int, language: str):
    """The draft's title, introduction, questions, hints and choices in another language: what a
    tourist reading that language sees (anything left empty shows the default language)."""
    # The page shows every question's texts: loaded with the version, in the same statement.
    questionnaire = (db.session.get(Questionnaire, questionnaire_id, options=[joinedload(Questionnaire.questions)])
                     or abort(404))
    if language not in LANGUAGES or language == questionnaire.default_language:
        abort(404)
    errors: dict[str, str] = {}
    translation = qs.translation_of(questionnaire, language)
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        translation = _translation_from_form(questionnaire)
        try:
            qs.translate(questionnaire, language, translation)
        except ServiceError as exc:
            rollback()
            questionnaire = _version(questionnaire_id)
            errors = {e.field or "": str(e.message) for e in getattr(exc, "errors", [exc])}
            status = 422
        else:
            _log("change", f"{_what(questionnaire)} ({language} translation)")
            commit()
            flash(_("The %(language)s texts are saved.", language=LANGUAGES[language]), "success")
            return redirect(url_for("medical.editor.translations", questionnaire_id=questionnaire.id, language=language))
    _log("view", f"{_what(questionnaire)} ({language} translation)")
    page = render_template(
        "medical/editor/translations.html", questionnaire=questionnaire, language=language, languages=LANGUAGES,
        translation=translation, errors=errors, action_form=ActionForm(formdata=None),
        questions=sorted(questionnaire.questions, key=lambda q: q.position),
    ), status
    commit()
    return page


@bp.get("/<int:questionnaire_id>/preview")
@medical_only
def preview(questionnaire_id: int):
    """The questionnaire as a tourist sees it, every question shown, conditions noted."""
    questionnaire = _version(questionnaire_id)
    _log("view", f"{_what(questionnaire)} (preview)")
    page = render_template(
        "medical/editor/preview.html", questionnaire=questionnaire,
        questions=sorted(questionnaire.questions, key=lambda q: q.position),
        values={}, errors={}, notes={}, uploads={}, editable=False, preview=True,
        max_mb=medical_uploads.max_bytes() // (1024 * 1024), range_hint=qs.range_hint, date_bounds=qs.date_bounds, accept="",
        condition_labels=qs.condition_labels,
    )
    commit()
    return page


@bp.post("/<int:questionnaire_id>/questions")
@medical_only
def add_question(questionnaire_id: int):
    questionnaire = _version(questionnaire_id)
    form = _question_form(questionnaire)
    if form.validate_on_submit():
        try:
            question = qs.add_question(questionnaire, form.data_for_service())
        except ServiceError as exc:
            rollback()
            questionnaire = _version(questionnaire_id)
            if questionnaire.published:
                return _refused(questionnaire_id, exc.message)
            show_error(form, exc)
        else:
            _log("change", f"{_what(questionnaire)} (question {question.key} added)")
            return _changed(questionnaire, _("Question %(n)s added.", n=question.position), f"question-{question.id}")
    elif questionnaire.published:
        return _refused(questionnaire_id, _("Version %(v)s is published and cannot be changed. "
                                            "Start a new draft to make changes.", v=questionnaire.version))
    _log("change", f"{_what(questionnaire)} (question refused)")
    page = _editor(questionnaire, 422, add_form=form)
    commit()
    return page


@bp.route("/<int:questionnaire_id>/questions/<int:question_id>", methods=["GET", "POST"])
@medical_only
def edit_question(questionnaire_id: int, question_id: int):
    questionnaire = _version(questionnaire_id)
    question = _question(questionnaire, question_id)
    if questionnaire.published:
        if request.method == "POST":
            return _refused(questionnaire_id, _("Version %(v)s is published and cannot be changed. "
                                                "Start a new draft to make changes.", v=questionnaire.version))
        _log("view", _what(questionnaire))
        commit()
        return redirect(url_for("medical.editor.edit", questionnaire_id=questionnaire.id))
    form = _question_form(questionnaire, question)
    status = 200
    if request.method == "GET":
        form = _question_form(questionnaire, question, formdata=None)
        form.fill(question)
        _log("view", f"{_what(questionnaire)} (question {question.key})")
    elif form.validate_on_submit():
        try:
            qs.update_question(question, form.data_for_service())
        except ServiceError as exc:
            rollback()
            questionnaire = _version(questionnaire_id)
            question = _question(questionnaire, question_id)
            show_error(form, exc)
        else:
            _log("change", f"{_what(questionnaire)} (question {question.key} changed)")
            commit()
            flash(_("Question %(n)s saved.", n=question.position), "success")
            return redirect(url_for("medical.editor.edit", questionnaire_id=questionnaire.id,
                                    _anchor=f"question-{question.id}"))
    if request.method == "POST":
        status = 422
        _log("change", f"{_what(questionnaire)} (question {question.key} refused)")
    page = render_template("medical/editor/question.html", questionnaire=questionnaire, question=question,
                           form=form, kinds=QUESTION_KINDS), status
    commit()
    return page


@bp.post("/<int:questionnaire_id>/questions/<int:question_id>/delete")
@medical_only
def delete_question(questionnaire_id: int, question_id: int):
    questionnaire = _version(questionnaire_id)
    question = _question(questionnaire, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    key = question.key
    try:
        qs.remove_question(question)
    except ServiceError as exc:
        return _refused(questionnaire_id, exc.message)
    _log("change", f"{_what(questionnaire)} (question {key} removed)")
    return _changed(questionnaire, _("The question “%(key)s” is removed.", key=key), "questions")


@bp.post("/<int:questionnaire_id>/questions/<int:question_id>/move")
@medical_only
def move_question(questionnaire_id: int, question_id: int):
    questionnaire = _version(questionnaire_id)
    question = _question(questionnaire, question_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        qs.move_question(question, -1 if form.direction.data == "up" else 1)
    except ServiceError as exc:
        return _refused(questionnaire_id, exc.message)
    _log("change", f"{_what(questionnaire)} (question {question.key} moved)")
    return _changed(questionnaire, _("The question “%(key)s” is now number %(n)s.", key=question.key,
                                     n=question.position), f"question-{question.id}")


@bp.post("/<int:questionnaire_id>/publish")
@medical_only
def publish(questionnaire_id: int):
    questionnaire = _version(questionnaire_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        qs.publish(questionnaire, current_user)
    except ServiceError as exc:
        return _refused(questionnaire_id, exc.message)
    _log("change", f"{_what(questionnaire)} (published)")
    commit()
    flash(_("Version %(v)s is published. New questionnaires are answered on it; tourists who already "
            "started keep their version.", v=questionnaire.version), "success")
    return redirect(url_for("medical.editor.index"))


@bp.post("/<int:questionnaire_id>/delete")
@medical_only
def delete_draft(questionnaire_id: int):
    questionnaire = _version(questionnaire_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    version = questionnaire.version
    try:
        qs.delete_draft(questionnaire)
    except ServiceError as exc:
        return _refused(questionnaire_id, exc.message)
    _log("change", f"questionnaire v{version} (draft deleted)")
    commit()
    flash(_("The draft version %(v)s is deleted.", v=version), "success")
    return redirect(url_for("medical.editor.index"))
