"""The rows of medical staff's two long lists in Python: the review queue (25 cases a page) and
the tourists with their medical status (50 a page). A Jinja loop with a filter, a translation and
a call per cell was about a third of each page. The same HTML as the templates wrote; a
translation is used as the templates' ``_()`` uses it (as markup, its values escaped), and each
day is written once per page (a page's rows share a few launches and days)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from markupsafe import Markup, escape

from app.formats import iso, on_day
from app.i18n import markup as _
from app.medical.cases import ClearanceStatus, QueueGroup, QueueRow, TouristRow
from app.urls import url_maker


def _days() -> Callable[[date | datetime], str]:
    """``on_day`` (the templates' ``d`` filter, "medium") kept for one page: a value is worded
    once, however many rows show it."""
    words: dict[date | datetime, str] = {}

    def day(value: date | datetime) -> str:
        text = words.get(value)
        if text is None:
            text = words[value] = escape(on_day(value))
        return text
    return day


def queue_rows(rows: list[QueueRow], group_labels: dict[QueueGroup, str]) -> Markup:
    """A ``<tr>`` per case of the queue's page: the tourist (a link to the case), the group (an
    expiring clearance with the day it ends), the launch, vehicle and flight the case is about, and
    since when it waits."""
    case_url = url_maker("medical.staff.case", "case_id")
    day = _days()
    review = f'<span class="badge badge-action">{escape(group_labels[QueueGroup.REVIEW])}</span>'
    info = f'<span class="badge badge-waiting">{escape(group_labels[QueueGroup.INFO])}</span>'
    # (Translations outside the f-strings: Babel's extraction does not look inside them.)
    no_booking_text = _("No booking")
    no_booking = f'<span class="muted">{no_booking_text}</span>'
    html = []
    for row in rows:
        if row.group is QueueGroup.REVIEW:
            badge = review
        elif row.group is QueueGroup.INFO:
            badge = info
        else:
            until = _("Cleared through %(date)s", date=day(row.valid_until) if row.valid_until else "")
            badge = f'<span class="badge badge-blocked">{until}</span>'
        if row.launch_at:
            launch = f'<time datetime="{iso(row.launch_at)}">{day(row.launch_at)}</time>'
        else:
            launch = no_booking
        flight = (f'{escape(row.flight_name)}<br><small class="muted">{escape(row.booking_reference)}</small>'
                  if row.flight_name else "")
        html.append(
            f'\n    <tr>\n      <th scope="row"><a href="{escape(case_url(row.case_id))}">{escape(row.tourist_name)}</a></th>'
            f"\n      <td>{badge}</td>\n      <td>{launch}</td>\n      <td>{escape(row.vehicle or '')}</td>"
            f"\n      <td>{flight}</td>\n      <td>{day(row.since)}</td>\n    </tr>\n    "
        )
    return Markup("".join(html))


def tourist_rows(rows: list[TouristRow], status_label: Callable[[ClearanceStatus], str]) -> Markup:
    """A ``<tr>`` per tourist of the list's page: the name (a link to the case, when there is
    one), the medical status (``status_label``: worded once per page), the soonest launch and the
    email; each cell labelled for the small screen's card."""
    case_url = url_maker("medical.staff.case", "case_id")
    day = _days()
    status_heading, launch_heading, email_heading = _("Medical status"), _("Soonest launch"), _("Email")
    launches: dict[datetime, str] = {}
    html = []
    for name, email, first_launch, status in rows:
        name = escape(name)
        if status.case_id:
            name = f'<a href="{escape(case_url(status.case_id))}">{name}</a>'
        launch = launches.get(first_launch)
        if launch is None:
            launch = launches[first_launch] = f'<time datetime="{iso(first_launch)}">{day(first_launch)}</time>'
        html.append(
            f'\n    <tr>\n      <th scope="row">{name}</th>'
            f'\n      <td data-label="{status_heading}"><span class="badge badge-{status.tone}">'
            f"{escape(status_label(status))}</span></td>"
            f'\n      <td data-label="{launch_heading}">{launch}</td>'
            f'\n      <td data-label="{email_heading}"><span class="tourist-email">{escape(email)}</span></td>'
            f"\n    </tr>\n    "
        )
    return Markup("".join(html))
