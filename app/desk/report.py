"""Operations' weekly figures: per week (Monday to Sunday in the operator's time zone) and topic,
the conversations started, the median time to the first answer (in business hours, what the
target counts) and the waits that went past their target."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, DeskEvent, DeskEventKind, Topic
from app.timeutil import UTC, now_utc


@dataclass
class Figures:
    conversations: int = 0
    first_responses: list[int] = field(default_factory=list)   # seconds of business time
    breaches: int = 0

    @property
    def median_first_response(self) -> timedelta | None:
        if not self.first_responses:
            return None
        return timedelta(seconds=statistics.median(self.first_responses))


@dataclass
class Week:
    starts: date
    total: Figures = field(default_factory=Figures)
    by_topic: dict[Topic, Figures] = field(default_factory=lambda: {t: Figures() for t in Topic})


def weekly(weeks: int = 8, now: datetime | None = None) -> list[Week]:
    """The last ``weeks`` weeks, this one first. Three queries, whatever the number of
    conversations."""
    zone = ZoneInfo(current_app.config["DESK_TIMEZONE"])
    today = (now or now_utc()).astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=i) for i in range(weeks)]
    since = datetime.combine(mondays[-1], time(0), tzinfo=zone).astimezone(UTC)
    by_monday = {monday: Week(monday) for monday in mondays}

    def week_of(at: datetime) -> Week | None:
        day = at.astimezone(zone).date()
        return by_monday.get(day - timedelta(days=day.weekday()))

    for topic, created_at in db.session.execute(
            select(Conversation.topic, Conversation.created_at).where(Conversation.created_at >= since)):
        week = week_of(created_at)
        if week is not None:
            week.total.conversations += 1
            week.by_topic[topic].conversations += 1
    # A first answer counts in the week it was given.
    for topic, answered_at, seconds in db.session.execute(
            select(Conversation.topic, Conversation.first_response_at, Conversation.first_response_seconds)
            .where(Conversation.first_response_at >= since, Conversation.first_response_seconds.is_not(None))):
        week = week_of(answered_at)
        if week is not None:
            week.total.first_responses.append(seconds)
            week.by_topic[topic].first_responses.append(seconds)
    for topic, at in db.session.execute(
            select(DeskEvent.topic, DeskEvent.at)
            .where(DeskEvent.kind == DeskEventKind.BREACHED, DeskEvent.at >= since)):
        week = week_of(at)
        if week is not None:
            week.total.breaches += 1
            week.by_topic[topic].breaches += 1
    return [by_monday[monday] for monday in mondays]
