from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import or_, select
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
    mine = Booking.user_id == current_user.id
    # The bookings that hold a seat and the five latest others, in one query.
    latest_past = (
        select(Booking.id).where(mine, Booking.state.in_([BookingState.EXPIRED, BookingState.CANCELLED]))
        .order_by(Booking.updated_at.desc()).limit(5)
    )
    rows = list(db.session.scalars(select(Booking).where(
        mine, or_(Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]), Booking.id.in_(latest_past))
    )))
    bookings = sorted((b for b in rows if b.state.takes_seat), key=lambda b: b.created_at, reverse=True)
    live = [b for b in bookings if b.state is BookingState.CONFIRMED or b.hold_is_live()]
    past = sorted((b for b in rows if not b.state.takes_seat), key=lambda b: b.updated_at, reverse=True)
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
