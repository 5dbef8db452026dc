"""Dates and times as people read them: in the reader's language and time zone, never seconds.

Babel's formatting is slow next to everything else a page does, and a table shows the same few
days and times many times over: the text of a day, a time of day and a pattern is kept per
language (small caches: there are few days, minutes and languages in use)."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from app.i18n import Current, current


@functools.lru_cache(maxsize=8192)
def day_text(day: date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(day, fmt, locale=locale)


@functools.lru_cache(maxsize=4096)
def _time_text(at: time, locale: str) -> str:
    return babel_dates.format_time(at, "short", locale=locale)


@functools.lru_cache(maxsize=64)
def _pattern(fmt: str, locale: str) -> str:
    return babel_dates.get_datetime_format(fmt, locale=locale).replace("'", "")


_ZONE_NAMES: dict[tuple, str] = {}


def zone_name(local: datetime, locale: str) -> str:
    """The long name of ``local``'s time zone at that moment, in ``locale``; one Babel call per
    zone, offset, daylight saving, year (a zone's name may change in history) and language."""
    key = (str(local.tzinfo), local.utcoffset(), local.dst(), local.year, locale)
    text = _ZONE_NAMES.get(key)
    if text is None:
        if len(_ZONE_NAMES) > 4096:
            _ZONE_NAMES.clear()
        text = _ZONE_NAMES[key] = babel_dates.format_time(local, "zzzz", tzinfo=local.tzinfo, locale=locale)
    return text


def when(value: datetime | None, fmt: str = "medium", zone: str | None = None) -> str:
    """A date and time in the user's language and time zone (or in ``zone``, a place's: a
    training session at the spaceport), without the seconds nobody booking a launch needs;
    "full" adds the weekday and the time zone's name; "long" spells the month out ("June 1, 2026
    at 3:00 PM", "1. Juni 2026 um 15:00"), as messages do."""
    if not value:
        return ""
    return when_in(current(), value, fmt, zone)


def when_in(state: Current, value: datetime | None, fmt: str = "medium", zone: str | None = None) -> str:
    """:func:`when` in the language and time zone of ``state`` (``app.i18n.current()``, looked up
    once by a caller that writes many: a table's rows)."""
    if not value:
        return ""
    locale, readers_zone, _translations, name = state
    tz = ZoneInfo(zone) if zone else readers_zone
    local = value.astimezone(tz)
    if fmt not in ("full", "long", "medium", "short"):
        return babel_dates.format_datetime(value, fmt, tzinfo=tz, locale=locale)
    date_fmt = "long" if fmt == "long" else fmt
    clock = _time_text(local.time().replace(second=0, microsecond=0, tzinfo=None), name)
    if fmt == "full":
        clock = f"{clock} {zone_name(local, name)}"
    return _pattern(date_fmt, name).replace("{1}", day_text(local.date(), date_fmt, name)).replace("{0}", clock)


def clock(value: datetime | None) -> str:
    """The time of day alone, in the user's language and time zone ("2:40 PM", "14:40"): a
    launch-day update, whose day the page says already."""
    if not value:
        return ""
    state = current()
    return _time_text(value.astimezone(state.timezone).time().replace(second=0, microsecond=0), state.name)


def on_day(value: date | datetime, fmt: str = "medium") -> str:
    """A day in the user's language; a moment is taken on the user's own calendar."""
    state = current()
    if isinstance(value, datetime):
        value = value.astimezone(state.timezone).date()
    return day_text(value, fmt, state.name)


def iso(value) -> str:
    """A machine-readable date for ``<time datetime>``: a date as 2026-06-01, a moment in UTC to
    the second (2026-06-01T13:00:00Z); HTML allows no microseconds there."""
    if not value:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()
