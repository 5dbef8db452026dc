"""Dates and times as people read them: in the reader's language and time zone, never seconds."""

from __future__ import annotations

from datetime import datetime

from babel.dates import get_datetime_format
from flask_babel import format_date, format_datetime, format_time, get_locale


def when(value: datetime | None, fmt: str = "medium") -> str:
    """A date and time in the user's language and time zone, without the seconds nobody
    booking a launch needs; "full" adds the weekday and the time zone's name; "long" spells
    the month out ("June 1, 2026 at 3:00 PM", "1. Juni 2026 um 15:00"), as messages do."""
    if not value:
        return ""
    if fmt == "long":
        pattern = get_datetime_format("long", locale=get_locale()).replace("'", "")
        return pattern.replace("{1}", format_date(value, "long")).replace("{0}", format_time(value, "short"))
    if fmt not in ("full", "medium", "short"):
        return format_datetime(value, fmt)
    time = format_time(value, "short")
    if fmt == "full":
        time = f"{time} {format_time(value, 'zzzz')}"
    pattern = get_datetime_format(fmt, locale=get_locale()).replace("'", "")
    return pattern.replace("{1}", format_date(value, fmt)).replace("{0}", time)
