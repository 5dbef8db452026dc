"""Forms of the notification settings."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, TimeField
from wtforms.validators import Optional

from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.messaging.preferences import ALL_CHANNELS, CATEGORIES, Preferences, quiet_hours_problems
from app.models import Channel, User
from blueprints.forms import LANGUAGE_CHOICES, TIMEZONE_CHOICES, CheckedForm

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when the input has a step


def channel_field_name(category: str, channel: Channel) -> str:
    return f"ch_{category}_{channel.value}"


class PreferencesForm(CheckedForm):
    """Channels per category (one checkbox each, added per request for the categories that exist),
    quiet hours, language and time zone."""

    quiet_enabled = BooleanField(_l("Hold messages during quiet hours"))
    quiet_starts = TimeField(_l("Quiet from"), format=TIME_FORMATS, validators=[Optional()])
    quiet_ends = TimeField(_l("Quiet until"), format=TIME_FORMATS, validators=[Optional()])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(t, t) for t in TIMEZONE_CHOICES])

    def service_problems(self) -> list[ServiceError]:
        if self.quiet_starts.errors or self.quiet_ends.errors:
            return []
        return quiet_hours_problems(bool(self.quiet_enabled.data), self.quiet_starts.data, self.quiet_ends.data)

    def channel_field(self, category: str, channel: Channel):
        """The checkbox for a category and channel; None for a locked category."""
        return self._fields.get(channel_field_name(category, channel))

    def chosen_channels(self) -> dict[str, set[Channel]]:
        return {
            name: {c for c in ALL_CHANNELS if self.channel_field(name, c).data}
            for name, category in CATEGORIES.items() if not category.locked
        }


def preferences_form(user: User, prefs: Preferences) -> PreferencesForm:
    """The form for this user, filled with what they chose (or, on a POST, with what they sent)."""

    class Form(PreferencesForm):
        pass

    data: dict[str, object] = {
        "quiet_enabled": prefs.quiet_enabled, "quiet_starts": prefs.quiet_starts,
        "quiet_ends": prefs.quiet_ends, "language": user.language, "timezone": user.timezone,
    }
    for name, category in CATEGORIES.items():
        if category.locked:
            continue
        for channel in ALL_CHANNELS:
            field_name = channel_field_name(name, channel)
            setattr(Form, field_name, BooleanField(category.label))
            data[field_name] = channel in prefs.channels[name]
    return Form(data=data)
