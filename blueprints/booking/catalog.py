"""The flight catalog anyone can browse: filters by spaceport, vehicle and month; a flight's page."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.extensions import db
from app.models import Flight, Role
from app.web import page_arg, wants_fragment
from blueprints.forms import ActionForm

bp = Blueprint("catalog", __name__)
# A month a flight can launch in: ASCII digits only (\d would take "٢٠٢٦"), years 1900-2199.
_MONTH = re.compile(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$", re.ASCII)


def _filters() -> flight_service.CatalogFilter:
    args = request.args
    month = args.get("month", "").strip()
    return flight_service.CatalogFilter(
        spaceport=args.get("spaceport", "").strip()[:120],
        vehicle=args.get("vehicle", "").strip()[:120],
        month=month if _MONTH.fullmatch(month) else "",
        available_only=args.get("available") == "1",
    )


@bp.get("/flights")
def index():
    filters = _filters()
    page = flight_service.catalog(filters, page_arg())
    context = dict(
        results=page, entries=page.entries, filters=filters,
        bad_month=bool(request.args.get("month")) and not filters.month,
    )
    if wants_fragment():
        return render_template("booking/catalog/_results.html", **context)
    return render_template("booking/catalog/index.html", choices=flight_service.filter_choices(), **context)


@bp.get("/flights/<int:flight_id>")
def detail(flight_id: int):
    flight = db.session.get(Flight, flight_id)
    if flight is None:
        abort(404)
    counts = booking_service.seat_counts([flight])[flight.id]
    booking = entry = position = None
    if current_user.is_authenticated and current_user.role is Role.TOURIST:
        booking = booking_service.live_booking(flight.id, current_user.id)
        entry = booking_service.live_waitlist_entry(flight.id, current_user.id)
        if entry is not None and entry.state.value == "waiting":
            position = booking_service.waitlist_position(entry)
    return render_template(
        "booking/catalog/detail.html", flight=flight, counts=counts, booking=booking, entry=entry,
        position=position, form=ActionForm(),
    )
