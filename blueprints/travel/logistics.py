"""The logistics coordinator's work, which operations share: the day (``/logistics``: arrivals and
departures, what tourists still owe, segments to confirm), a flight (its tourists, flight-wide
segments, manifests), a tourist's file (what they gave, read under the access log, and the
itinerary builder), a segment or a template to change. Medical staff and instructors see none of
it; the medical status shown is cleared / not yet / not cleared, never a detail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.medical import cases as medical
from app.models import Booking, Flight, Manifest, Segment, SegmentTemplate
from app.timeutil import UTC, now_utc
from app.transactions import commit
from app.travel import access, day, details, itinerary, manifests, status
from blueprints.access import roles_required
from blueprints.forms import MAX_INT, ActionForm, attempt, form_status, save
from blueprints.travel.forms import SegmentForm

bp = Blueprint("logistics", __name__, url_prefix="/logistics")


coordinators_only = roles_required(*access.READERS)
#: The farthest day from today the day's page shows (further is a typing mistake).
MAX_DAYS_AWAY = 3650
#: Rows of each list on the day's page for every flight (the soonest launches first; the count says
#: how many in all); one flight's are shown whole.
LIST_MAX = 50


def medical_status(bookings: list[Booking]) -> dict[int, str]:
    """Per booking: "cleared", "not_cleared" or "not_yet" (never a detail)."""
    out = {}
    for booking_id, clearance in (medical.clearance_statuses(bookings) if bookings else {}).items():
        out[booking_id] = ("cleared" if clearance.cleared else
                           "not_cleared" if clearance.status is medical.Clearance.NOT_CLEARED else "not_yet")
    return out


def _zone() -> ZoneInfo:
    return ZoneInfo(current_user.timezone or "UTC")


# -- the day --------------------------------------------------------------------------------------------

@bp.get("")
@coordinators_only
def today():
    zone = _zone()
    today_here = now_utc().astimezone(zone).date()
    try:
        chosen = date.fromisoformat(request.args.get("day", "")[:10])
    except ValueError:
        chosen = today_here
    if abs((chosen - today_here).days) > MAX_DAYS_AWAY:  # a typing mistake: show today
        chosen = today_here
    flight_id = request.args.get("flight", type=int) or None
    if flight_id is not None and not 0 < flight_id <= MAX_INT:
        flight_id = None
    start = datetime.combine(chosen, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(chosen + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    # Each row's medical status comes with the list's rows, worded by medicine: one statement fewer.
    cleared = medical.launch_clearance_sql(Booking.user_id, Flight.launch_at)
    arrivals, departures = day.movements(start, end, flight_id, cleared)
    limit = None if flight_id else LIST_MAX  # one flight's lists are shown whole
    missing, missing_count = day.still_owed(flight_id, limit, medical=cleared)
    segments, segment_count = day.to_arrange(flight_id, limit)
    flights, arrival_days = day.navigation(
        datetime.combine(now_utc().astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC),
        current_user.timezone or "UTC")
    return render_template(
        "travel/logistics/day.html", day=chosen, previous=chosen - timedelta(days=1), next=chosen + timedelta(days=1),
        arrivals=arrivals, departures=departures, missing=missing, missing_count=missing_count,
        segments=segments, segment_count=segment_count,
        flights=flights, flight_id=flight_id, ahead=day.AHEAD.days, arrival_days=arrival_days,
    )


# -- a flight -------------------------------------------------------------------------------------------

def _flight(flight_id: int) -> Flight:
    return db.session.get(Flight, flight_id) or abort(404)


def _flight_page(flight: Flight, template_form: SegmentForm | None = None):
    bookings = itinerary.live_bookings(flight.id)
    return render_template(
        "travel/logistics/flight.html", flight=flight, bookings=bookings, statuses=status.statuses(bookings),
        cleared=medical_status(bookings), templates=itinerary.templates_of(flight.id),
        manifests=manifests.manifests_of(flight.id), action_form=ActionForm(formdata=None),
        template_form=template_form or _new_segment_form(flight),
    ), form_status() if template_form else 200


def _new_segment_form(flight: Flight, formdata=None) -> SegmentForm:
    form = SegmentForm(formdata=formdata)
    form.flight = flight
    if formdata is None:
        form.start_timezone.data = current_user.timezone or "UTC"
    return form


@bp.get("/flights")
@coordinators_only
def flights():
    upcoming = day.upcoming_flights()
    counts = day.confirmed_counts([f.id for f in upcoming])
    return render_template("travel/logistics/flights.html", flights=upcoming, counts=counts)


@bp.get("/flights/<int:flight_id>")
@coordinators_only
def flight(flight_id: int):
    return _flight_page(_flight(flight_id))


@bp.post("/flights/<int:flight_id>/templates")
@coordinators_only
def add_template(flight_id: int):
    flight = _flight(flight_id)
    form = _new_segment_form(flight, request.form)
    if form.validate_on_submit():
        saved, result = save(form, lambda: itinerary.add_template(flight, form.data_for_service(), current_user))
        if saved:
            flash(ngettext("Added for everyone on the flight: %(num)d itinerary changed.",
                           "Added for everyone on the flight: %(num)d itineraries changed.", result[1]), "success")
            return redirect(url_for("travel.logistics.flight", flight_id=flight.id))
    return _flight_page(flight, form)


def _template(template_id: int) -> SegmentTemplate:
    return db.session.get(SegmentTemplate, template_id) or abort(404)


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@coordinators_only
def template(template_id: int):
    template = _template(template_id)
    form = SegmentForm(formdata=request.form if request.method == "POST" else None)
    form.flight = template.flight
    if request.method == "GET":
        form.fill(itinerary.SegmentData.of(template))
    elif form.validate_on_submit():
        saved, count = save(form, lambda: itinerary.update_template(template, form.data_for_service(), current_user))
        if saved:
            flash(ngettext("Saved: %(num)d itinerary that follows it changed with it.",
                           "Saved: %(num)d itineraries that follow it changed with it.", count), "success")
            return redirect(url_for("travel.logistics.flight", flight_id=template.flight_id))
    return render_template("travel/logistics/segment.html", form=form, template=template, segment=None,
                           flight=template.flight, booking=None, action_form=ActionForm(formdata=None)), form_status()


@bp.post("/templates/<int:template_id>/remove")
@coordinators_only
def remove_template(template_id: int):
    template = _template(template_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    flight_id = template.flight_id
    attempt(lambda: itinerary.remove_template(template, current_user),
            lambda count: ngettext("Removed: %(num)d itinerary changed.", "Removed: %(num)d itineraries changed.", count))
    return redirect(url_for("travel.logistics.flight", flight_id=flight_id))


# -- manifests ------------------------------------------------------------------------------------------

@bp.post("/flights/<int:flight_id>/manifests")
@coordinators_only
def make_manifest(flight_id: int):
    flight = _flight(flight_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    manifest, new = manifests.make(flight, current_user)
    _log_manifest(manifest, f"manifest of {flight.name}, version {manifest.version} made")
    commit()
    flash(_("Manifest version %(v)s made.", v=manifest.version) if new else
          _("Nothing changed since version %(v)s: it is still the manifest.", v=manifest.version),
          "success" if new else "info")
    return redirect(url_for("travel.logistics.flight", flight_id=flight.id) + "#manifests")


def _manifest(manifest_id: int) -> Manifest:
    return db.session.get(Manifest, manifest_id) or abort(404)


def _log_manifest(manifest: Manifest, what: str) -> None:
    """An export of every tourist in the manifest: a row for each, so that each one's trail shows it."""
    for user_id in manifests.tourists_in(manifest):
        access.log_access(current_user, user_id, "export", what, flight=manifest.flight)


