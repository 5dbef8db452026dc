"""The staff desk (``/desk``): the shared inbox of the conversations a reader's role handles, by
state, owner, topic and flight, the waits near or past their target first; a conversation with
its thread, internal notes, the tourist's file beside it, a reply (from a saved answer in the
tourist's language, or written), assigning, re-routing, resolving; the unmatched SMS queue; the
saved answers; operations' weekly figures."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_login import current_user
from sqlalchemy import bindparam, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.booking import bookings as booking_service
from app.booking.reminder_rules import LIVE
from app.config import LANGUAGES
from app.desk import clock, conversations, labels, report, routing, saved_answers
from app.errors import ServiceError
from app.extensions import db
from app.models.types import UTCDateTime
from app.i18n import gettext as _
from app.medical import cases as medical_cases
from app.models import (
    Booking,
    Conversation,
    ConversationMessage,
    ConversationState,
    Flight,
    Role,
    SavedAnswer,
    Topic,
    User,
    normalise_email,
)
from app.readiness import Audience, readiness_for
from app.timeutil import now_utc
from app.transactions import commit, rollback
from app.web import page_arg, render_page
from blueprints.access import ops_only, roles_required
from blueprints.desk import rendering
from blueprints.desk.forms import (
    AssignForm,
    MatchForm,
    NoteForm,
    ReplyForm,
    SavedAnswerForm,
    SeenForm,
    TopicForm,
)
from blueprints.desk.tourist import file_response
from blueprints.forms import ActionForm, attempt, flight_options, form_status, show_error

bp = Blueprint("staff", __name__)
desk_staff = roles_required(*routing.DESK_ROLES)
S = ConversationState
PER_PAGE = 50

#: The inbox's tabs: which states each shows.
VIEWS = {
    "open": (S.NEW, S.WAITING_ON_US),
    "new": (S.NEW,),
    "waiting_on_us": (S.WAITING_ON_US,),
    "waiting_on_tourist": (S.WAITING_ON_TOURIST,),
    "resolved": (S.RESOLVED,),
    "unmatched": (S.NEW, S.WAITING_ON_US, S.WAITING_ON_TOURIST),
}


@dataclass(frozen=True)
class Filters:
    view: str
    owner: str        # "", "me", "none" or a user id
    topic: str        # "" or a topic the reader handles
    flight: int | None

    def args(self, **changes) -> dict:
        values = {"view": self.view, "owner": self.owner, "topic": self.topic, "flight": self.flight or ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


def _filters() -> Filters:
    view = request.args.get("view", "open")
    view = view if view in VIEWS else "open"
    if view == "unmatched" and current_user.role is not Role.OPERATIONS:
        view = "open"
    owner = request.args.get("owner", "")
    owner = owner if owner in ("me", "none") or (owner.isascii() and owner.isdigit() and len(owner) < 10) else ""
    topic = request.args.get("topic", "")
    topic = topic if topic in {t.value for t in routing.topics_for(current_user.role)} else ""
    flight = request.args.get("flight", "")
    flight_id = int(flight) if flight.isascii() and flight.isdigit() and len(flight) < 10 else None
    return Filters(view, owner, topic, flight_id)


#: The inbox's order: the waits due soonest first where we owe answers, else the latest change first.
_DUE_FIRST = ("open", "new", "waiting_on_us")


_OWNER = aliased(User)


@functools.cache
def _page_statement(role: Role, view: str, owner: str, topic: bool, flight: bool):
    """The page's conversations with the columns the rows show (their tourist, owner and flight
    joined), in one statement composed once per role and shape of the filters (composing it cost
    about as much CPU as running it); the values are bound: ``owner_id``, ``topic``, ``flight``,
    ``offset``. ``owner`` is "", "me", "none" or "id".

    The page is taken first and only its rows are joined (joined for every match, PostgreSQL
    hashed every booking). Unfiltered, PostgreSQL reads the first rows of the order from its
    index and stops (the tab's count says how many there are); filtered by owner, topic or
    flight, each row also says how many match (``total``), which reads them all."""
    c = Conversation
    filtered = bool(owner or topic or flight)
    columns = [c.id, c.subject, c.last_channel, c.user_id, c.phone, c.topic, c.state, c.waiting_since, c.due_at,
               c.updated_at, c.booking_id, c.owner_id]
    page = select(*columns, *([func.count().over().label("total")] if filtered else [])).where(
        routing.staff_readable(role), c.state.in_(VIEWS[view]))
    if view == "unmatched":
        page = page.where(c.user_id.is_(None))
    if owner == "none":
        page = page.where(c.owner_id.is_(None))
    elif owner:
        page = page.where(c.owner_id == bindparam("owner_id"))
    if topic:
        page = page.where(c.topic == bindparam("topic"))
    if flight:
        # About a booking on that flight, or (about none in particular) from a tourist with a seat on it.
        on_flight = select(Booking.id).where(Booking.flight_id == bindparam("flight"), Booking.state.in_(LIVE))
        page = page.where(or_(
            c.booking_id.in_(on_flight.with_only_columns(Booking.id)),
            c.booking_id.is_(None) & c.user_id.in_(on_flight.with_only_columns(Booking.user_id))))

    def order(t):  # the waits due soonest first (those without a due time last), else the latest change
        if view in _DUE_FIRST:
            return t.due_at.asc().nulls_last(), t.id
        return t.updated_at.desc(), t.id.desc()
    # The page's size written into the statement: with a bound size, PostgreSQL's plan for the
    # prepared statement (made once for every call) expects a tenth of the matches, not fifty rows,
    # and hashes every user and booking to join them.
    page = page.order_by(*order(c)).limit(literal(PER_PAGE, literal_execute=True)).offset(bindparam("offset"))
    page = page.subquery("page")
    p = page.c
    # The booking's flight and reference looked up by its key for each of the fifty (a tenth have
    # a booking): joined, PostgreSQL's plan hashed all the bookings to find those few.
    flight_name = (select(Flight.name).join(Booking, Booking.flight_id == Flight.id)
                   .where(Booking.id == p.booking_id).scalar_subquery())
    reference = select(Booking.reference).where(Booking.id == p.booking_id).scalar_subquery()
    return (
        select(p.id, p.subject, p.last_channel, p.user_id, p.phone, p.topic, p.state, p.waiting_since, p.due_at,
               p.booking_id, *([p.total] if filtered else []), User.name.label("tourist"), _OWNER.name.label("owner"),
               flight_name.label("flight"), reference.label("reference"))
        .select_from(page)
        .outerjoin(User, User.id == p.user_id).outerjoin(_OWNER, _OWNER.id == p.owner_id)
        .order_by(*order(p))
    )


def _page_rows(filters: Filters, page: int, counts: dict[str, int]) -> tuple[list, int]:
    """The rows of page ``page`` of the inbox as filtered, and how many conversations match (the
    view's count, unless filtered by owner, topic or flight)."""
    owner = filters.owner if filters.owner in ("", "me", "none") else "id"
    statement = _page_statement(current_user.role, filters.view, owner, bool(filters.topic), bool(filters.flight))
    values: dict = {"offset": (page - 1) * PER_PAGE}
    if owner == "me":
        values["owner_id"] = current_user.id
    elif owner == "id":
        values["owner_id"] = int(filters.owner)
    if filters.topic:
        values["topic"] = Topic(filters.topic)
    if filters.flight:
        values["flight"] = filters.flight
    rows = db.session.execute(statement, values).all()
    if owner or filters.topic or filters.flight:
        return rows, rows[0].total if rows else 0
    return rows, counts[filters.view]


@functools.cache
def _counts_statement(role: Role):
    """Conversations by state, and how many of them are unmatched, among those staff of ``role``
    may read; composed once per role. (Grouped by the state alone: grouping by the state and an
    expression too cost PostgreSQL a third more.)"""
    return (select(Conversation.state, func.count(), func.count().filter(Conversation.user_id.is_(None)))
            .where(routing.staff_readable(role)).group_by(Conversation.state))


def _counts() -> dict[str, int]:
    """How many conversations the reader may see are in each state, and (for operations, who
    read them) how many unmatched SMS are open: one query."""
    by_state: dict[ConversationState, int] = {}
    open_unmatched = 0
    for state, count, unmatched in db.session.execute(_counts_statement(current_user.role)):
        by_state[state] = count
        if state is not S.RESOLVED:
            open_unmatched += unmatched
    counts = {view: sum(by_state.get(s, 0) for s in states) for view, states in VIEWS.items() if view != "unmatched"}
    if current_user.role is Role.OPERATIONS:
        counts["unmatched"] = open_unmatched
    return counts


# The filters' choices, composed once (composing them cost as much CPU as running them).
_COLLEAGUES = (select(User.id, User.name, User.role).where(User.role.in_(routing.DESK_ROLES), User.active)
               .order_by(User.name))
_FLIGHTS = (select(Flight.id, Flight.name, Flight.launch_at).where(Flight.launch_at >= bindparam("since"))
            .order_by(Flight.launch_at).limit(60))


def _filter_choices_statement():
    """:data:`_COLLEAGUES` and :data:`_FLIGHTS` in one statement (a statement costs more than the
    few rows each reads): the colleagues first, then the flights; built once."""
    colleagues = select(literal(False).label("is_flight"), User.id, User.name,
                        cast(null(), UTCDateTime()).label("launch_at")).where(
        User.role.in_(routing.DESK_ROLES), User.active)
    flights = _FLIGHTS.subquery()
    both = union_all(colleagues, select(literal(True), flights.c.id, flights.c.name, flights.c.launch_at)).subquery()
    # Colleagues by name; flights by launch, the same launch by id.
    return select(both).order_by(both.c.is_flight, both.c.launch_at,
                                 case((both.c.is_flight, ""), else_=both.c.name), both.c.id)


_FILTER_CHOICES = _filter_choices_statement()


def _filter_choices() -> tuple[list, list]:
    """The inbox's owner and flight filters' choices: :func:`_colleagues` (their id and name) and
    :func:`_flights`, read together."""
    rows = db.session.execute(_FILTER_CHOICES, {"since": now_utc() - timedelta(days=31)}).all()
    return [r for r in rows if not r.is_flight], [r for r in rows if r.is_flight]


def _colleagues() -> list:
    """The desk's staff by name: id, name and role (what the owner filters and forms show and
    :func:`routing.may_read` asks), not whole accounts."""
    return db.session.execute(_COLLEAGUES).all()


def _flights() -> list:
    """The flights to filter by: those still to launch or launched in the last month (questions
    are about those), soonest first, named and dated."""
    return db.session.execute(_FLIGHTS, {"since": now_utc() - timedelta(days=31)}).all()


@bp.get("/desk")
@desk_staff
def inbox():
    filters = _filters()
    page = page_arg()
    counts = _counts()
    rows, total = _page_rows(filters, page, counts)
    if not rows and page > 1:  # past the last page (the list shrank since the link was made)
        return redirect(url_for("desk.staff.inbox", **filters.args()))
    colleagues, flights = _filter_choices()
    return render_page(
        "desk/staff/inbox.html", "desk/staff/_list.html",
        rows=rendering.inbox_rows(rows, now_utc()), total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), filters=filters, counts=counts,
        # Each label translated once, not once per row.
        topics={t: str(label) for t, label in labels.TOPICS.items()}, handled=routing.topics_for(current_user.role),
        colleagues=colleagues, flight_options=flight_options(flights, filters.flight),
    )


# -- one conversation ----------------------------------------------------------------------------------

#: A conversation with its thread (the messages with their authors and files, in one statement: a
#: thread has few files, so joining them repeats few messages), its tourist (with their phone's
#: proof, which the file shows) and owner: composed once (with its loader options it cost more to
#: compose than to run).
_CONVERSATION = (
    select(Conversation).where(Conversation.id == bindparam("conversation_id"))
    .options(selectinload(Conversation.messages).options(joinedload(ConversationMessage.author),
                                                         joinedload(ConversationMessage.attachments)),
             joinedload(Conversation.user).joinedload(User.phone_verification), joinedload(Conversation.owner))
)


#: The conversation for its page alone (which changes nothing): its tourist (with their phone's
#: proof), owner and booking (with its flight: the page names both), without the thread, which
#: the page reads as columns (``conversations.thread``). Composed once.
_CONVERSATION_PAGE = (
    select(Conversation).where(Conversation.id == bindparam("conversation_id"))
    .options(joinedload(Conversation.user).joinedload(User.phone_verification), joinedload(Conversation.owner),
             joinedload(Conversation.booking))
)


def _readable(conversation_id: int, statement=_CONVERSATION) -> Conversation:
    """The conversation if the reader may read it (404 otherwise). A change locks its row in the
    service, once the input is good."""
    conversation = db.session.scalar(statement, {"conversation_id": conversation_id})
    # Someone else's topic is as good as not there: a 404 says nothing about what exists.
    if conversation is None or not routing.may_read(current_user, conversation):
        abort(404)
    return conversation


@functools.cache
def _others_statement(role: Role):
    """The tourist's other conversations staff of ``role`` may open, latest first: the columns the
    file lists, composed once per role."""
    return (select(Conversation.id, Conversation.subject, Conversation.topic, Conversation.state)
            .where(Conversation.user_id == bindparam("user_id"), Conversation.id != bindparam("conversation_id"),
                   routing.staff_readable(role))
            .order_by(Conversation.updated_at.desc()).limit(5))


def _file(conversation: Conversation) -> dict:
    """The tourist's file at a glance: their bookings with where each stands (medical as a status
    only; medical staff get the link to the tourist's case too), and their other conversations
    the reader may open."""
    if conversation.user is None:
        return {"bookings": [], "readiness": {}, "others": [], "case": None}
    bookings = booking_service.holding_seats(conversation.user.id)
    others = db.session.execute(_others_statement(current_user.role),
                                {"user_id": conversation.user.id, "conversation_id": conversation.id}).all()
    case = medical_cases.latest_case(conversation.user) if current_user.role is Role.MEDICAL else None
    return {"bookings": bookings, "readiness": readiness_for(bookings, Audience.STAFF) if bookings else {},
            "others": others, "case": case}


def _page(conversation: Conversation, *, reply_form: ReplyForm | None = None, note_form: NoteForm | None = None,
          match_form: MatchForm | None = None, status: int = 200, messages: list | None = None):
    """The conversation's page; ``messages`` its thread when the conversation was loaded without
    (``conversations.thread``), else its own messages."""
    if messages is None:
        messages = conversation.messages
    language = conversation.user.language if conversation.user else "en"
    answers = saved_answers.offered([conversation.topic])
    reply_form = reply_form or ReplyForm(formdata=None)
    chosen = request.args.get("answer", "")
    if request.method == "GET" and chosen.isascii() and chosen.isdigit():
        answer = next((a for a in answers if a.id == int(chosen)), None)
        if answer is not None:
            reply_form.body.data = saved_answers.text_in(answer, language)
    assign_form = AssignForm(formdata=None)
    assign_form.owner.choices = [("", _("Nobody"))] + [
        (str(u.id), u.name) for u in _colleagues() if routing.may_read(u, conversation)]
    assign_form.owner.data = str(conversation.owner_id or "")
    topic_form = TopicForm(formdata=None)
    topic_form.topic.data = conversation.topic.value
    conversations.log_read(current_user, conversation)
    now = now_utc()
    html = render_template(
        "desk/staff/conversation.html", conversation=conversation,
        thread=rendering.thread(messages, conversation, "staff"),
        reply_form=reply_form, note_form=note_form or NoteForm(formdata=None), assign_form=assign_form,
        topic_form=topic_form, action_form=ActionForm(formdata=None),
        # Only an unmatched SMS is given to a tourist: no form to make for the others.
        match_form=match_form or (MatchForm(formdata=None) if conversation.user is None else None),
        seen=messages[-1].id if messages else 0,
        answers=answers, language=language, languages=LANGUAGES, file=_file(conversation), topics=labels.TOPICS,
        states=labels.STATES, standing=clock.standing(conversation.waiting_since, conversation.due_at, now),
        ratings=labels.RATINGS,
    )
    commit()  # the access log of a medical conversation read; after rendering, so nothing reloads
    return html, status


@bp.get("/desk/<int:conversation_id>")
@desk_staff
def conversation(conversation_id: int):
    return _page(_readable(conversation_id, _CONVERSATION_PAGE), messages=conversations.thread(conversation_id))


def _seen(raw: str | None) -> int | None:
    """The last message the page showed (a form's hidden field); None when it is not a number."""
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _back(conversation: Conversation, anchor: str = ""):
    return redirect(url_for("desk.staff.conversation", conversation_id=conversation.id) + anchor)


@bp.post("/desk/<int:conversation_id>/reply")
@desk_staff
def reply(conversation_id: int):
    conversation = _readable(conversation_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            seen = _seen(form.seen.data)
            conversations.reply(conversation, current_user, form.body.data, request.files.getlist(form.files.name))
            if form.resolve.data:
                conversations.resolve(conversation, current_user, seen_message_id=seen)
            commit()
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            flash(_("Your answer was sent and the conversation is resolved.") if form.resolve.data
                  else _("Your answer was sent."), "success")
            return _back(conversation)
    return _page(_readable(conversation_id), reply_form=form, status=422)


@bp.post("/desk/<int:conversation_id>/note")
@desk_staff
def note(conversation_id: int):
    conversation = _readable(conversation_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            conversations.note(conversation, current_user, form.note.data)
            commit()
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            flash(_("Your note was added. The tourist does not see it."), "success")
            return _back(conversation, "#notes")
    return _page(_readable(conversation_id), note_form=form, status=422)


@bp.post("/desk/<int:conversation_id>/owner")
@desk_staff
def assign(conversation_id: int):
    conversation = _readable(conversation_id)
    form = AssignForm()
    form.owner.choices = [("", "")] + [(str(u.id), u.name) for u in _colleagues()]
    if not form.validate_on_submit():
        flash(_("Choose who owns this conversation."), "error")
        return _back(conversation)
    owner = db.session.get(User, int(form.owner.data)) if form.owner.data else None
    attempt(lambda: conversations.assign(conversation, current_user, owner),
            _("%(name)s owns this conversation now.", name=owner.name) if owner
            else _("Nobody owns this conversation now."))
    return _back(conversation)


@bp.post("/desk/<int:conversation_id>/mine")
@desk_staff
def take(conversation_id: int):
    conversation = _readable(conversation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: conversations.assign(conversation, current_user, current_user._get_current_object()),
            _("You own this conversation now."))
    return _back(conversation)


@bp.post("/desk/<int:conversation_id>/topic")
@desk_staff
def topic(conversation_id: int):
    conversation = _readable(conversation_id)
    form = TopicForm()
    if not form.validate_on_submit():
        flash(_("Choose a topic."), "error")
        return _back(conversation)
    new = Topic(form.topic.data)
    if conversation.topic is Topic.MEDICAL and new is not Topic.MEDICAL and not form.confirm.data:
        flash(_("Moving a medical conversation shows its thread and notes to the staff of “%(topic)s”: "
                "tick the box to confirm.", topic=labels.TOPICS[new]), "error")
        return _back(conversation)
    done, _result = attempt(lambda: conversations.set_topic(conversation, current_user, new),
                            _("The conversation is on “%(topic)s” now.", topic=labels.TOPICS[new]))
    if done and not routing.may_read(current_user, conversation):
        return redirect(url_for("desk.staff.inbox"))
    return _back(conversation)


@bp.post("/desk/<int:conversation_id>/resolve")
@desk_staff
def resolve(conversation_id: int):
    conversation = _readable(conversation_id)
    form = SeenForm()
    if not form.validate_on_submit():
        abort(400)
    attempt(lambda: conversations.resolve(conversation, current_user, seen_message_id=_seen(form.seen.data)),
            _("The conversation is resolved; the tourist is asked to rate it."))
    return _back(conversation)


@bp.post("/desk/<int:conversation_id>/reopen")
@desk_staff
def reopen(conversation_id: int):
    conversation = _readable(conversation_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: conversations.reopen(conversation, current_user), _("The conversation is open again."))
    return _back(conversation)


@bp.post("/desk/<int:conversation_id>/tourist")
@ops_only
def match(conversation_id: int):
    conversation = _readable(conversation_id)
    form = MatchForm()
    if form.validate_on_submit():
        tourist = db.session.scalar(select(User).where(User.email == normalise_email(form.email.data)))
        if tourist is None or tourist.role is not Role.TOURIST:
            form.email.errors.append(_("No tourist has this email address."))
        else:
            try:
                conversations.give_to_tourist(conversation, current_user, tourist)
                commit()
            except ServiceError as exc:
                rollback()
                show_error(form, exc)
            else:
                flash(_("The conversation is %(name)s's now.", name=tourist.name), "success")
                return _back(conversation)
    return _page(_readable(conversation_id), match_form=form, status=422)


@bp.get("/desk/<int:conversation_id>/files/<int:attachment_id>")
@desk_staff
def attachment(conversation_id: int, attachment_id: int):
    conversation = _readable(conversation_id)
    conversations.log_read(current_user, conversation, "download")
    commit()
    return file_response(conversation, attachment_id, staff=True)


# -- saved answers ---------------------------------------------------------------------------------------

@bp.get("/desk/answers")
@desk_staff
def answers():
    return render_template("desk/staff/answers.html", answers=saved_answers.listed(active_only=False),
                           topics=labels.TOPICS, languages=LANGUAGES)


def _answer_form_page(form: SavedAnswerForm, answer: SavedAnswer | None):
    return render_template("desk/staff/answer.html", form=form, answer=answer, languages=LANGUAGES,
                           default=saved_answers.default_language()), form_status()


def _save_answer(form: SavedAnswerForm, answer: SavedAnswer | None):
    try:
        saved = saved_answers.save(
            answer, current_user, title=form.title.data, topic=Topic(form.topic.data) if form.topic.data else None,
            active=form.active.data, bodies={code: form[f"body_{code}"].data for code in LANGUAGES})
        commit()
    except ServiceError as exc:
        rollback()
        show_error(form, exc)
        return None
    flash(_("The saved answer “%(title)s” is saved.", title=saved.title), "success")
    return redirect(url_for("desk.staff.answers"))


@bp.route("/desk/answers/new", methods=["GET", "POST"])
@ops_only
def new_answer():
    form = SavedAnswerForm()
    if form.validate_on_submit():
        done = _save_answer(form, None)
        if done is not None:
            return done
    return _answer_form_page(form, None)


@bp.route("/desk/answers/<int:answer_id>", methods=["GET", "POST"])
@ops_only
def edit_answer(answer_id: int):
    answer = db.session.get(SavedAnswer, answer_id) or abort(404)
    form = SavedAnswerForm(obj=answer if request.method == "GET" else None)
    if request.method == "GET":
        form.topic.data = answer.topic.value if answer.topic else ""
        for code in LANGUAGES:
            form[f"body_{code}"].data = answer.body if code == saved_answers.default_language() else \
                (answer.texts.get(code) or {}).get("body", "")
    if form.validate_on_submit():
        done = _save_answer(form, answer)
        if done is not None:
            return done
    return _answer_form_page(form, answer)


# -- weekly figures --------------------------------------------------------------------------------------

@bp.get("/desk/report")
@ops_only
def weekly():
    targets = [_("%(topic)s %(hours)s h", topic=label,
                 hours=format_decimal(clock.target_for(topic).total_seconds() / 3600))
               for topic, label in labels.TOPICS.items()]
    return render_template("desk/staff/report.html", weeks=report.weekly(), topics=labels.TOPICS,
                           targets=targets, near_days=current_app.config["DESK_NEAR_LAUNCH_DAYS"])
