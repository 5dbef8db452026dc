"""Medical's part of a flown tourist's evidence pack: the clearance valid on the launch date, by
its status and dates only. No finding, answer or assessment ever appears in it."""

from __future__ import annotations

from flask_babel import format_date

from app import evidence
from app.evidence import Line, Section
from app.i18n import gettext as _
from app.medical import cases
from app.medical.clearances import launch_date
from app.models import Booking


def _sections(booking: Booking) -> list[Section]:
    status = cases.clearance_statuses([booking])[booking.id]
    launch = launch_date(booking.flight)
    valid = bool(status.cleared and status.valid_until and status.valid_until >= launch)
    lines = [Line(_("Status"), str(cases.TOURIST_FILTER_LABELS.get(status.status, status.status.value))),
             Line(_("Launch date"), format_date(launch, "long")),
             Line(_("Medical clearance valid until"), format_date(status.valid_until, "long") if status.valid_until
                  else "—")]
    return [Section(_("Medically cleared, valid on the launch date"), valid, lines,
                    note="" if valid else _("No clearance valid on the launch date on record."))]


evidence.register("medical", _sections, position=40)
