"""Events that domains add to a user's private calendar feed, beside training's sessions (the
feed itself is served by training, which made it first): a domain registers a function that gives
a user's events since a time, each as an iCalendar VEVENT with the span it covers (for the time
zones the feed must carry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Event

from app.models import User


@dataclass(frozen=True)
class FeedEvent:
    event: Event
    starts_at: datetime
    ends_at: datetime


Contributor = Callable[[User, datetime], list[FeedEvent]]
_CONTRIBUTORS: list[Contributor] = []


def register(contributor: Contributor) -> Contributor:
    _CONTRIBUTORS.append(contributor)
    return contributor


def contributed(user: User, since: datetime) -> list[FeedEvent]:
    """Every registered domain's events for ``user`` that end after ``since``."""
    return [event for contributor in _CONTRIBUTORS for event in contributor(user, since)]
