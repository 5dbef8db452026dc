"""The tourist's conversations with the operator: the list (``/conversations``), asking something
from any page ("Ask us", ``/conversations/new``, with the topic and booking it came from), a
thread with its expected answer time, replying, files, and the one-click rating once resolved."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.desk import attachments, conversations, labels
from app.errors import ServiceError
from app.extensions import db
from app.formats import when
from app.i18n import gettext as _
from app.models import (
    Booking,
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationState,
    MessageKind,
    Role,
    Topic,
)
from app.timeutil import now_utc
from app.transactions import commit, rollback
from blueprints.access import roles_required
from blueprints.desk import rendering
from blueprints.desk.forms import AskForm, RateForm, WriteForm
from blueprints.forms import attempt, form_status, show_error

bp = Blueprint("tourist", __name__)
tourist_only = roles_required(Role.TOURIST)


def _own(conversation_id: int) -> Conversation:
    """The tourist's own conversation (404 for anyone else's)."""
    conversation = db.session.scalar(
        select(Conversation).where(Conversation.id == conversation_id)
        .options(selectinload(Conversation.messages).selectinload(ConversationMessage.attachments),
                 selectinload(Conversation.messages).selectinload(ConversationMessage.author)))
    if conversation is None or conversation.user_id != current_user.id:
        abort(404)
    return conversation


def _booking_choices(form: AskForm) -> list[Booking]:
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.user_id == current_user.id).options(selectinload(Booking.flight))
        .order_by(Booking.created_at.desc()).limit(50)))
    form.booking.choices = [("", _("None in particular"))] + [
        (b.reference, f"{b.reference} · {b.flight.name}") for b in bookings]
    return bookings


@bp.get("/conversations")
@tourist_only
def index():
    rows = list(db.session.scalars(
        select(Conversation).where(Conversation.user_id == current_user.id)
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(200)))
    return render_template("desk/tourist/index.html", conversations=rows, states=labels.TOURIST_STATES,
                           topics=labels.TOPICS, sms_number=current_app.config.get("TWILIO_FROM_NUMBER", ""),
                           verified=current_user.phone_verified_at is not None)


@bp.route("/conversations/new", methods=["GET", "POST"])
@tourist_only
def ask():
    form = AskForm()
    bookings = _booking_choices(form)
    if request.method == "GET":
        topic = request.args.get("topic", "")
        form.topic.data = topic if topic in {t.value for t in Topic} else ""
        reference = request.args.get("booking", "")
        form.booking.data = reference if any(b.reference == reference for b in bookings) else ""
    if form.validate_on_submit():
        booking = next((b for b in bookings if b.reference == form.booking.data), None)
        try:
            conversation = conversations.start(
                current_user, topic=form.topic.data, subject=form.subject.data, body=form.body.data, booking=booking,
                files=request.files.getlist(form.files.name))
            commit()
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            flash(_("Your question was sent. We will answer by %(when)s.",
                    when=_when(conversation)), "success")
            return redirect(url_for("desk.tourist.thread", conversation_id=conversation.id))
    return render_template("desk/tourist/ask.html", form=form, open_ones=_open_conversations(),
                           states=labels.TOURIST_STATES), form_status()


def _open_conversations() -> list[Conversation]:
    """The tourist's conversations still open, those answered first: before asking anew."""
    return list(db.session.scalars(
        select(Conversation).where(Conversation.user_id == current_user.id,
                                   Conversation.state != ConversationState.RESOLVED)
        .order_by((Conversation.state == ConversationState.WAITING_ON_TOURIST).desc(), Conversation.updated_at.desc())
        .limit(5)))


def _when(conversation: Conversation) -> str:
    expected = conversations.expected_answer(conversation)
    return when(expected.at, "medium") if expected else ""


def _thread_page(conversation: Conversation, form: WriteForm, status: int = 200):
    return render_template(
        "desk/tourist/thread.html", conversation=conversation, form=form, rate_form=RateForm(formdata=None), now=now_utc(),
        thread=rendering.thread(conversations.visible_messages(conversation, current_user), conversation, "tourist"),
        states=labels.TOURIST_STATES,
        topics=labels.TOPICS, ratings=labels.RATINGS, expected=conversations.expected_answer(conversation),
    ), status


@bp.get("/conversations/<int:conversation_id>")
@tourist_only
def thread(conversation_id: int):
    return _thread_page(_own(conversation_id), WriteForm(formdata=None))


@bp.post("/conversations/<int:conversation_id>")
@tourist_only
def write(conversation_id: int):
    conversation = _own(conversation_id)
    form = WriteForm()
    if form.validate_on_submit():
        try:
            conversations.tourist_writes(conversation, current_user, form.body.data,
                                         request.files.getlist(form.files.name))
            commit()
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            flash(_("Your message was sent. We will answer by %(when)s.", when=_when(conversation)), "success")
            return redirect(url_for("desk.tourist.thread", conversation_id=conversation.id) + "#latest")
    return _thread_page(_own(conversation_id), form, 422)


@bp.post("/conversations/<int:conversation_id>/rating")
@tourist_only
def rate(conversation_id: int):
    conversation = _own(conversation_id)
    form = RateForm()
    raw = form.rating.data or ""
    if not form.validate_on_submit() or not raw.isdigit():
        flash(_("Choose a rating from 1 to 5."), "error")
        return redirect(url_for("desk.tourist.thread", conversation_id=conversation.id))
    attempt(lambda: conversations.rate(conversation, current_user, int(raw)), _("Thank you for your rating."))
    return redirect(url_for("desk.tourist.thread", conversation_id=conversation.id))


@bp.post("/conversations/<int:conversation_id>/close")
@tourist_only
def close(conversation_id: int):
    """All is clear: the tourist closes the conversation (and may rate it)."""
    conversation = _own(conversation_id)
    if not RateForm().validate_on_submit():
        abort(400)
    attempt(lambda: conversations.tourist_closes(conversation, current_user),
            _("The conversation is closed. Thank you; how did we do?"))
    return redirect(url_for("desk.tourist.thread", conversation_id=conversation.id))


@bp.get("/conversations/<int:conversation_id>/files/<int:attachment_id>")
@tourist_only
def attachment(conversation_id: int, attachment_id: int):
    conversation = _own(conversation_id)
    return file_response(conversation, attachment_id, staff=False)


def file_response(conversation: Conversation, attachment_id: int, *, staff: bool):
    """An attachment of a message the reader may see (a tourist never gets a note's)."""
    found = db.session.scalar(
        select(ConversationAttachment)
        .join(ConversationMessage, ConversationMessage.id == ConversationAttachment.message_id)
        .where(ConversationAttachment.id == attachment_id, ConversationMessage.conversation_id == conversation.id,
               *(() if staff else (ConversationMessage.kind != MessageKind.NOTE,))))
    if found is None:
        abort(404)
    response = make_response(attachments.content_of(found))
    response.mimetype = found.content_type
    safe = "".join(ch for ch in found.filename if ch.isascii() and (ch.isalnum() or ch in "._- ")) or "attachment"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
