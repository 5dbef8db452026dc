"""What travel does when other domains announce something (see :mod:`app.signals`)."""

from __future__ import annotations

from app import signals
from app.i18n import gettext as _
from app.i18n import ngettext
from app.travel import companions, itinerary, labels


@signals.flight_rescheduled.connect
def flag_segments(flight, *, previous_launch_at, **_kwargs) -> list[signals.Impact]:
    """The launch moved: segments that no longer fit are flagged for the coordinator, never
    changed or cancelled on their own. The tourist is told when the coordinator changes them.
    Companions who gave a mobile number are told by SMS. Says which were flagged, and how many
    companions were told."""
    impacts = [signals.Impact("travel", _(
        "%(name)s (%(ref)s): %(segment)s. %(why)s", name=segment.booking.user.name, ref=segment.booking.reference,
        segment=labels.segment_title(segment), why=labels.FLAGS[segment.flag]))
        for segment in itinerary.flag_moved(flight, previous_launch_at)]
    told = companions.tell(flight, "companion_launch_moved", f"moved-{flight.launch_at.isoformat()}",
                           lambda booking: {"flight": flight, "previous_launch_at": previous_launch_at})
    if told:
        impacts.append(signals.Impact("travel", ngettext(
            "%(num)d companion coming to the launch is told by SMS.",
            "%(num)d companions coming to the launch are told by SMS.", told)))
    return impacts


@signals.launch_update_posted.connect
def tell_companions_of_update(update, *, flight, page_url, kind_label, **_kwargs) -> None:
    """A launch-day update: companions who gave a mobile number get it by SMS, with the launch
    page's address."""
    companions.tell(flight, "companion_launch_update", f"update-{update.id}",
                    lambda booking: {"flight": flight, "update": update, "page_url": page_url,
                                     "update_kind": kind_label})


@signals.booking_confirmed.connect
def give_flight_wide_segments(booking, *, actor=None, **_kwargs) -> None:
    """A seat confirmed on a flight with flight-wide segments (the group transfer, the hotel
    block): the tourist's itinerary gets them."""
    for template in itinerary.templates_of(booking.flight_id):
        itinerary.apply_template(template, actor, bookings=[booking])
