from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Booking, BookingState, Role, WaitlistEntry, WaitlistState
from app.services.readiness import readiness_for
from app.web import render_page
from blueprints.access import roles_required
from blueprints.catalog.routes import ActionForm

bp = Blueprint("journey", __name__)


@bp.get("/journey")
@roles_required(Role.TOURIST)
def index():
    """Everything left to do before flight, per booking."""
    bookings = list(db.session.scalars(
        select(Booking).where(
            Booking.user_id == current_user.id,
            Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]),
        ).order_by(Booking.created_at.desc())
    ))
    live = [b for b in bookings if b.state is BookingState.CONFIRMED or b.hold_is_live()]
    past = list(db.session.scalars(
        select(Booking).where(
            Booking.user_id == current_user.id,
            Booking.state.in_([BookingState.EXPIRED, BookingState.CANCELLED]),
        ).order_by(Booking.updated_at.desc()).limit(5)
    ))
    waiting = list(db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.user_id == current_user.id, WaitlistEntry.state == WaitlistState.WAITING
        ).options(selectinload(WaitlistEntry.flight)).order_by(WaitlistEntry.created_at)
    ))
    return render_page(
        "journey/index.html", "journey/_bookings.html",
        readiness=[r for r in readiness_for(live).values()], past=past, waiting=waiting,
        form=ActionForm(),
    )
