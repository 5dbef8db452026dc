"""What medical does when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import signals
from app.extensions import db
from app.formats import on_day
from app.i18n import gettext as _
from app.medical import cases
from app.medical.cases import Clearance
from app.models import Booking, BookingState
from app.timeutil import UTC


@signals.flight_rescheduled.connect
def report_lapsing_clearances(flight, *, previous_launch_at, **_kwargs) -> list[signals.Impact]:
    """The launch moved: a clearance valid on the old date but ending before the new one asks the
    tourist to renew it (the gate and the reminders read the launch, so nothing is written here).
    Says whose, with dates only: operations never read a finding."""
    bookings = [b for b in db.session.scalars(select(Booking).where(
        Booking.flight_id == flight.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .options(selectinload(Booking.user))) if b.holds_seat()]
    before = previous_launch_at.astimezone(UTC).date()  # the day a clearance had to cover
    statuses = cases.clearance_statuses(bookings)
    return [signals.Impact("medical", _(
        "%(name)s (%(ref)s): the medical clearance ends on %(date)s, before the new launch: to renew.",
        name=booking.user.name, ref=booking.reference, date=on_day(statuses[booking.id].valid_until)))
        for booking in bookings
        if statuses[booking.id].status is Clearance.EXPIRES_BEFORE_LAUNCH
        and statuses[booking.id].valid_until and statuses[booking.id].valid_until >= before]
