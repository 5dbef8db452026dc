from __future__ import annotations

from functools import partial

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import bindparam, func, literal, or_, select

from app.extensions import db
from app.models import Booking, BookingState, Flight, FlightEvent, Role, WaitlistEntry, WaitlistState
from app.payments import payments
from app.readiness import readiness_for
from app.web import page_arg, render_page
from blueprints.access import roles_required
from blueprints.flightops.rendering import status_names
from blueprints.journey.panels import journey_panels
from blueprints.journey.rendering import booking_head, checklist

bp = Blueprint("journey", __name__)

PAST_PER_PAGE = 20

#: Each booking's flight's latest change (``flights.latest_changes``), joined to the bookings'
#: statement: the newest event of the flight, none when it has none. (Grouped, PostgreSQL reads
#: the flight's events by their flight; a bare max(id) it may read from the newest event of all
#: backwards until it meets one of the flight's.)
_LATEST_CHANGE = (select(func.max(FlightEvent.id)).where(FlightEvent.flight_id == Booking.flight_id)
                  .group_by(FlightEvent.flight_id).correlate(Booking).scalar_subquery())

#: The tourist's bookings that hold a seat and a page of the earlier ones (``offset``), each with
#: its flight's latest change; composed once.
_BOOKINGS = (
    select(Booking, FlightEvent).outerjoin(FlightEvent, FlightEvent.id == _LATEST_CHANGE)
    .where(Booking.user_id == bindparam("user_id"), or_(
        Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]),
        Booking.id.in_(
            select(Booking.id).where(Booking.user_id == bindparam("user_id"), Booking.state.in_(
                [BookingState.EXPIRED, BookingState.CANCELLED, BookingState.FLOWN]))
            .order_by(Booking.updated_at.desc(), Booking.id.desc())
            .limit(literal(PAST_PER_PAGE + 1, literal_execute=True)).offset(bindparam("offset"))
        )))
)

#: The tourist's waiting lists: the columns the page shows, not the entries and their flights.
_WAITING = (select(WaitlistEntry.flight_id, Flight.name, WaitlistEntry.created_at)
            .join(Flight, Flight.id == WaitlistEntry.flight_id)
            .where(WaitlistEntry.user_id == bindparam("user_id"), WaitlistEntry.state == WaitlistState.WAITING)
            .order_by(WaitlistEntry.created_at))


@bp.get("/journey")
@roles_required(Role.TOURIST)
def index():
    """Everything left to do before flight, per booking."""
    # The bookings that hold a seat, and a page of the earlier ones (every one is reachable), in
    # one query; split and ordered here. Each with its flight's latest change (for the line of an
    # earlier booking, the flight's change above a live one) in the same statement.
    page = page_arg()
    current_states = (BookingState.HELD, BookingState.CONFIRMED)
    changes = {}
    rows = []
    for booking, change in db.session.execute(_BOOKINGS, {"user_id": current_user.id,
                                                          "offset": (page - 1) * PAST_PER_PAGE}):
        rows.append(booking)
        if change is not None:
            changes[booking.flight_id] = change
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
    waiting = db.session.execute(_WAITING, {"user_id": current_user.id}).all()
    return render_page(
        "journey/index.html", "journey/_bookings.html",
        readiness=[r for r in readiness_for(live, known={"ledgers": ledgers}).values()], past=past,
        waiting=waiting, past_ledgers=ledgers, changes=changes, past_page=page, past_more=more,
        launch_panels=journey_panels(live),
        checklist=partial(checklist, names=status_names(), path=request.path), head=booking_head,
    )
