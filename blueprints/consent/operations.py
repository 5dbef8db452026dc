"""Operations publish versions of the consent document and answer the tourists' questions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.consent import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import ConsentDocument, ConsentQuestion
from app.transactions import commit, rollback
from blueprints.access import ops_only
from blueprints.consent.forms import AnswerForm, DocumentForm
from blueprints.forms import error_text, form_status, save

bp = Blueprint("operations", __name__, url_prefix="/ops")


# -- consent documents and questions --------------------------------------------------------------

@bp.route("/consent", methods=["GET", "POST"])
@ops_only
def documents():
    form = DocumentForm()
    current = consent.current_document()
    if request.method == "GET" and current is not None:
        form.title.data, form.body.data = current.title, current.body
    if form.validate_on_submit():
        saved, document = save(form, lambda: consent.publish_document(
            title=form.title.data, body=form.body.data, resign_required=form.resign_required.data,
            change_summary=form.change_summary.data or "", actor=current_user,
        ))
        if saved:
            flash(_("Version %(v)s is published.", v=document.version), "success")
            return redirect(url_for("consent.operations.documents"))
    versions = list(db.session.scalars(
        select(ConsentDocument).options(selectinload(ConsentDocument.published_by))
        .order_by(ConsentDocument.version.desc())
    ))
    return render_template("consent/operations/documents.html", form=form, versions=versions), form_status()


@bp.get("/consent/<int:document_id>")
@ops_only
def document(document_id: int):
    doc = db.session.get(ConsentDocument, document_id) or abort(404)
    return render_template("consent/operations/document.html", document=doc)


@bp.get("/questions")
@ops_only
def questions():
    rows = list(db.session.scalars(
        select(ConsentQuestion).options(selectinload(ConsentQuestion.user), selectinload(ConsentQuestion.booking))
        .order_by(ConsentQuestion.answered_at.is_not(None), ConsentQuestion.asked_at.desc()).limit(200)
    ))
    return render_template("consent/operations/questions.html", questions=rows, form=AnswerForm(formdata=None))


@bp.post("/questions/<int:question_id>/answer")
@ops_only
def answer(question_id: int):
    question = db.session.get(ConsentQuestion, question_id) or abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            consent.answer_question(
                question, current_user, form.answer.data,
                question.booking.reference if question.booking else None,
            )
            commit()
        except ServiceError as exc:
            rollback()
            form.answer.errors.append(exc.message)
        else:
            if request.headers.get("HX-Request"):
                return render_template("consent/operations/_question.html", q=question, form=AnswerForm(formdata=None))
            flash(_("Your answer was sent."), "success")
            return redirect(url_for("consent.operations.questions"))
    if request.headers.get("HX-Request"):
        return render_template("consent/operations/_question.html", q=question, form=form), 422
    flash(error_text(form.answer.errors), "error")
    return redirect(url_for("consent.operations.questions"))
