"""The desk's business-hours clock, property-tested: whatever the moment, zone, opening hours and
duration, adding business time and measuring it back agree, the answer falls within open hours,
and nothing is counted while the desk is closed (weekends, nights, holidays, daylight-saving
changes included)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.desk.clock import BusinessHours, parse_hours
from app.timeutil import UTC

ZONES = ("America/Denver", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "UTC")
SPECS = ("mon-fri 09:00-17:00", "mon,wed,fri 08:30-12:00", "sat-sun 00:00-24:00", "mon-sun 07:00-19:30",
         "fri-mon 22:00-24:00")

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
hours = st.builds(
    lambda spec, zone, holidays: parse_hours(spec, zone, tuple(d.isoformat() for d in holidays)),
    st.sampled_from(SPECS), st.sampled_from(ZONES),
    st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)), max_size=5))
durations = st.integers(min_value=0, max_value=60 * 3600).map(lambda s: timedelta(seconds=s))


def is_open(clock: BusinessHours, at: datetime) -> bool:
    """Within a day's open hours, their closing moment included (24:00 is the next day's 00:00)."""
    local = at.astimezone(clock.zone)
    minutes = local.hour * 60 + local.minute + local.second / 60
    today = clock.is_open_on(local.date()) and clock.opens <= minutes <= clock.closes
    midnight_close = minutes == 0 and clock.closes == 1440 and clock.is_open_on(local.date() - timedelta(days=1))
    return today or midnight_close


@settings(max_examples=300, deadline=None)
@given(clock=hours, start=moments, duration=durations)
def test_adding_business_time_and_measuring_it_back_agree(clock, start, duration):
    due = clock.add(start, duration)
    assert due >= start
    assert clock.elapsed(start, due) == duration
    if duration:
        assert is_open(clock, due), (start, duration, due)


@settings(max_examples=200, deadline=None)
@given(clock=hours, start=moments, first=durations, second=durations)
def test_business_time_adds_up(clock, start, first, second):
    assert clock.add(clock.add(start, first), second) == clock.add(start, first + second) or second == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(clock=hours, start=moments, end=moments)
def test_no_time_counts_while_closed_and_none_backwards(clock, start, end):
    spent = clock.elapsed(start, end)
    if end <= start:
        assert spent == timedelta(0)
    else:
        assert timedelta(0) <= spent <= end - start


def test_a_holiday_and_a_weekend_count_nothing():
    clock = parse_hours("mon-fri 09:00-17:00", "America/Denver", ("2026-12-25",))
    zone = ZoneInfo("America/Denver")
    christmas_eve_close = datetime(2026, 12, 24, 17, 0, tzinfo=zone)
    monday_open = datetime(2026, 12, 28, 9, 0, tzinfo=zone)
    assert clock.elapsed(christmas_eve_close, monday_open) == timedelta(0)
    assert clock.add(christmas_eve_close, timedelta(minutes=1)) == (monday_open + timedelta(minutes=1)).astimezone(UTC)
