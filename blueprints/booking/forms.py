"""Forms of the booking pages: a flight, as operations edit it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app import multilingual
from app.booking import flights as flight_service
from app.config import LANGUAGES
from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.labels import FLIGHT_STATUSES
from app.models import FlightStatus
from app.money import CURRENCIES, to_minor
from app.timeutil import UTC
from blueprints.forms import REQUIRED, CheckedForm, DecimalField, IntegerField

AMOUNT = _l("Enter an amount of zero or more.")


class FlightForm(CheckedForm):
    name = StringField(_l("Mission name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    vehicle = StringField(_l("Vehicle"), validators=[DataRequired(REQUIRED), Length(max=120)])
    spaceport = StringField(_l("Spaceport"), validators=[DataRequired(REQUIRED), Length(max=120)])
    description = TextAreaField(_l("Description (in English)"), validators=[Optional(), Length(max=4000)])
    launch_at = DateTimeLocalField(
        _l("Planned launch (window opens)"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the planned launch date and time."))],
    )
    window_closes_at = DateTimeLocalField(
        _l("Launch window closes"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter when the launch window closes."))],
    )
    seat_count = IntegerField(
        _l("Seats for tourists"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 100, _l("Between 1 and 100 seats."))],
    )
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES], default="USD")
    price = DecimalField(_l("Ticket price"), places=None, validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)])
    deposit = DecimalField(_l("Deposit"), places=None, validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)])
    deposit_nonrefundable = DecimalField(
        _l("Non-refundable part of the deposit"), places=None,
        validators=[InputRequired(REQUIRED), NumberRange(0, message=AMOUNT)],
    )
    balance_due_days = IntegerField(
        _l("Balance due (days before launch)"),
        validators=[InputRequired(REQUIRED), NumberRange(0, 730, _l("Between 0 and 730 days."))],
    )
    status = SelectField(
        _l("Status"), choices=[(s.value, label) for s, label in FLIGHT_STATUSES.items()],
        default=FlightStatus.SCHEDULED.value,
    )

    #: Set by the page: the flight edited (None for a new one) and the operator's time zone, in
    #: which the launch and the window are typed.
    flight = None
    timezone = "UTC"

    def _moment(self, field) -> datetime | None:
        if field.data is None or field.errors:
            return None
        return field.data.replace(tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def _money(self, field, currency: str, problems: list[ServiceError]) -> int | None:
        if field.data is None or field.errors:
            return None
        try:
            return to_minor(field.data, currency)
        except ValueError:
            problems.append(ServiceError(
                _l("%(currency)s amounts cannot have that many decimal places.", currency=currency), field.name))
            return None

    def flight_data(self) -> tuple[dict, list[ServiceError]]:
        """What the form says, as the flight service takes it (``None`` for what it could not read),
        and the amounts it could not read for their decimal places."""
        currency = self.currency.data if not self.currency.errors else "USD"
        problems: list[ServiceError] = []
        money = {key: self._money(field, currency, problems) for key, field in (
            ("price_minor", self.price), ("deposit_minor", self.deposit),
            ("deposit_nonrefundable_minor", self.deposit_nonrefundable))}
        data = {
            "name": (self.name.data or "").strip(), "vehicle": (self.vehicle.data or "").strip(),
            "spaceport": (self.spaceport.data or "").strip(), "description": (self.description.data or "").strip(),
            "launch_at": self._moment(self.launch_at), "window_closes_at": self._moment(self.window_closes_at),
            "seat_count": None if self.seat_count.errors else self.seat_count.data, "currency": currency, **money,
            "balance_due_days": None if self.balance_due_days.errors else self.balance_due_days.data,
            "status": None if self.status.errors else FlightStatus(self.status.data),
            "texts": self.texts(),
        }
        return data, problems

    def description_fields(self):
        for code in TRANSLATED:
            yield code, LANGUAGES[code], self[f"description_{code}"]

    def texts(self) -> dict:
        """The description in the other languages (empty ones left out: readers see the default)."""
        texts: dict = {}
        for code, _name, field in self.description_fields():
            texts = multilingual.with_text(texts, code, "description", (field.data or "").strip())
        return texts

    def fill_texts(self, flight) -> None:
        for code, _name, field in self.description_fields():
            field.data = multilingual.text_in(flight.texts, code, "description")

    def service_problems(self) -> list[ServiceError]:
        data, problems = self.flight_data()
        return problems + flight_service.flight_problems(data, self.flight)


#: The languages a flight's description can be translated into (it is written in English).
TRANSLATED = [code for code in LANGUAGES if code != "en"]
for _code in TRANSLATED:
    setattr(FlightForm, f"description_{_code}", TextAreaField(
        _l("Description in %(language)s", language=LANGUAGES[_code]), validators=[Optional(), Length(max=4000)]))
