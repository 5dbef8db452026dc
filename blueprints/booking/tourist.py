"""The tourist's bookings: hold a seat, a booking's page, release a hold, the waiting list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.booking import bookings as booking_service
from app.booking import flights
from app.documents import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import Role, WaitlistEntry
from app.payments import installments, payments
from app.readiness import readiness_for
from app.transactions import commit, rollback
from blueprints.access import own_booking, own_or_404, roles_required
from blueprints.forms import ActionForm
from blueprints.payments.forms import PlanForm

bp = Blueprint("tourist", __name__)


@bp.post("/flights/<int:flight_id>/hold")
@roles_required(Role.TOURIST)
def hold(flight_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        booking = booking_service.hold_seat(flight_id, current_user)
        commit()
    except booking_service.SoldOut as exc:
        commit()  # keep what was done on the way: lapsed holds expired, freed seats offered
        flash(exc.message, "warning")
        return redirect(url_for("booking.catalog.detail", flight_id=flight_id))
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("booking.catalog.detail", flight_id=flight_id))
    except IntegrityError:  # a second click raced the first: one live booking per flight
        rollback()
        flash(_("You already have a seat on this flight."), "error")
        return redirect(url_for("booking.catalog.detail", flight_id=flight_id))
    flash(_("A seat is yours until %(time)s. Sign the informed consent next.",
            time=format_time(booking.hold_expires_at, "short")), "success")
    return redirect(url_for("documents.tourist.consent", reference=booking.reference))


@bp.get("/bookings/<reference>")
@roles_required(Role.TOURIST)
def detail(reference: str):
    booking = own_booking(reference)
    readiness = readiness_for([booking])[booking.id]
    closing = next((ev for ev in reversed(booking.events) if not ev.to_state.takes_seat), None)
    change = flights.latest_changes([booking.flight_id]).get(booking.flight_id)
    return render_template(
        "booking/tourist/detail.html", booking=booking, readiness=readiness, form=ActionForm(),
        change=change, closing=closing, slip_days=flights.withdrawal_slip_days(booking) if change is not None else 0,
        consent_status=consent.statuses([booking])[booking.id],
        ledger=payments.ledgers([booking])[booking.id],
        balance_due=installments.balance_due_at(booking.flight), plan_form=PlanForm(formdata=None, most=installments.max_installments(booking)),
    )


@bp.post("/bookings/<reference>/release")
@roles_required(Role.TOURIST)
def release(reference: str):
    booking = own_booking(reference)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        booking_service.release_hold(booking, current_user)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("booking.tourist.detail", reference=reference))
    flash(_("You released your seat on %(flight)s.", flight=booking.flight.name), "info")
    return redirect(url_for("journey.index"))


@bp.post("/flights/<int:flight_id>/waitlist")
@roles_required(Role.TOURIST)
def join_waitlist(flight_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        booking_service.join_waitlist(flight_id, current_user)
        commit()
    except (ServiceError, IntegrityError) as exc:
        rollback()
        flash(getattr(exc, "message", _("You are already on the waiting list for this flight.")), "error")
    else:
        flash(_("You are on the waiting list. We will email you when a seat frees up."), "success")
    return redirect(url_for("booking.catalog.detail", flight_id=flight_id))


@bp.post("/waitlist/<int:entry_id>/leave")
@roles_required(Role.TOURIST)
def leave_waitlist(entry_id: int):
    entry = own_or_404(db.session.get(WaitlistEntry, entry_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        booking_service.leave_waitlist(entry)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
    else:
        flash(_("You left the waiting list."), "info")
    return redirect(url_for("booking.catalog.detail", flight_id=entry.flight_id))
