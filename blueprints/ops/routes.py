"""Operations: flights, seats and bookings, consent documents and questions, staff accounts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Booking,
    ConsentDocument,
    ConsentQuestion,
    Flight,
    FlightStatus,
    PaymentEvent,
    Role,
    User,
    WaitlistEntry,
    WaitlistState,
)
from app.money import to_decimal
from app.services import ServiceError, ServiceErrors, accounts, consent, medical
from app.services import bookings as booking_service
from app.services import flights as flight_service
from app.services import payments as payment_service
from app.transactions import commit, rollback
from app.web import render_page
from blueprints.access import roles_required
from blueprints.forms import error_text, save
from blueprints.ops.forms import AnswerForm, DocumentForm, FlightForm, StaffForm
from blueprints.payments.forms import RefundForm

bp = Blueprint("ops", __name__, url_prefix="/ops")
ops_only = roles_required(Role.OPERATIONS)


def _status() -> int:
    """A form page shown again after a POST is showing what was wrong with it."""
    return 422 if request.method == "POST" else 200


# -- flights --------------------------------------------------------------------------------------

@bp.get("/flights")
@ops_only
def flights():
    show = request.args.get("show", "upcoming")
    query = select(Flight).order_by(Flight.launch_at)
    if show != "all":
        query = query.where(Flight.status.notin_([FlightStatus.FLOWN, FlightStatus.CANCELLED]))
    rows = list(db.session.scalars(query))
    return render_page(
        "ops/flights.html", "ops/_flights_table.html",
        flights=rows, counts=booking_service.seat_counts(rows), show=show,
    )


def _flight_data(form: FlightForm) -> dict:
    """The flight as the service takes it, from a valid form (the form checked every value)."""
    data, problems = form.flight_data()
    if problems:
        raise ServiceErrors(problems)
    return data


@bp.route("/flights/new", methods=["GET", "POST"])
@ops_only
def new_flight():
    form = FlightForm()
    form.timezone = current_user.timezone
    if form.validate_on_submit():
        saved, flight = save(form, lambda: flight_service.create_flight(_flight_data(form)))
        if saved:
            flash(_("Flight %(name)s created.", name=flight.name), "success")
            return redirect(url_for("ops.flight", flight_id=flight.id))
    return render_template("ops/flight_form.html", form=form, flight=None), _status()


@bp.route("/flights/<int:flight_id>/edit", methods=["GET", "POST"])
@ops_only
def edit_flight(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    form = FlightForm()
    form.flight, form.timezone = flight, current_user.timezone
    if request.method == "GET":
        tz = ZoneInfo(current_user.timezone)
        form = FlightForm(formdata=None, obj=flight)
        form.launch_at.data = flight.launch_at.astimezone(tz).replace(tzinfo=None)
        form.window_closes_at.data = flight.window_closes_at.astimezone(tz).replace(tzinfo=None)
        form.price.data = to_decimal(flight.price_minor, flight.currency)
        form.deposit.data = to_decimal(flight.deposit_minor, flight.currency)
        form.deposit_nonrefundable.data = to_decimal(flight.deposit_nonrefundable_minor, flight.currency)
        form.status.data = flight.status.value
    elif form.validate_on_submit():
        saved, _flight = save(form, lambda: flight_service.update_flight(flight, _flight_data(form), current_user))
        if saved:
            flash(_("Flight %(name)s saved.", name=flight.name), "success")
            return redirect(url_for("ops.flight", flight_id=flight.id))
    return render_template("ops/flight_form.html", form=form, flight=flight), _status()


@bp.get("/flights/<int:flight_id>")
@ops_only
def flight(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    bookings = flight_service.bookings_of_flight(flight)
    waitlist = list(db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.flight_id == flight.id,
            WaitlistEntry.state.in_([WaitlistState.WAITING, WaitlistState.OFFERED]),
        ).options(selectinload(WaitlistEntry.user)).order_by(WaitlistEntry.created_at)
    ))
    ledgers = payment_service.ledgers(bookings)
    return render_template(
        "ops/flight.html", flight=flight, bookings=bookings, waitlist=waitlist,
        counts=booking_service.seat_counts([flight])[flight.id],
        consent_statuses=consent.statuses(bookings), ledgers=ledgers,
        money=payment_service.flight_money(flight.currency, bookings, ledgers),
    )


@bp.get("/bookings/<reference>")
@ops_only
def booking(reference: str):
    """One booking as operations sees it: its history, every payment, and refunds."""
    return booking_page(reference)


def booking_page(reference: str, *, refund_forms: dict | None = None, status: int = 200):
    """The booking's page; ``refund_forms`` by payment id: a refund refused, with its errors."""
    booking = db.session.scalar(
        select(Booking).where(Booking.reference == reference)
        .options(selectinload(Booking.events), selectinload(Booking.user))
    ) or abort(404)
    ledger = payment_service.ledgers([booking])[booking.id]
    payment_events = list(db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.payment_id.in_([p.id for p in ledger.payments]))
        .order_by(PaymentEvent.id)
    )) if ledger.payments else []
    actor_ids = {r.actor_id for p in ledger.payments for r in p.refunds if r.actor_id is not None}
    refund_actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} \
        if actor_ids else {}
    return render_template(
        "ops/booking.html", booking=booking, ledger=ledger, payment_events=payment_events,
        refund_actors=refund_actors, refundable=payment_service.refundable_minor,
        refund_form=RefundForm(formdata=None), refund_forms=refund_forms or {},
        consent_status=consent.statuses([booking])[booking.id],
        medical_status=medical.clearance_statuses([booking])[booking.id],  # the status alone, no details
    ), status


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
            return redirect(url_for("ops.documents"))
    versions = list(db.session.scalars(
        select(ConsentDocument).options(selectinload(ConsentDocument.published_by))
        .order_by(ConsentDocument.version.desc())
    ))
    return render_template("ops/documents.html", form=form, versions=versions), _status()


@bp.get("/consent/<int:document_id>")
@ops_only
def document(document_id: int):
    doc = db.session.get(ConsentDocument, document_id) or abort(404)
    return render_template("ops/document.html", document=doc)


@bp.get("/questions")
@ops_only
def questions():
    rows = list(db.session.scalars(
        select(ConsentQuestion).options(selectinload(ConsentQuestion.user), selectinload(ConsentQuestion.booking))
        .order_by(ConsentQuestion.answered_at.is_not(None), ConsentQuestion.asked_at.desc()).limit(200)
    ))
    return render_template("ops/questions.html", questions=rows, form=AnswerForm(formdata=None))


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
                return render_template("ops/_question.html", q=question, form=AnswerForm(formdata=None))
            flash(_("Your answer was sent."), "success")
            return redirect(url_for("ops.questions"))
    if request.headers.get("HX-Request"):
        return render_template("ops/_question.html", q=question, form=form), 422
    flash(error_text(form.answer.errors), "error")
    return redirect(url_for("ops.questions"))


# -- staff accounts -------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@ops_only
def users():
    form = StaffForm()
    if form.validate_on_submit():
        saved, user = save(form, lambda: accounts.create_user(
            email=form.email.data, name=form.name.data, password=form.password.data,
            role=Role(form.role.data), language=form.language.data, timezone=form.timezone.data,
        ))
        if saved:
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("ops.users"))
    staff = list(db.session.scalars(select(User).where(User.role != Role.TOURIST).order_by(User.role, User.name)))
    return render_template("ops/users.html", form=form, staff=staff), _status()
