"""After the flight: operations mark it flown (``flown``) and read the survey's answers per flight
(``feedback``); a flown tourist downloads their certificate (``certificate``) and answers the
survey (``survey``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.flightops import after
from app.flightops.certificates import certificate_pdf
from app.flightops.evidence_pack import evidence_pdf
from app.i18n import gettext as _
from app.i18n import ngettext
from app.models import Booking, BookingState, Flight, FlightStatus, Role
from blueprints.access import ops_only, own_booking, roles_required
from blueprints.flightops.forms import FlownForm, SurveyForm, to_utc
from blueprints.forms import form_status, save

bp = Blueprint("after", __name__)


def _utc(local, field: str):
    return to_utc(local, current_user.timezone, field)


@bp.route("/ops/flights/<int:flight_id>/flown", methods=["GET", "POST"])
@ops_only
def flown(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    if flight.status in (FlightStatus.FLOWN, FlightStatus.CANCELLED):
        flash(_("This flight is already flown or was cancelled."), "error")
        return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    form = FlownForm()
    if form.validate_on_submit():
        saved, count = save(form, lambda: after.mark_flown(
            flight, _utc(form.lifted_off_at.data, "lifted_off_at"), _utc(form.landed_at.data, "landed_at"),
            current_user))
        if saved:
            flash(ngettext("%(flight)s is flown; %(num)d tourist was told and has their certificate.",
                           "%(flight)s is flown; %(num)d tourists were told and have their certificates.",
                           count, flight=flight.name), "success")
            return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    return render_template("flightops/flown.html", flight=flight, form=form, zone=current_user.timezone), \
        form_status()


@bp.get("/ops/flights/<int:flight_id>/evidence/<reference>.pdf")
@ops_only
def evidence(flight_id: int, reference: str):
    """A flown tourist's evidence pack, for the operator's files."""
    booking = db.session.scalar(select(Booking).where(Booking.reference == reference[:16]))
    if booking is None or booking.flight_id != flight_id or booking.state is not BookingState.FLOWN:
        abort(404)
    response = make_response(evidence_pdf(booking, after.outcome_of(flight_id), current_user))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="evidence-{booking.reference}.pdf"'
    return response


@bp.get("/ops/flights/<int:flight_id>/feedback")
@ops_only
def feedback(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    return render_template("flightops/feedback.html", flight=flight, summary=after.summary(flight),
                           outcome=after.outcome_of(flight.id))


def _flown_booking(reference: str):
    booking = own_booking(reference)
    if booking.state is not BookingState.FLOWN:
        abort(404)
    return booking


@bp.get("/bookings/<reference>/certificate.pdf")
@roles_required(Role.TOURIST)
def certificate(reference: str):
    booking = _flown_booking(reference)
    outcome = after.outcome_of(booking.flight_id) or abort(404)
    response = make_response(certificate_pdf(booking, outcome))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{booking.reference}.pdf"'
    return response


@bp.route("/bookings/<reference>/feedback", methods=["GET", "POST"])
@roles_required(Role.TOURIST)
def survey(reference: str):
    booking = _flown_booking(reference)
    given = after.feedback_of(booking.id)
    form = SurveyForm()
    if given is None and form.validate_on_submit():
        saved, _made = save(form, lambda: after.answer(booking, after.Answers(
            int(form.overall.data), int(form.recommend.data), form.best.data or "", form.improve.data or "")))
        if saved:
            flash(_("Thank you: operations read every answer."), "success")
            return redirect(url_for(".survey", reference=booking.reference))
    return render_template("flightops/survey.html", booking=booking, form=form, given=given,
                           outcome=after.outcome_of(booking.flight_id)), form_status()
