"""Every event one part of Countdown announces for others to react to: the one place to read them.

A domain that must react to another subscribes here instead of being called by it, so the sender
knows none of its listeners (the pattern of Flask's and Indico's signals, on blinker). Each signal
says who sends it and with which keyword arguments. Receivers run at once, in the sender's
transaction: what they change is committed with the change that sent the signal, and a receiver
that raises rolls the whole change back. A receiver's module says what it does when the signal
comes; ``grep -rn "signals.<name>.connect"`` lists them.

Connect with ``@signals.<name>.connect`` at module level in a domain's ``handlers.py``, which the
domain's package imports, so a subscription exists whenever the domain is loaded. (One engine
receives a signal of another part of its own: the reminder engine, loaded with ``app.messaging``,
re-plans when preferences change.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blinker import Namespace

_signals = Namespace()

# -- flights ----------------------------------------------------------------------------------------

flight_rescheduled = _signals.signal("flight-rescheduled", doc="""
The launch of a flight moved (operations edited it, or moved it with a cause). Sent after the
flight row holds the new launch time, before passengers are told. Operations first see the same
move previewed: made in full, then rolled back; so a receiver changes only the database.

sender: the :class:`~app.models.Flight`.
kwargs: ``previous_launch_at`` (the launch before the change), ``moved_by`` (a timedelta, later is
positive), ``actor`` (the :class:`~app.models.User` who moved it).
returns: a receiver may return a list of :class:`Impact`, what it changed: operations' impact
report of the move.
""")

flight_cancelled = _signals.signal("flight-cancelled", doc="""
Operations cancelled a flight. Sent while its bookings still hold their seats, before each is
cancelled and its tourist told.

sender: the :class:`~app.models.Flight` (already ``CANCELLED``).
kwargs: ``bookings`` (the bookings that held a seat), ``actor``, ``reason``.
returns: a receiver may return ``{booking_id: refund_minor}``, what it refunded per booking; the
tourists' notices say the sum (see :func:`values_from`).
""")

launch_update_posted = _signals.signal("launch-update-posted", doc="""
Operations posted a launch-day update to a flight's timeline; the tourists holding a seat were
told (SMS and in the app).

sender: the :class:`~app.models.LaunchUpdate`.
kwargs: ``flight``, ``bookings`` (the bookings holding a seat), ``kind_label`` (what kind of update,
a lazy text: it reads in whatever language a message is written in), ``page_url`` (the flight's
read-only launch page, to pass on).
""")

# -- bookings ---------------------------------------------------------------------------------------

booking_confirmed = _signals.signal("booking-confirmed", doc="""
A booking moved to ``CONFIRMED`` (its deposit was paid): the tourist holds a seat on the flight.

sender: the :class:`~app.models.Booking`.
kwargs: ``actor`` (the user who caused it, or None for the system).
""")

booking_cancelled = _signals.signal("booking-cancelled", doc="""
A booking moved to ``CANCELLED``: the tourist released their hold or cancelled their seat, or
operations cancelled it (with its flight, or alone). Sent after the state change, before the seat
is offered to the waiting list. (A hold that lapses moves to ``EXPIRED`` and sends nothing.)

sender: the :class:`~app.models.Booking`.
kwargs: ``actor`` (or None), ``reason``.
""")

# -- the message engine -----------------------------------------------------------------------------

preferences_changed = _signals.signal("preferences-changed", doc="""
A user saved their notification preferences (channels per category, quiet hours).

sender: the :class:`~app.models.User`.
""")

sms_received = _signals.signal("sms-received", doc="""
Someone sent the operator's number an SMS that is not a keyword (STOP, START, HELP): sent once per
message, however often Twilio delivers it, in the webhook's transaction.

sender: the number it came from, in E.164.
kwargs: ``body`` (the text, perhaps empty), ``message_sid`` (Twilio's id of the message),
``media`` (how many pictures or files came with it by MMS; they are not fetched).
""")


@dataclass(frozen=True)
class Impact:
    """One thing a domain changed because of another's event, told to operations: ``area`` names
    the domain's part of the report (``payments``, ``training``, ...), ``text`` what changed and
    for whom, translated (a status, never a medical finding)."""

    area: str
    text: str


def values_from(results: list[tuple[Any, Any]]) -> list[Any]:
    """What the receivers of one ``send`` returned, in the order they were connected, leaving
    out those that returned nothing."""
    return [value for _receiver, value in results if value is not None]
