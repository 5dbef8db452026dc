"""Launch day: operations post updates to a flight's timeline (``operations``); the read-only
launch page families follow without an account (``public``) and its live part (``live``), which
the page and the tourist's journey poll."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from app.extensions import db
from app.flightops import updates
from app.flightops.labels import UPDATE_KINDS
from app.i18n import gettext as _
from app.models import Flight, FlightStatus, UpdateKind
from app.timeutil import now_utc
from app.transactions import commit
from app.urls import external_url
from blueprints.access import ops_only
from blueprints.flightops.forms import UpdateForm
from blueprints.forms import ActionForm, form_status, save

bp = Blueprint("launch", __name__)


def countdown_text(launch_at: datetime, now: datetime | None = None) -> str:
    """"T-1 d 02:13:45" (or "T+..." after T-0): what the live countdown shows, also without
    JavaScript (the script ticks it every second)."""
    seconds = round((launch_at - (now or now_utc())).total_seconds())
    sign, seconds = ("T-" if seconds >= 0 else "T+"), abs(seconds)
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{sign}{f'{days} d ' if days else ''}{clock}"


def live_context(flight: Flight, token: str, timeline: updates.Timeline | None = None) -> dict:
    """What ``flightops/_live.html`` needs: the timeline (loaded here unless given), the
    countdown, where to poll."""
    return {"timeline": timeline or updates.timeline(flight), "countdown": countdown_text(flight.launch_at),
            "live_url": url_for("flightops.launch.live", token=token), "kinds": UPDATE_KINDS,
            "poll": current_app.config["LAUNCH_POLL_SECONDS"],
            "share_url": external_url("flightops.launch.public", token=token)}


# -- operations ---------------------------------------------------------------------------------------

@bp.route("/ops/flights/<int:flight_id>/launch", methods=["GET", "POST"])
@ops_only
def operations(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    form = UpdateForm()
    if form.validate_on_submit():
        saved, update = save(form, lambda: updates.post(flight, UpdateKind(form.kind.data), form.message.data or "",
                                                        current_user))
        if saved:
            flash(_("Update posted; everyone with a seat is being told by SMS and in the app."), "success")
            return redirect(url_for(".operations", flight_id=flight.id))
    token = updates.link_token(flight)
    return render_template("flightops/launch.html", flight=flight, form=form, link_form=ActionForm(formdata=None),
                           **live_context(flight, token)), form_status()


@bp.post("/ops/flights/<int:flight_id>/launch/link")
@ops_only
def replace_link(flight_id: int):
    flight = db.session.get(Flight, flight_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    updates.replace_link(flight)
    commit()
    flash(_("The launch page has a new address; the old one no longer opens."), "success")
    return redirect(url_for(".operations", flight_id=flight.id))


# -- the launch page, for everyone with its address ------------------------------------------------------

def _flight_of(token: str) -> Flight:
    flight = updates.flight_by_token(token)
    if flight is None or flight.status is FlightStatus.CANCELLED:
        abort(404)
    return flight


@bp.get("/launch/<token>")
def public(token: str):
    """The flight's launch day, read-only: its countdown and timeline. No personal data."""
    flight = _flight_of(token)
    response = make_response(render_template("flightops/public.html", flight=flight, **live_context(flight, token)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is the key: never passed on
    return response


@bp.get("/launch/<token>/live")
def live(token: str):
    """The live part alone, which the launch page and the journey poll (``LAUNCH_POLL_SECONDS``)."""
    flight = _flight_of(token)
    response = make_response(render_template("flightops/_live.html", flight=flight, **live_context(flight, token)))
    response.headers["Cache-Control"] = "no-store"
    return response


def journey_panels(bookings: list) -> dict[int, dict]:
    """For the tourist's journey: a live panel per flight launching within a week (or whose
    launch has just passed, until the booking is flown), keyed by flight id."""
    now = now_utc()
    soon = {b.flight_id: b.flight for b in bookings
            if b.flight.status is not FlightStatus.CANCELLED and b.flight.launch_at - now <= timedelta(days=7)}
    flights = list(soon.values())
    tokens, timelines = updates.link_tokens(flights), updates.timelines(flights)  # two queries for them all
    return {flight_id: live_context(flight, tokens[flight_id], timelines[flight_id]) for flight_id, flight in soon.items()}
