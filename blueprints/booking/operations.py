"""Operations run the catalog: flights (new, edited, moved, cancelled), and a flight's passengers,
their consent and payments, and its waiting list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.documents import consent
from app.errors import ServiceErrors
from app.extensions import db
from app.models import Flight, FlightEvent, FlightStatus, WaitlistEntry, WaitlistState
from app.money import to_decimal
from app.payments import payments as payment_service
from app.privacy import erasure
from app.web import render_page, wants_fragment
from blueprints.access import ops_only
from blueprints.booking.forms import FlightForm
from blueprints.forms import form_status, save

bp = Blueprint("operations", __name__, url_prefix="/ops")


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
        "booking/operations/flights.html", "booking/operations/_flights_table.html",
        flights=rows, counts=booking_service.seat_counts(rows), show=show,
        erasures=erasure.waiting() if not wants_fragment() else None,
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
    return render_template("booking/operations/flight_form.html", form=form, flight=None), form_status()


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
        form.fill_texts(flight)
    elif form.validate_on_submit():
        saved, _flight = save(form, lambda: flight_service.update_flight(flight, _flight_data(form), current_user))
        if saved:
            flash(_("Flight %(name)s saved.", name=flight.name), "success")
            return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    return render_template("booking/operations/flight_form.html", form=form, flight=flight), form_status()


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
    history = list(db.session.scalars(
        select(FlightEvent).where(FlightEvent.flight_id == flight.id)
        .options(selectinload(FlightEvent.actor)).order_by(FlightEvent.created_at.desc(), FlightEvent.id.desc())))
    return render_template(
        "booking/operations/flight.html", flight=flight, bookings=bookings, waitlist=waitlist, history=history,
        counts=booking_service.seat_counts([flight])[flight.id],
        consent_statuses=consent.statuses(bookings), ledgers=ledgers,
        money=payment_service.flight_money(flight.currency, bookings, ledgers),
    )
