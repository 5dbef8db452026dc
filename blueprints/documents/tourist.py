"""The tourist's documents: one page listing, per booking, every document their flight needs and
where they stand; each document read in their language (or the default, saying so), signed or
acknowledged from its page, with what changed since the version they accepted; questions about it
(conversations with the desk on the documents topic), answered before they are asked to sign, or a
warning that one is still open."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.booking import bookings as booking_service
from app.desk import conversations as desk
from app.documents import documents
from app.documents import labels as document_labels
from app.documents.documents import DocumentStatus
from app.errors import ServiceError
from app.models import Booking, Conversation, DocumentKind, Role, Topic
from app.transactions import commit, rollback
from app.urls import url_maker
from app.web import render_page
from blueprints.access import own_booking, roles_required
from blueprints.documents.forms import AcceptForm, QuestionForm
from blueprints.forms import show_error

bp = Blueprint("tourist", __name__)
tourist_only = roles_required(Role.TOURIST)


@bp.get("/documents")
@tourist_only
def index():
    bookings = booking_service.holding_seats(current_user.id)
    # Per booking, its documents' links with the route looked up once; the kinds' names read once.
    read_urls = {b.id: url_maker("documents.tourist.read", "document_id", reference=b.reference) for b in bookings}
    return render_template("documents/tourist/index.html", bookings=bookings, read_urls=read_urls,
                           kinds={kind: str(label) for kind, label in document_labels.KINDS.items()},
                           statuses=documents.statuses(bookings), language=current_user.language)


def _status(booking: Booking, document_id: int) -> DocumentStatus:
    status = next((s for s in documents.statuses([booking])[booking.id] if s.document.id == document_id), None)
    return status or abort(404)


def _questions(document_id: int) -> list[Conversation]:
    return desk.about_document(current_user.id, document_id)


def _page(booking: Booking, status: DocumentStatus, form: AcceptForm, question_form: QuestionForm,
          http_status: int = 200, notice: str | None = None, fragment: bool = False):
    language = current_user.language
    text = status.current.text_in(language)
    if not form.version_id.data:
        form.version_id.data = status.current.id
    form.language.data = text.language
    questions = _questions(status.document.id)
    context = dict(
        booking=booking, status=status, text=text, translated=text.language == language, form=form,
        question_form=question_form, questions=questions, notice=notice,
        unanswered=[q for q in questions if q.state in desk.WAITING],
        changes=documents.changes_since(status, language) if status.state.value == "redo" else None,
        summaries=documents.summaries_since(status, language) if status.state.value == "redo" else [],
        live=booking.holds_seat(),
    )
    if fragment:
        return render_page("documents/tourist/read.html", "documents/tourist/_questions.html", **context), http_status
    return render_template("documents/tourist/read.html", **context), http_status


def _accept_form(status: DocumentStatus, **kw) -> AcceptForm:
    form = AcceptForm(**kw).keep_for(status.document.kind)
    form.user = current_user._get_current_object()
    return form


@bp.get("/bookings/<reference>/documents/<int:document_id>")
@tourist_only
def read(reference: str, document_id: int):
    booking = own_booking(reference)
    status = _status(booking, document_id)
    if booking.holds_seat():
        documents.record_opened(booking, status.current, status.current.text_in(current_user.language).language)
        commit()
    return _page(booking, status, _accept_form(status, formdata=None), QuestionForm(formdata=None))


@bp.post("/bookings/<reference>/documents/<int:document_id>")
@tourist_only
def accept(reference: str, document_id: int):
    booking = own_booking(reference)
    status = _status(booking, document_id)
    form = _accept_form(status)
    if not form.validate_on_submit():
        return _page(booking, status, form, QuestionForm(formdata=None), 422)
    try:
        documents.accept(
            booking, current_user, version_id=form.version_id.data, language=current_user.language,
            signed_name=form.signed_name.data if "signed_name" in form._fields else "",
            ip_address=request.remote_addr or "", user_agent=request.user_agent.string or "",
            document_id=document_id, seen_language=form.language.data,
        )
        commit()
    except ServiceError as exc:
        rollback()
        show_error(form, exc)
        form.version_id.data = None
        return _page(booking, _status(booking, document_id), form, QuestionForm(formdata=None), 422)
    flash(_("Thank you. Your signature is recorded.") if status.signed
          else _("Thank you. Your acknowledgement is recorded."), "success")
    return redirect(url_for("documents.tourist.index"))


@bp.post("/bookings/<reference>/documents/<int:document_id>/questions")
@tourist_only
def ask(reference: str, document_id: int):
    booking = own_booking(reference)
    status = _status(booking, document_id)
    form = QuestionForm()
    notice, http_status = None, 422
    if form.validate_on_submit():
        try:
            title = status.current.text_in(current_user.language).title
            desk.start(current_user, topic=Topic.DOCUMENTS, subject=f"{title} (v{status.current.version})",
                       body=form.question.data, booking=booking, document_id=status.document.id,
                       document_version_id=status.current.id)
            commit()
            form, notice, http_status = QuestionForm(formdata=None), _(
                "Your question was sent. The answer will appear here and in your conversations with us."), 200
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
    if http_status == 200 and not request.headers.get("HX-Request"):
        flash(notice, "success")
        return redirect(url_for("documents.tourist.read", reference=reference, document_id=document_id) + "#questions")
    return _page(booking, status, _accept_form(status, formdata=None), form, http_status, notice, fragment=True)


@bp.get("/bookings/<reference>/consent")
@tourist_only
def consent(reference: str):
    """The informed consent's page as earlier emails and pages link to it."""
    booking = own_booking(reference)
    status = next((s for s in documents.statuses([booking])[booking.id]
                   if s.kind is DocumentKind.INFORMED_CONSENT), None)
    if status is None:
        return redirect(url_for("documents.tourist.index"))
    return redirect(url_for("documents.tourist.read", reference=reference, document_id=status.document.id))