def _download(manifest: Manifest, body: bytes, mimetype: str, extension: str):
    _log_manifest(manifest, f"manifest of {manifest.flight.name}, version {manifest.version} ({extension})")
    commit()
    response = make_response(body)
    response.mimetype = mimetype
    name = f"manifest-{manifest.flight_id}-v{manifest.version}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/manifests/<int:manifest_id>.csv")
@coordinators_only
def manifest_csv(manifest_id: int):
    manifest = _manifest(manifest_id)
    return _download(manifest, manifests.csv_bytes(manifest, current_user.language), "text/csv", "csv")


@bp.get("/manifests/<int:manifest_id>.pdf")
@coordinators_only
def manifest_pdf(manifest_id: int):
    manifest = _manifest(manifest_id)
    return _download(manifest, manifests.pdf_bytes(manifest, current_user.language), "application/pdf", "pdf")


# -- a tourist's file and itinerary ---------------------------------------------------------------------

def _booking(reference: str) -> Booking:
    return db.session.scalar(select(Booking).where(Booking.reference == reference[:16])) or abort(404)


def _file_page(booking: Booking, form: SegmentForm | None = None):
    mine = status.status_of(booking)
    page = render_template(
        "travel/logistics/booking.html", booking=booking, travel=mine, contacts=details.contacts_of(booking.user_id),
        profile=details.profile_of(booking.user), companions=details.companions_of([booking.id])[booking.id],
        changes=itinerary.changes_of([booking.id])[booking.id], log=access.access_log(booking.user_id, 20),
        cleared=medical_status([booking]).get(booking.id), action_form=ActionForm(formdata=None),
        form=form or _new_segment_form(booking.flight), language=current_user.language, country=details.country_name,
    )
    access.log_access(current_user, booking.user_id, "view", f"travel file of {booking.reference}: document, "
                      "contacts, needs")
    commit()
    return page, form_status() if form else 200


