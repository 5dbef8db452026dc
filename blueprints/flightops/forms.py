from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.booking.flights import NOTE_MAX
from app.errors import ServiceError
from app.flightops.after import ANSWER_MAX
from app.flightops.labels import UPDATE_KINDS
from app.flightops.updates import MESSAGE_MAX
from app.i18n import lazy_gettext as _l
from app.labels import SLIP_CAUSES
from app.readiness import REASON_MAX
from app.timeutil import UTC


def to_utc(local: datetime, zone: str, field: str) -> datetime:
    """A wall-clock time typed in the operator's zone, in UTC; a year no calendar reaches (9999 in
    a zone behind UTC) is a refusal at its field, not an error."""
    try:
        return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except (OverflowError, ValueError):
        raise ServiceError(_l("Check the year: this date cannot be right."), field) from None


def shifted(moment: datetime, by: timedelta, field: str) -> datetime:
    try:
        return moment + by
    except OverflowError:
        raise ServiceError(_l("Check the year: this date cannot be right."), field) from None


class OverrideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason for the override: it is recorded and shown with the gate.")),
                    Length(max=REASON_MAX)],
        description=_l("For example: balance deferred by written agreement of 2 March. Operations read it in the "
                       "matrix; the tourist sees only that the step was waived."))


class MoveForm(FlaskForm):
    """A move of the launch (a slip): the new time in the operator's zone, the window's close (its
    length kept when left empty), the cause and a note the tourists read."""

    launch_at = DateTimeLocalField(_l("New launch (window opens)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter the new launch date and time."))])
    window_closes_at = DateTimeLocalField(
        _l("Launch window closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
        description=_l("Leave empty to keep the window as long as it is."))
    cause = SelectField(_l("Cause"), choices=[(c.value, label) for c, label in SLIP_CAUSES.items()],
                        validators=[InputRequired()])
    note = TextAreaField(_l("A note for the tourists (optional)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         description=_l("Sent with the news, as you write it: for example, what the next "
                                        "days look like."))


class ScrubForm(FlaskForm):
    """A scrub: the next attempt in the operator's zone when it is known, the cause and a note."""

    next_attempt_at = DateTimeLocalField(
        _l("Next attempt (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
        description=_l("Leave empty if the next attempt is not set yet: the tourists are told a new time will "
                       "follow."))
    cause = SelectField(_l("Cause"), choices=[(c.value, label) for c, label in SLIP_CAUSES.items()],
                        validators=[InputRequired()])
    note = TextAreaField(_l("A note for the tourists (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class UpdateForm(FlaskForm):
    """A launch-day update: what kind, and what is happening."""

    kind = SelectField(_l("What"), choices=[(k.value, label) for k, label in UPDATE_KINDS.items()],
                       validators=[InputRequired()])
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MESSAGE_MAX)],
                            description=_l("Sent at once by SMS and in the app to everyone with a seat, and shown "
                                           "on the launch page families follow. At most 280 characters."))


class FlownForm(FlaskForm):
    """The flight flew: its actual liftoff and landing, in the operator's zone."""

    lifted_off_at = DateTimeLocalField(_l("Liftoff"), format="%Y-%m-%dT%H:%M",
                                       validators=[InputRequired(_l("Enter when the flight lifted off."))])
    landed_at = DateTimeLocalField(_l("Landing"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter when the flight landed."))])


class SurveyForm(FlaskForm):
    overall = RadioField(_l("How was your experience, as a whole?"),
                         choices=[(str(n), str(n)) for n in range(1, 6)],
                         validators=[InputRequired(_l("Choose from 1 to 5."))],
                         description=_l("1: poor · 5: outstanding"))
    recommend = RadioField(_l("How likely are you to recommend us to a friend?"),
                           choices=[(str(n), str(n)) for n in range(0, 11)],
                           validators=[InputRequired(_l("Choose from 0 to 10."))],
                           description=_l("0: not at all likely · 10: extremely likely"))
    best = TextAreaField(_l("What was the best part? (optional)"), validators=[Optional(), Length(max=ANSWER_MAX)])
    improve = TextAreaField(_l("What should we do better? (optional)"), validators=[Optional(), Length(max=ANSWER_MAX)])
