from __future__ import annotations

from functools import partial

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.booking import flights
from app.extensions import db
from app.models import Booking, BookingState, Role, WaitlistEntry, WaitlistState
from app.payments import payments
from app.readiness import readiness_for
from app.web import page_arg, render_page
from blueprints.access import roles_required
from blueprints.flightops import launch
from blueprints.flightops.rendering import status_names
from blueprints.forms import ActionForm
from blueprints.journey.rendering import checklist

bp = Blueprint("journey", __name__)

PAST_PER_PAGE = 20


@bp.get("/journey")
@roles_required(Role.TOURIST)
def index():
    """Everything left to do before flight, per booking."""
    mine = Booking.user_id == current_user.id
    # The bookings that hold a seat, and a page of the earlier ones (every one is reachable), in
    # one query; split and ordered here.
    page = page_arg()
    current_states = (BookingState.HELD, BookingState.CONFIRMED)
    past_page = (
        select(Booking.id).where(mine, Booking.state.in_([BookingState.EXPIRED, BookingState.CANCELLED,
                                                          BookingState.FLOWN]))
        .order_by(Booking.updated_at.desc(), Booking.id.desc())
        .limit(PAST_PER_PAGE + 1).offset((page - 1) * PAST_PER_PAGE)
    )
    rows = list(db.session.scalars(select(Booking).where(
        mine, or_(Booking.state.in_(current_states), Booking.id.in_(past_page))
    )))
    bookings = sorted((b for b in rows if b.state in current_states), key=lambda b: b.created_at, reverse=True)
    live = [b for b in bookings if b.holds_seat()]
    lapsed = [b for b in bookings if b not in live]  # a hold that ran out, not yet swept
    older = sorted((b for b in rows if b.state not in current_states), key=lambda b: (b.updated_at, b.id),
                   reverse=True)
    more = len(older) > PAST_PER_PAGE
    past = (lapsed if page == 1 else []) + older[:PAST_PER_PAGE]
    # A line per earlier booking (its refund, its flight's change) without a query per booking;
    # the ledgers of the live ones, for their payments' gates, in the same query.
    ledgers = payments.ledgers(past + live)
    changes = flights.latest_changes({b.flight_id for b in live + past})
    waiting = list(db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.user_id == current_user.id, WaitlistEntry.state == WaitlistState.WAITING
        ).options(selectinload(WaitlistEntry.flight)).order_by(WaitlistEntry.created_at)
    ))
    return render_page(
        "journey/index.html", "journey/_bookings.html",
        readiness=[r for r in readiness_for(live, known={"ledgers": ledgers}).values()], past=past,
        waiting=waiting, past_ledgers=ledgers, changes=changes, past_page=page, past_more=more,
        form=ActionForm(), launch_panels=launch.journey_panels(live),
        checklist=partial(checklist, names=status_names(), path=request.path),
    )
