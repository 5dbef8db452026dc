"""What training does when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import signals
from app.extensions import db
from app.formats import on_day
from app.i18n import gettext as _
from app.i18n import ngettext
from app.messaging import reminders
from app.models import Booking, BookingState, PlaceState, SessionPlace
from app.timeutil import now_utc
from app.training import places, progress


@signals.flight_rescheduled.connect
def flag_expiring_passes(flight, *, previous_launch_at, moved_by, **_kwargs) -> list[signals.Impact]:
    """The launch moved: deadlines move with it (they are counted from the launch). A tourist
    whose pass, valid for the old date, runs out before the new one is told which modules to book
    again; operations see the same cells as "expires before launch". Says what changed."""
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.flight_id == flight.id,
                              Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
        .options(selectinload(Booking.user))
    ))
    impacts = []
    language = None
    for mine in progress.progress_for(bookings).values():
        if mine.plan is not None and not impacts:
            days = round(abs(moved_by.total_seconds()) / 86400)
            impacts.append(signals.Impact("training", ngettext(
                "Every training deadline moves by %(num)d day, with the launch.",
                "Every training deadline moves by %(num)d days, with the launch.", days) if days else
                _("Every training deadline moves with the launch, by less than a day.")))
        expiring = [m for m in mine.modules if m.state is progress.ModuleState.EXPIRES
                    and m.valid_until is not None and m.valid_until >= previous_launch_at]
        if expiring:
            reminders.notify(
                "training_pass_expires", mine.booking,
                occurrence=f"launch-{int(flight.launch_at.timestamp())}",
                context={"module_ids": [m.module.id for m in expiring]},
            )
            language = language or str(get_locale() or "en")
            for m in expiring:
                impacts.append(signals.Impact("training", _(
                    "%(name)s (%(ref)s): the pass of %(module)s ends on %(date)s, before the new launch: "
                    "to take again.", name=mine.booking.user.name, ref=mine.booking.reference,
                    module=m.module.text(language), date=on_day(m.valid_until))))
    return impacts


@signals.booking_cancelled.connect
def release_places(booking, *, actor=None, **_kwargs) -> None:
    """A cancelled booking needs no training: its places go to the waiting lists."""
    for place in db.session.scalars(
        select(SessionPlace).where(SessionPlace.booking_id == booking.id,
                                   SessionPlace.state.in_([PlaceState.WAITING, PlaceState.OFFERED,
                                                           PlaceState.BOOKED]))
        .order_by(SessionPlace.session_id)  # sessions locked in a fixed order: no deadlock
    ).all():
        session = places.lock_session(place.session_id)
        if session.ends_at <= now_utc():  # a session already held stays on the record
            continue
        previous = place.state
        place.state, place.offer_expires_at = PlaceState.CANCELLED, None
        places.record(place, "cancelled", actor, previous.value, note="booking cancelled")
        db.session.flush()
        reminders.sync(place)
        places.offer_free_places(session)
