"""Moving a flight's launch (a slip): operations give the new time, the cause and a note; the page
first shows the impact report (the move made in full and rolled back: exactly what it would
change), then, confirmed, makes it in one transaction and tells everyone with a seat."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.booking import flights as flight_service
from app.booking.flights import Moved
from app.errors import ServiceError
from app.extensions import db
from app.formats import when
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.i18n import ngettext
from app.models import Flight, FlightStatus, SlipCause
from app.transactions import commit, rollback
from blueprints.access import ops_only
from blueprints.flightops.forms import MoveForm, ScrubForm, shifted, to_utc
from blueprints.forms import form_status, show_error

bp = Blueprint("schedule", __name__, url_prefix="/ops/flights")

#: The impact report's parts, in order, by the area each domain reports under.
AREAS = {
    "payments": _l("Payments and deadlines"),
    "training": _l("Training"),
    "medical": _l("Medical clearances"),
    "travel": _l("Itineraries"),
}


@dataclass
class Report:
    """What a move did or would do, as plain text (the rows it touched are rolled back in a
    preview): by area, the reminders moved and dropped, the bookings told."""

    launch_before: str
    launch_after: str
    areas: list[tuple[str, list[str]]]
    reminders_moved: int
    reminders_dropped: int
    told: int


def _report(moved: Moved, flight: Flight) -> Report:
    by_area: dict[str, list[str]] = {}
    for impact in moved.impacts:
        by_area.setdefault(impact.area, []).append(impact.text)
    ordered = [(str(AREAS.get(area, area)), by_area[area]) for area in [*AREAS, *sorted(set(by_area) - set(AREAS))]
               if area in by_area]
    return Report(when(moved.previous_launch_at, "full"), when(flight.launch_at, "full"), ordered,
                  moved.reminders.moved, moved.reminders.dropped_past, moved.told)


def _flight(flight_id: int) -> Flight:
    return db.session.get(Flight, flight_id) or abort(404)


def _move(flight: Flight, form: MoveForm) -> Moved:
    launch_at = to_utc(form.launch_at.data, current_user.timezone, "launch_at")
    if form.window_closes_at.data:
        closes = to_utc(form.window_closes_at.data, current_user.timezone, "window_closes_at")
    else:
        closes = shifted(launch_at, flight.window_closes_at - flight.launch_at, "launch_at")
    return flight_service.move_launch(flight, launch_at, closes, SlipCause(form.cause.data), form.note.data or "",
                                      current_user)


@bp.route("/<int:flight_id>/move", methods=["GET", "POST"])
@ops_only
def move(flight_id: int):
    """GET: the form. POST ``step=preview``: the impact report, nothing kept. POST
    ``step=confirm``: the move, kept."""
    flight = _flight(flight_id)
    if flight.status in (FlightStatus.FLOWN, FlightStatus.CANCELLED):
        flash(_("A flight that has flown or was cancelled cannot be moved."), "error")
        return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    form = MoveForm()
    report = None
    if form.validate_on_submit():
        confirm = request.form.get("step") == "confirm"
        try:
            moved = _move(flight, form)
            report = _report(moved, flight)
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            if confirm:
                commit()
                flash(ngettext("The launch of %(flight)s moved to %(date)s; %(num)d tourist was told.",
                               "The launch of %(flight)s moved to %(date)s; %(num)d tourists were told.",
                               report.told, flight=flight.name, date=report.launch_after), "success")
                return redirect(url_for("booking.operations.flight", flight_id=flight.id))
            rollback()  # a preview: everything the move changed is undone
            flight = _flight(flight_id)
    return render_template("flightops/move.html", flight=flight, form=form, report=report,
                           zone=current_user.timezone), form_status() if report is None else 200


@bp.route("/<int:flight_id>/scrub", methods=["GET", "POST"])
@ops_only
def scrub(flight_id: int):
    """A scrub, recorded and told at once (it has happened: there is nothing to preview); with the
    next attempt, every domain re-plans as for a move."""
    flight = _flight(flight_id)
    if flight.status in (FlightStatus.FLOWN, FlightStatus.CANCELLED):
        flash(_("Only a flight still to launch can be scrubbed."), "error")
        return redirect(url_for("booking.operations.flight", flight_id=flight.id))
    form = ScrubForm()
    if form.validate_on_submit():
        try:
            next_attempt = (to_utc(form.next_attempt_at.data, current_user.timezone, "next_attempt_at")
                            if form.next_attempt_at.data else None)
            moved = flight_service.scrub(flight, next_attempt, SlipCause(form.cause.data), form.note.data or "",
                                         current_user)
        except ServiceError as exc:
            rollback()
            show_error(form, exc)
        else:
            commit()
            flash(ngettext("The launch is scrubbed; %(num)d tourist was told.",
                           "The launch is scrubbed; %(num)d tourists were told.", moved.told), "success")
            return redirect(url_for("booking.operations.flight", flight_id=flight_id))
    return render_template("flightops/scrub.html", flight=flight, form=form, zone=current_user.timezone), \
        form_status()
