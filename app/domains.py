"""The domains Countdown is made of, in one list: importing one registers its gates, reminder
rules, preference categories and signal receivers with the engines.

The app factory (and so the Celery worker, which runs on the app it makes) calls :func:`load`.
The order of registration does not matter: gates and categories say their own ``position`` in the
journey, and a domain that adds reminders about another's subjects (a booking, a flight) imports
that domain, which registers them first.
"""

from __future__ import annotations

import importlib

DOMAINS = (
    "app.accounts",
    "app.booking",
    "app.documents",
    "app.payments",
    "app.medical",
    "app.training",
    "app.travel",
    "app.flightops",
    "app.desk",
    "app.privacy",
)


def load() -> None:
    for name in DOMAINS:
        importlib.import_module(name)
