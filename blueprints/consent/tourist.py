"""The tourist reads and signs the informed consent for a booking, and asks questions about it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.consent import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import ConsentQuestion, Role
from app.transactions import commit, rollback
from app.web import render_page
from blueprints.access import own_booking, roles_required
from blueprints.consent.forms import QuestionForm, SignForm
from blueprints.forms import show_error

bp = Blueprint("tourist", __name__)


def _questions(user_id: int) -> list[ConsentQuestion]:
    return list(db.session.scalars(
        select(ConsentQuestion).where(ConsentQuestion.user_id == user_id)
        .order_by(ConsentQuestion.asked_at.desc())
    ))


def _page(booking, sign_form: SignForm, question_form: QuestionForm, status: int = 200):
    document = consent.current_document()
    if document is not None and not sign_form.document_id.data:
        sign_form.document_id.data = document.id
    return render_template(
        "consent/tourist/sign.html", booking=booking, document=document, form=sign_form,
        question_form=question_form, questions=_questions(current_user.id),
        status=consent.statuses([booking])[booking.id],
    ), status


@bp.get("/bookings/<reference>/consent")
@roles_required(Role.TOURIST)
def sign(reference: str):
    booking = own_booking(reference)
    return _page(booking, SignForm(formdata=None), QuestionForm(formdata=None))


@bp.post("/bookings/<reference>/consent")
@roles_required(Role.TOURIST)
def submit_signature(reference: str):
    booking = own_booking(reference)
    form = SignForm()
    form.user = current_user._get_current_object()
    if not form.validate_on_submit():
        return _page(booking, form, QuestionForm(formdata=None), 422)
    try:
        consent.sign(
            booking, current_user, document_id=form.document_id.data,
            signed_name=form.signed_name.data, ip_address=request.remote_addr or "",
            user_agent=request.user_agent.string or "",
        )
        commit()
    except ServiceError as exc:
        rollback()
        show_error(form, exc)
        form.document_id.data = None
        return _page(booking, form, QuestionForm(formdata=None), 422)
    flash(_("Thank you. Your signature is recorded."), "success")
    return redirect(url_for("journey.index"))


@bp.post("/bookings/<reference>/consent/questions")
@roles_required(Role.TOURIST)
def ask(reference: str):
    booking = own_booking(reference)
    form = QuestionForm()
    document = consent.current_document()
    status = 201
    if form.validate_on_submit() and document is not None:
        try:
            consent.ask_question(current_user, document, booking, form.question.data)
            commit()
            form = QuestionForm(formdata=None)
            flash_message = _("Your question was sent. The answer will appear here and by email.")
        except ServiceError as exc:
            rollback()
            form.question.errors.append(exc.message)
            flash_message, status = None, 422
    else:
        flash_message, status = None, 422
    if status == 201 and not request.headers.get("HX-Request"):
        flash(flash_message, "success")
        return redirect(url_for("consent.tourist.sign", reference=reference) + "#questions")
    return render_page(
        "consent/tourist/sign.html", "consent/tourist/_questions.html",
        booking=booking, document=document, form=SignForm(formdata=None), question_form=form,
        questions=_questions(current_user.id), notice=flash_message,
        status=consent.statuses([booking])[booking.id],
    ), (200 if status == 201 else 422)
