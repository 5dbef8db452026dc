"""The desk's clock: the operator's business hours, and when an answer is due.

A first-response target is counted in business hours, in the operator's time zone
(``DESK_TIMEZONE``, ``DESK_BUSINESS_HOURS``, ``DESK_HOLIDAYS``): a question asked on Friday
evening is due on Monday. Within ``DESK_NEAR_LAUNCH_DAYS`` of the tourist's launch the desk is
staffed around the clock, and the target is ``DESK_NEAR_LAUNCH_HOURS`` of wall-clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.config import TARGET_PATTERN, WEEKDAYS
from app.models import Topic
from app.timeutil import UTC

#: How far ahead the clock looks for open hours (a year of holidays would be a misconfiguration).
HORIZON_DAYS = 400


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    days: frozenset[int]          # weekdays open, Monday = 0
    opens: int                    # minutes after local midnight
    closes: int                   # minutes after local midnight (1440: midnight after)
    holidays: frozenset[date]

    def is_open_on(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def _interval(self, day: date) -> tuple[datetime, datetime]:
        """The open hours of a local day, in UTC (daylight saving shifts them as the clocks do)."""
        midnight = datetime.combine(day, time(0))
        opens = (midnight + timedelta(minutes=self.opens)).replace(tzinfo=self.zone)
        closes = (midnight + timedelta(minutes=self.closes)).replace(tzinfo=self.zone)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def intervals(self, start: datetime):
        """The open intervals (UTC) from ``start`` on, the first one cut at ``start``."""
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(HORIZON_DAYS):
            if self.is_open_on(day):
                opens, closes = self._interval(day)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time has passed after ``start``."""
        left = duration
        for opens, closes in self.intervals(start):
            if closes - opens >= left:
                return opens + left
            left -= closes - opens
        return start + duration  # no open hours within the horizon: count wall-clock time

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between ``start`` and ``end``."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self.intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_hours(spec: str, zone: str, holidays: tuple[str, ...] = ()) -> BusinessHours:
    """``"mon-fri 09:00-17:00"`` (or ``"mon,wed 08:00-12:00"``) in ``zone``; the config checked it."""
    days_part, hours_part = spec.strip().lower().split(None, 1)
    if "-" in days_part:
        first, last = (WEEKDAYS.index(d.strip()) for d in days_part.split("-"))
        days = {(first + i) % 7 for i in range((last - first) % 7 + 1)}
    else:
        days = {WEEKDAYS.index(d.strip()) for d in days_part.split(",")}
    opens, closes = (part.strip() for part in re.split(r"\s*-\s*", hours_part.strip()))
    return BusinessHours(ZoneInfo(zone), frozenset(days), _minutes(opens), _minutes(closes),
                         frozenset(date.fromisoformat(d) for d in holidays))


def business_hours() -> BusinessHours:
    cfg = current_app.config
    return parse_hours(cfg["DESK_BUSINESS_HOURS"], cfg["DESK_TIMEZONE"], cfg["DESK_HOLIDAYS"])


def targets() -> dict[str, float]:
    """Hours per topic (``default`` for the rest), as configured."""
    found = {"default": 4.0}
    for item in current_app.config["DESK_RESPONSE_TARGETS"].split(","):
        match = TARGET_PATTERN.match(item)
        if match:
            found[match.group(1).lower()] = float(match.group(2))
    return found


def target_for(topic: Topic) -> timedelta:
    hours = targets()
    return timedelta(hours=hours.get(topic.value, hours["default"]))


@dataclass(frozen=True)
class Due:
    at: datetime
    #: The target counted: business hours, or wall-clock hours near the launch.
    span: timedelta
    near_launch: bool


def due(topic: Topic, since: datetime, next_launch: datetime | None) -> Due:
    """When an answer to a message written at ``since`` is due: the topic's target in business
    hours, or, within the near-launch window of the tourist's launch, the short wall-clock one."""
    cfg = current_app.config
    if next_launch is not None and since >= next_launch - timedelta(days=cfg["DESK_NEAR_LAUNCH_DAYS"]) \
            and since <= next_launch + timedelta(days=1):
        span = timedelta(hours=cfg["DESK_NEAR_LAUNCH_HOURS"])
        return Due(since + span, span, True)
    span = target_for(topic)
    return Due(business_hours().add(since, span), span, False)


def business_seconds(start: datetime, end: datetime) -> int:
    return int(business_hours().elapsed(start, end).total_seconds())


#: A waiting conversation "stands out" once this share of its wait to the due time has passed.
NEAR_SHARE = 0.75


def standing(waiting_since: datetime | None, due_at: datetime | None, now: datetime) -> str:
    """``late`` past its due time, ``near`` in the last quarter before it, else ``ok``
    (``""`` when nothing is due)."""
    if waiting_since is None or due_at is None:
        return ""
    if now >= due_at:
        return "late"
    if now >= waiting_since + (due_at - waiting_since) * NEAR_SHARE:
        return "near"
    return "ok"
