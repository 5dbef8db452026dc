"""The instructor's roster: today's and upcoming sessions with their participants (a name, and a
medical status only: cleared or not, never a finding), and per participant the sign-off:
attendance, and pass or fail (a score for an exam) with a note. An instructor sees only the
participants of their own sessions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import ServiceError
from app.extensions import db
from app.medical import cases as medical
from app.models import Attendance, Booking, ModuleKind, Result, Role, SessionPlace, TrainingSession
from app.timeutil import now_utc
from app.training import signoff
from blueprints.access import roles_required
from blueprints.forms import form_status, save, show_error
from blueprints.training.forms import MarkForm

bp = Blueprint("instructor", __name__, url_prefix="/instructor")
instructor_only = roles_required(Role.INSTRUCTOR)
#: The roster shows two weeks from today, or on request two months.
SHORT_VIEW_DAYS, LONG_VIEW_DAYS = 14, 60


def _cleared(places: list[SessionPlace]) -> dict[int, bool]:
    """Per place, whether its tourist is medically cleared through their launch: the status only."""
    ids = {p.booking_id for p in places if p.booking_id}
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.id.in_(ids)).options(selectinload(Booking.flight)))) if ids else []
    statuses = medical.clearance_statuses(bookings) if bookings else {}
    return {p.id: bool(statuses.get(p.booking_id) and statuses[p.booking_id].cleared) for p in places}


def _roster_cleared(rows: list[signoff.RosterRow]) -> dict[int, bool]:
    """The same for the roster's rows, from the medical status each row carries (a column of the
    roster's statement: the tourist's newest case through the launch of the place's booking)."""
    return {r.id: r.medical == medical.OUTSIDE_CLEARED for r in rows}


@bp.get("")
@instructor_only
def roster():
    now = now_utc()
    days = LONG_VIEW_DAYS if request.args.get("days") == str(LONG_VIEW_DAYS) else SHORT_VIEW_DAYS
    sessions, has_feed = signoff.roster_page(current_user, now, days=days, status=medical.launch_clearance_sql)
    cleared = _roster_cleared([r for s in sessions for r in s.people])
    return render_template("training/instructor/roster.html", sessions=sessions, cleared=cleared,
                           language=current_user.language, days=days, long_view=LONG_VIEW_DAYS,
                           has_feed=has_feed)


def _own_session(session_id: int) -> TrainingSession:
    """One of the instructor's own sessions; any other is not found."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or not signoff.teaches(session, current_user):
        abort(404)
    return session


def _sheet(session: TrainingSession, forms: dict[int, MarkForm] | None = None, status: int = 200):
    places = signoff.participants([session])[session.id]
    forms = forms or {}
    for place in places:
        if place.id not in forms:
            form = MarkForm(formdata=None, prefix=f"p{place.id}")
            form.attendance.data = place.attendance.value if place.attendance else None
            form.result.data = place.result.value if place.result else None
            form.score.data, form.note.data = place.score, place.note
            forms[place.id] = form
    return render_template(
        "training/instructor/session.html", session=session, places=places, forms=forms,
        cleared=_cleared(places), exam=session.module.kind is ModuleKind.EXAM, now=now_utc(),
        language=current_user.language,
    ), status


@bp.get("/sessions/<int:session_id>")
@instructor_only
def session(session_id: int):
    return _sheet(_own_session(session_id))


@bp.post("/places/<int:place_id>")
@instructor_only
def mark(place_id: int):
    place = db.session.get(SessionPlace, place_id)
    if place is None or not signoff.teaches(place.session, current_user):
        abort(404)
    session = place.session
    form = MarkForm(prefix=f"p{place.id}")
    if form.validate_on_submit():
        saved, _place = save(form, lambda: signoff.mark(
            place, current_user, attendance=Attendance(form.attendance.data),
            result=Result(form.result.data) if form.result.data else None,
            score=form.score.data, note=form.note.data or ""))
        if saved:
            flash(_("%(name)s: signed off.", name=place.user.name), "success")
            return redirect(url_for("training.instructor.session", session_id=session.id, _anchor=f"place-{place.id}"))
        session = _own_session(session.id)
    elif request.method == "POST" and not form.errors:
        show_error(form, ServiceError(_("Choose present, absent or excused.")))
    return _sheet(session, {place.id: form}, form_status())