@bp.get("/bookings/<reference>")
@coordinators_only
def booking(reference: str):
    return _file_page(_booking(reference))


@bp.post("/bookings/<reference>/segments")
@coordinators_only
def add_segment(reference: str):
    booking = _booking(reference)
    form = _new_segment_form(booking.flight, request.form)
    if form.validate_on_submit():
        saved, _segment = save(form, access.changing(
            current_user, booking.user_id, f"segment added to {booking.reference}",
            lambda: itinerary.add_segment(booking, form.data_for_service(), current_user)))
        if saved:
            flash(_("Added to %(name)s's itinerary; they are told.", name=booking.user.name), "success")
            return redirect(url_for("travel.logistics.booking", reference=booking.reference) + "#itinerary")
    return _file_page(booking, form)


def _segment(segment_id: int) -> Segment:
    return db.session.get(Segment, segment_id) or abort(404)


@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
@coordinators_only
def segment(segment_id: int):
    segment = _segment(segment_id)
    booking = segment.booking
    form = SegmentForm(formdata=request.form if request.method == "POST" else None)
    form.flight = booking.flight
    if request.method == "GET":
        form.fill(itinerary.SegmentData.of(segment))
        access.log_access(current_user, booking.user_id, "view", f"segment {segment.id} of {booking.reference}")
        commit()
    elif form.validate_on_submit():
        saved, _changed = save(form, access.changing(
            current_user, booking.user_id, f"segment {segment.id} of {booking.reference}",
            lambda: itinerary.update_segment(segment, form.data_for_service(), current_user)))
        if saved:
            flash(_("Saved; %(name)s is told.", name=booking.user.name), "success")
            return redirect(url_for("travel.logistics.booking", reference=booking.reference) + "#itinerary")
    return render_template("travel/logistics/segment.html", form=form, segment=segment, template=None,
                           flight=booking.flight, booking=booking, action_form=ActionForm(formdata=None)), form_status()


@bp.post("/segments/<int:segment_id>/keep")
@coordinators_only
def keep_segment(segment_id: int):
    segment = _segment(segment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: itinerary.keep_segment(segment), _("Kept as it is: it still fits the launch."))
    return redirect(url_for("travel.logistics.booking", reference=segment.booking.reference) + "#itinerary")


@bp.post("/segments/<int:segment_id>/remove")
@coordinators_only
def remove_segment(segment_id: int):
    segment = _segment(segment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    reference = segment.booking.reference
    attempt(access.changing(current_user, segment.booking.user_id, f"segment removed from {reference}",
                            lambda: itinerary.remove_segment(segment, current_user)),
            _("Removed from the itinerary; the tourist is told."))
    return redirect(url_for("travel.logistics.booking", reference=reference) + "#itinerary")
