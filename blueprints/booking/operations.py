"""Operations run the catalog: flights (new, edited, moved, cancelled), a flight's passengers and
waiting list, and one booking as operations see it, with its payments and refunds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.consent import consent
from app.errors import ServiceErrors
from app.extensions import db
from app.medical import cases as medical
from app.models import (
    Booking,
    Flight,
    FlightStatus,
    Payment,
    PaymentEvent,
    Role,
    User,
    WaitlistEntry,
    WaitlistState,
)
from app.money import format_money, to_decimal
from app.payments import payments as payment_service
from app.web import render_page
from blueprints.access import roles_required
from blueprints.booking.forms import FlightForm
from blueprints.forms import form_status, save
from blueprints.payments.forms import (
    RefundForm,
)

bp = Blueprint("operations", __name__, url_prefix="/ops")
ops_only = roles_required(Role.OPERATIONS)


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
            return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    return render_template("ops/flight_form.html", form=form, flight=None), form_status()


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
            return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    return render_template("ops/flight_form.html", form=form, flight=flight), form_status()


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


@bp.post("/payments/<int:payment_id>/refund")
@roles_required(Role.OPERATIONS)
def refund(payment_id: int):
    payment = db.session.get(Payment, payment_id) or abort(404)
    form = RefundForm()
    form.payment = payment
    if form.validate_on_submit():
        amount = form.amount_minor()
        saved, _refund = save(form, lambda: payment_service.refund_payment(
            payment, amount, reason=form.reason.data, actor=current_user))
        if saved:
            flash(_("Refunded %(amount)s.", amount=format_money(amount, payment.currency, str(get_locale()))), "success")
            return redirect(url_for("booking.operations.booking", reference=payment.booking.reference))
    # The booking's page again, with what was typed and every error at its field.
    payment = db.session.get(Payment, payment_id)
    return booking_page(payment.booking.reference, refund_forms={payment.id: form}, status=422)
