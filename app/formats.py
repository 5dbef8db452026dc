"""Dates and times as people read them: in the reader's language and time zone, never seconds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask_babel import get_locale, get_timezone


def when(value: datetime | None, fmt: str = "medium", zone: str | None = None) -> str:
    """A date and time in the user's language and time zone (or in ``zone``, a place's: a
    training session at the spaceport), without the seconds nobody booking a launch needs;
    "full" adds the weekday and the time zone's name; "long" spells the month out ("June 1, 2026
    at 3:00 PM", "1. Juni 2026 um 15:00"), as messages do."""
    if not value:
        return ""
    locale = get_locale()
    tz = ZoneInfo(zone) if zone else get_timezone()
    local = value.astimezone(tz)
    if fmt not in ("full", "long", "medium", "short"):
        return babel_dates.format_datetime(value, fmt, tzinfo=tz, locale=locale)
    date_fmt = "long" if fmt == "long" else fmt
    time = babel_dates.format_time(value, "short", tzinfo=tz, locale=locale)
    if fmt == "full":
        time = f"{time} {babel_dates.format_time(value, 'zzzz', tzinfo=tz, locale=locale)}"
    pattern = babel_dates.get_datetime_format(date_fmt, locale=locale).replace("'", "")
    return pattern.replace("{1}", babel_dates.format_date(local.date(), date_fmt, locale=locale)).replace("{0}", time)
