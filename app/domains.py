"""The domains Countdown is made of, in one list: importing one registers its gates, reminder
rules, preference categories and signal receivers with the engines.

The app factory and the Celery worker call :func:`load`. The order is the order of the journey,
and it is the order the readiness checklist shows its gates in. Booking comes first: the others
add reminders about its subjects (a booking, a flight).
"""

from __future__ import annotations

import importlib

DOMAINS = (
    "app.accounts",
    "app.booking",
    "app.consent",
    "app.payments",
    "app.medical",
)


def load() -> None:
    for name in DOMAINS:
        importlib.import_module(name)
