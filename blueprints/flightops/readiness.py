"""A flight's readiness matrix: every tourist holding a seat against every gate, with a verdict per
tourist, a filter for the blocked, a CSV export, and operations' overrides of the gates policy lets
them waive (with a reason that is recorded and shown on the cell)."""

from __future__ import annotations

from functools import cache

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
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, lazyload

from app import readiness, spreadsheets
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_pgettext
from app.labels import GATE_STATUSES
from app.models import Booking, BookingState, Flight, GateOverride, User
from app.readiness import Audience, Readiness
from app.timeutil import now_utc
from app.urls import url_maker
from blueprints.access import ops_only
from blueprints.flightops.forms import OverrideForm
from blueprints.flightops.rendering import matrix_rows
from blueprints.forms import ActionForm, attempt, form_status, save

bp = Blueprint("readiness", __name__, url_prefix="/ops/flights")

#: The matrix's column headings: the gates' names, short (a gate not named here shows its label).
SHORT = {
    "seat": lazy_pgettext("readiness column", "Seat"),
    "consent": lazy_pgettext("readiness column", "Consent"),
    "waiver": lazy_pgettext("readiness column", "Waiver"),
    "prohibited_items": lazy_pgettext("readiness column", "Prohibited items"),
    "briefings": lazy_pgettext("readiness column", "Briefings"),
    "deposit": lazy_pgettext("readiness column", "Deposit"),
    "paid": lazy_pgettext("readiness column", "Paid in full"),
    "medical": lazy_pgettext("readiness column", "Medical"),
    "training": lazy_pgettext("readiness column", "Training"),
    "travel": lazy_pgettext("readiness column", "Travel"),
}


def _columns(rows: list[Readiness]) -> list[tuple[str, str]]:
    """(key, short name) of each gate, in the journey's order: from the first row that has its gates
    (a hold that ran out between loading the seats and judging them leaves a row without any)."""
    gates = next((r.gates for r in rows if r.gates), [])
    return [(g.key, str(SHORT[g.key]) if g.key in SHORT else g.label) for g in gates]


def _flight(flight_id: int) -> Flight:
    return db.session.get(Flight, flight_id) or abort(404)


@cache
def _seated_statement():
    """The flight, each of its bookings in a state that may hold a seat (none: one row with no
    booking) and each booking's tourist, by tourist's name: one statement for the flight and its
    seats. Each booking finds its flight in the session (not joined again to every row)."""
    return (select(Flight, Booking)
            .outerjoin(Booking, and_(Booking.flight_id == Flight.id,
                                     Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED])))
            .outerjoin(User, User.id == Booking.user_id)
            .where(Flight.id == bindparam("flight_id"))
            .options(contains_eager(Booking.user), lazyload(Booking.flight)).order_by(User.name, Booking.id))


def _flight_and_seated(flight_id: int) -> tuple[Flight, list[Booking]]:
    """The flight (404 when there is none) and its bookings that hold a seat, by tourist's name."""
    rows = db.session.execute(_seated_statement(), {"flight_id": flight_id}).all()
    if not rows:
        abort(404)
    return rows[0][0], [b for _flight, b in rows if b is not None and b.holds_seat()]


def _matrix(flight_id: int) -> tuple[Flight, list[Readiness]]:
    flight, bookings = _flight_and_seated(flight_id)
    verdicts = readiness.readiness_for(bookings, Audience.STAFF)
    return flight, [verdicts[b.id] for b in bookings]


@bp.get("/<int:flight_id>/readiness")
@ops_only
def matrix(flight_id: int):
    flight, rows = _matrix(flight_id)
    columns = _columns(rows)
    passed = dict.fromkeys((key for key, _label in columns), 0)
    ready = 0
    for r in rows:
        ready += r.ready
        for g in r.gates:
            if g.key in passed:
                passed[g.key] += g.passed
    blocked_only = request.args.get("show") == "blocked"
    shown = [r for r in rows if not r.ready] if blocked_only else rows
    gate_base = url_maker("flightops.readiness.gate", "reference", flight_id=flight.id, key="_")
    body = matrix_rows(shown, dict(columns), lambda reference: gate_base(reference)[:-1], {
        "go": _("Go"), "blocked_by": _("Blocked by"), "everyone_ready": _("Every tourist is ready for flight."),
        "override": _("Override"), "details": _("Override details")})
    return render_template("flightops/readiness.html", flight=flight, total=len(rows), ready=ready,
                           columns=columns, passed=passed, blocked_only=blocked_only, body=body)


@bp.get("/<int:flight_id>/readiness.csv")
@ops_only
def matrix_csv(flight_id: int):
    flight, rows = _matrix(flight_id)
    columns = _columns(rows)
    header = [_("Booking"), _("Tourist"), _("Verdict"), _("Blocked by")]
    for _key, label in columns:
        header += [label, _("%(gate)s: why", gate=label)]
    lines = []
    for r in rows:
        line = [r.booking.reference, r.booking.user.name, _("Go") if r.ready else _("Blocked"),
                "; ".join(str(SHORT.get(g.key, g.label)) for g in r.blockers)]
        for gate in r.gates:
            line += [str(GATE_STATUSES[gate.status.value]), gate.reason]
        lines.append(line)
    response = make_response(spreadsheets.csv_bytes(header, lines))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="readiness-flight-{flight.id}-{now_utc().date().isoformat()}.csv"')
    return response


# -- one gate of one tourist: its override ------------------------------------------------------------

def _booking_of(flight: Flight, reference: str) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.reference == reference[:16]))
    if booking is None or booking.flight_id != flight.id:
        abort(404)
    return booking


def _gate_page(flight: Flight, booking: Booking, key: str, form: OverrideForm, status: int = 200):
    verdict = readiness.readiness_for([booking], Audience.STAFF)[booking.id]
    gate = verdict.gate(key)
    if gate is None:
        abort(404)
    return render_template(
        "flightops/gate.html", flight=flight, booking=booking, gate=gate, verdict=verdict, form=form,
        history=readiness.override_history(booking.id, key), withdraw_form=ActionForm(formdata=None),
    ), status


@bp.route("/<int:flight_id>/readiness/<reference>/gates/<key>", methods=["GET", "POST"])
@ops_only
def gate(flight_id: int, reference: str, key: str):
    """A gate of one tourist: where it stands, its overrides (live and withdrawn), and a form to
    override it where policy allows."""
    flight = _flight(flight_id)
    booking = _booking_of(flight, reference)
    form = OverrideForm()
    if form.validate_on_submit():
        saved, _made = save(form, lambda: readiness.override(booking, key[:32], form.reason.data, current_user))
        if saved:
            flash(_("The gate is overridden for %(name)s; the reason is shown on the matrix.", name=booking.user.name),
                  "success")
            return redirect(url_for(".matrix", flight_id=flight.id) + f"#row-{booking.reference}")
    return _gate_page(flight, booking, key[:32], form, form_status())


@bp.post("/<int:flight_id>/readiness/overrides/<int:override_id>/withdraw")
@ops_only
def withdraw(flight_id: int, override_id: int):
    flight = _flight(flight_id)
    made = db.session.get(GateOverride, override_id)
    booking = db.session.get(Booking, made.booking_id) if made is not None else None
    if booking is None or booking.flight_id != flight.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: readiness.withdraw(made, current_user),
            _("The override is withdrawn: the gate counts as it stands again."))
    return redirect(url_for(".gate", flight_id=flight.id, reference=booking.reference, key=made.gate))
