"""Time is timezone-aware UTC everywhere; conversion happens only for display."""

from __future__ import annotations

from datetime import date, datetime, timezone

UTC = timezone.utc


def now_utc() -> datetime:
    return datetime.now(UTC)


def age_on(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def parse_iso(value: str | None) -> datetime | None:
    """A datetime stored as ISO 8601 text (in a JSON column), back as an aware datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
