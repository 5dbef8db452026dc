"""``app.formats``: a writer of many rows passes the language's state once (``when_in``) and gets
what ``when`` writes, in every language, reader's zone, place's zone and format, across daylight
saving changes; both write what ``when`` wrote before it was split."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import g
from flask_babel import force_locale, refresh

from app import formats
from app.i18n import current


def _when_before(value, fmt="medium", zone=None):
    """``formats.when`` as it was written before ``when_in``."""
    if not value:
        return ""
    locale, readers_zone, _translations, name = current()
    tz = ZoneInfo(zone) if zone else readers_zone
    local = value.astimezone(tz)
    if fmt not in ("full", "long", "medium", "short"):
        return babel_dates.format_datetime(value, fmt, tzinfo=tz, locale=locale)
    date_fmt = "long" if fmt == "long" else fmt
    clock = formats._time_text(local.time().replace(second=0, microsecond=0, tzinfo=None), name)
    if fmt == "full":
        clock = f"{clock} {formats.zone_name(local, name)}"
    return (formats._pattern(date_fmt, name).replace("{1}", formats.day_text(local.date(), date_fmt, name))
            .replace("{0}", clock))


def test_when_in_writes_what_when_writes(app):
    utc = timezone.utc
    # Across the spring and autumn changes of Europe and America, a half-hour zone, midnight in UTC.
    moments = [datetime(2027, 3, 28, 0, 30, tzinfo=utc) + timedelta(minutes=47 * i) for i in range(40)]
    moments += [datetime(2026, 11, 1, 5, 59, 30, 999, tzinfo=utc), datetime(2026, 12, 31, 23, 59, tzinfo=utc),
                datetime(2027, 10, 31, 0, 59, tzinfo=utc), datetime(2027, 10, 31, 1, 0, tzinfo=utc)]
    written = 0
    for reader in ("UTC", "America/New_York", "Europe/Madrid", "Asia/Kolkata", "Australia/Lord_Howe"):
        with app.test_request_context("/"):
            g.timezone = reader
            for language in ("en", "de", "es", "pt", "fr", "it"):
                with force_locale(language):
                    state = current()
                    assert state.name == language
                    for zone in (None, "America/Denver", "Europe/Berlin", "Pacific/Chatham", "UTC"):
                        for fmt in ("full", "long", "medium", "short", "yyyy-MM-dd HH:mm zzzz"):
                            for value in moments:
                                expected = _when_before(value, fmt, zone)
                                assert formats.when(value, fmt, zone) == expected
                                assert formats.when_in(state, value, fmt, zone) == expected
                                written += 1
                    assert formats.when(None) == formats.when_in(state, None) == ""
            refresh()
    assert written == 5 * 6 * 5 * 5 * len(moments)
