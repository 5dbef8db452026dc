"""The tourist's training page: per live booking, the modules their flight's plan requires, where
they stand on each, and the sessions that end before each deadline; booking, moving and cancelling
a place, the waiting list and a place offered from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.formats import when
from app.models import (
    Booking,
    PlaceState,
    Role,
    SessionPlace,
    TrainingSession,
)
from app.timeutil import now_utc
from app.training import places as place_service
from app.training import progress
from app.training import sessions as session_service
from app.training.progress import ModuleState
from blueprints.access import own_or_404, roles_required
from blueprints.forms import ActionForm, attempt
from blueprints.training.forms import BookForm, MoveForm

bp = Blueprint("tourist", __name__, url_prefix="/training")
#: Sessions offered per module: the soonest that end before the deadline.
SESSIONS_SHOWN = 6
tourist_only = roles_required(Role.TOURIST)


@dataclass
class Offer:
    """What one module of one booking offers to book or to move to: its open sessions that end by
    the deadline (but the one the tourist has a place in), and per session the modules to book
    first (``blocked``: their names)."""

    sessions: list[session_service.OpenSession]
    blocked: dict[int, list[str]]

    @property
    def all_blocked(self) -> bool:
        return all(s.id in self.blocked for s in self.sessions)


@bp.get("")
@tourist_only
def index():
    now = now_utc()
    bookings, plans = progress.seats_with_plans(current_user.id, now)
    mine = progress.page_progress(bookings, now, plans)
    deadlines: dict[int, datetime] = {}
    for m in (m for p in mine.values() for m in p.modules if m.state is not ModuleState.PASSED):
        deadlines[m.module.id] = max(deadlines.get(m.module.id, m.deadline), m.deadline)
    sessions = session_service.open_to_book(deadlines, now, per_module=SESSIONS_SHOWN)
    positions = place_service.waitlist_positions([
        m.place for p in mine.values() for m in p.modules
        if m.place is not None and m.place.state is PlaceState.WAITING])
    return render_template(
        "training/tourist/index.html", bookings=bookings, progress=mine, now=now, positions=positions,
        language=current_user.language, cutoff=place_service.cutoff,
        offers=_offers(mine.values(), sessions, current_user.language),
    )


def _offers(all_progress, sessions: dict[int, list[session_service.OpenSession]], language: str) -> dict[tuple[int, int], Offer]:
    """Per (booking, module), its :class:`Offer`. A session is blocked by the prerequisites the
    tourist has neither passed nor booked in a session that ends before that one starts: to be
    booked first (the same rule as booking itself, :func:`progress.prerequisites_met`)."""
    result = {}
    for mine in all_progress:
        for m in mine.modules:
            taken = m.place.session_id if m.place is not None else None
            offered = [s for s in sessions.get(m.module.id, ()) if s.ends_at <= m.deadline and s.id != taken]
            blocked = {}
            if m.module.prerequisites:
                for s in offered:
                    missing = progress.prerequisites_met(m.module, mine.booking.user_id, s.starts_at, mine.places)
                    if missing:
                        blocked[s.id] = [r.text(language) for r in missing]
            result[(mine.booking.id, m.module.id)] = Offer(offered, blocked)
    return result


def _booking(reference: str) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.reference == (reference or "")[:16]))
    return own_or_404(booking)


def _back():
    return redirect(url_for("training.tourist.index"))


def _session_action(session_id: int, action, done):
    """Book a place in, or join the waiting list of, a session for one of the tourist's bookings."""
    form = BookForm()
    if not form.validate_on_submit():
        abort(400)
    booking = _booking(form.booking.data)
    db.session.get(TrainingSession, session_id) or abort(404)
    attempt(lambda: action(session_id, booking, current_user), done)
    return _back()


@bp.post("/sessions/<int:session_id>/book")
@tourist_only
def book(session_id: int):
    return _session_action(session_id, place_service.book_place, lambda place: _(
        "Your place in %(module)s is booked. A confirmation with a calendar file is on its way.",
        module=place.session.module.text(current_user.language)))


@bp.post("/sessions/<int:session_id>/waitlist")
@tourist_only
def join_waitlist(session_id: int):
    return _session_action(session_id, place_service.join_waitlist, lambda place: _(
        "You are number %(n)s on the waiting list. We will tell you when a place is yours to take.",
        n=place_service.waitlist_position(place)))


def _place(place_id: int) -> SessionPlace:
    return own_or_404(db.session.get(SessionPlace, place_id))


@bp.post("/places/<int:place_id>/cancel")
@tourist_only
def cancel(place_id: int):
    place = _place(place_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done = {
        PlaceState.WAITING: _("You have left the waiting list."),
        PlaceState.OFFERED: _("You declined the place: it goes to the next in line."),
    }.get(place.state, _("Your place is cancelled. Book another session before your deadline."))
    attempt(lambda: place_service.cancel_place(place, current_user), done)
    return _back()


@bp.post("/places/<int:place_id>/move")
@tourist_only
def move(place_id: int):
    place = _place(place_id)
    form = MoveForm()
    form.session.choices = [(s.id, "") for s in db.session.scalars(
        select(TrainingSession).where(TrainingSession.module_id == place.session.module_id))]
    if not form.validate_on_submit():
        flash(_("Choose the session to move to."), "error")
        return _back()
    attempt(lambda: place_service.move_place(place, form.session.data, current_user),
            lambda new: _("Your place is moved to %(time)s.", time=_when(new.session)))
    return _back()


def _when(session: TrainingSession) -> str:
    return when(session.starts_at, "long", session.timezone)
