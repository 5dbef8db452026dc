"""What travel does when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from app import signals
from app.i18n import gettext as _
from app.travel import itinerary, labels


@signals.flight_rescheduled.connect
def flag_segments(flight, *, previous_launch_at, **_kwargs) -> list[signals.Impact]:
    """The launch moved: segments that no longer fit are flagged for the coordinator, never
    changed or cancelled on their own. The tourist is told when the coordinator changes them.
    Says which were flagged."""
    return [signals.Impact("travel", _(
        "%(name)s (%(ref)s): %(segment)s. %(why)s", name=segment.booking.user.name, ref=segment.booking.reference,
        segment=labels.segment_title(segment), why=labels.FLAGS[segment.flag]))
        for segment in itinerary.flag_moved(flight, previous_launch_at)]


@signals.booking_confirmed.connect
def give_flight_wide_segments(booking, *, actor=None, **_kwargs) -> None:
    """A seat confirmed on a flight with flight-wide segments (the group transfer, the hotel
    block): the tourist's itinerary gets them."""
    for template in itinerary.templates_of(booking.flight_id):
        itinerary.apply_template(template, actor, bookings=[booking])
