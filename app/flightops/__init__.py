"""Flight operations on launch day: the timeline operations post (``updates``: holds, weather,
go/no-go, boarding, liftoff, landing), told to every tourist with a seat by SMS and in the app, and
the read-only launch page families follow without an account.

Importing the package registers its reminder rule and labels. Uses the booking domain (a flight,
its bookings).
"""

from app.flightops import labels, privacy, reminder_rules  # noqa: F401  (registration)
