"""The journey's launch-day panels: the live panel of each flight launching within a week, its
address (the launch link's generation) and its timeline read in one statement, where
``launch.journey_panels`` asked two (``updates.link_tokens`` and ``updates.timelines``)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, func, select

from app.extensions import db
from app.flightops import updates
from app.models import Flight, FlightStatus, LaunchLink, LaunchUpdate
from app.timeutil import now_utc
from blueprints.flightops.launch import live_context


@cache
def _statement():
    """Each flight of ``ids`` with its launch link's generation (none: 0) and its newest
    ``updates.SHOWN`` updates, newest first (a flight without updates comes once, its update
    None). Composed once."""
    newest_first = (LaunchUpdate.created_at.desc(), LaunchUpdate.id.desc())
    rank = func.row_number().over(partition_by=LaunchUpdate.flight_id, order_by=newest_first).label("rank")
    ranked = (select(LaunchUpdate.id, LaunchUpdate.flight_id, rank)
              .where(LaunchUpdate.flight_id.in_(bindparam("ids", expanding=True))).subquery())
    return (
        select(Flight.id, LaunchLink.generation, LaunchUpdate)
        .select_from(Flight)
        .outerjoin(LaunchLink, LaunchLink.flight_id == Flight.id)
        .outerjoin(ranked, (ranked.c.flight_id == Flight.id) & (ranked.c.rank <= updates.SHOWN))
        .outerjoin(LaunchUpdate, LaunchUpdate.id == ranked.c.id)
        .where(Flight.id.in_(bindparam("ids", expanding=True)))
        .order_by(*newest_first)
    )


def journey_panels(bookings: list) -> dict[int, dict]:
    """For the tourist's journey: a live panel per flight launching within a week (or whose
    launch has just passed, until the booking is flown), keyed by flight id; as
    ``blueprints.flightops.launch.journey_panels``, in one query."""
    now = now_utc()
    soon = {b.flight_id: b.flight for b in bookings
            if b.flight.status is not FlightStatus.CANCELLED and b.flight.launch_at - now <= timedelta(days=7)}
    if not soon:
        return {}
    generations: dict[int, int] = {}
    found: dict[int, list[LaunchUpdate]] = {flight_id: [] for flight_id in soon}
    for flight_id, generation, update in db.session.execute(_statement(), {"ids": sorted(soon)}):
        generations[flight_id] = generation or 0
        if update is not None:
            found[flight_id].append(update)
    return {flight_id: live_context(flight, updates.token_of(flight_id, generations[flight_id]),
                                    updates.Timeline(flight, found[flight_id]))
            for flight_id, flight in soon.items()}
