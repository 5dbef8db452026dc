"""The travel forms: the tourist's (arrival, contact, companion, needs, travel document) and the
coordinator's (a segment of an itinerary or of a flight-wide template). Each runs its service's
check too, so one answer shows every problem at its field."""

from __future__ import annotations

from flask_babel import get_locale
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Optional

from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.models import AgeBand, ArrivalMode, SegmentKind, SegmentStatus, Sex, TravelDocumentType
from app.travel import details, itinerary
from app.travel import labels as travel_labels
from blueprints.forms import TIMEZONE_CHOICES, CheckedForm, LongSelect

LOCAL = "%Y-%m-%dT%H:%M"


def _zones():
    return [(tz, tz) for tz in TIMEZONE_CHOICES]


def _country_choices() -> list[tuple[str, str]]:
    return [("", "—")] + list(details.countries(str(get_locale() or "en").split("_")[0]))


class ArrivalForm(CheckedForm):
    mode = RadioField(_l("How do you arrive?"), choices=[(m.value, travel_labels.ARRIVAL_MODES[m]) for m in ArrivalMode],
                      validators=[Optional()], validate_choice=False)
    flight_number = StringField(_l("Your inbound flight"), validators=[Optional()])
    airport = StringField(_l("Airport you land at"), validators=[Optional()])
    arrives_local = DateTimeLocalField(_l("Lands at (local time of the airport)"), format=LOCAL, validators=[Optional()])
    timezone = SelectField(_l("Time zone of the airport"), choices=_zones(), default="UTC", validate_choice=False,
                           widget=LongSelect())
    #: Set by the page.
    booking = None

    def data_for_service(self) -> details.ArrivalData:
        return details.ArrivalData(mode=self.mode.data or "", flight_number=self.flight_number.data or "",
                                   airport=self.airport.data or "", arrives_local=self.arrives_local.data,
                                   timezone=self.timezone.data or "UTC")

    def service_problems(self) -> list[ServiceError]:
        return details.arrival_problems(self.booking, self.data_for_service()) if self.booking else []


class ContactForm(CheckedForm):
    name = StringField(_l("Name"), validators=[Optional()])
    relation = StringField(_l("Who they are to you"), validators=[Optional()])
    phone = TelField(_l("Phone, with the country code"), validators=[Optional()])
    email = EmailField(_l("Email (optional)"), validators=[Optional()])

    def data_for_service(self) -> details.ContactData:
        return details.ContactData(self.name.data or "", self.relation.data or "", self.phone.data or "",
                                   self.email.data or "")

    def service_problems(self) -> list[ServiceError]:
        return details.contact_problems(self.data_for_service())


class CompanionForm(CheckedForm):
    name = StringField(_l("Name"), validators=[Optional()])
    relation = StringField(_l("Who they are to you"), validators=[Optional()])
    age_band = SelectField(_l("Age"), choices=[(a.value, travel_labels.AGE_BANDS[a]) for a in AgeBand],
                           validate_choice=False, widget=LongSelect())
    phone = StringField(_l("Mobile number (optional)"), validators=[Optional()],
                        description=_l("For the news on launch day by SMS: a move, a scrub, each update from the "
                                       "countdown. With the country code, e.g. +1 505 555 0100."))

    def data_for_service(self) -> details.CompanionData:
        return details.CompanionData(self.name.data or "", self.relation.data or "", self.age_band.data or "",
                                     self.phone.data or "")

    def service_problems(self) -> list[ServiceError]:
        return details.companion_problems(self.data_for_service())


class NeedsForm(CheckedForm):
    dietary = TextAreaField(_l("Dietary needs"), validators=[Optional()])
    accessibility = TextAreaField(_l("Accessibility needs"), validators=[Optional()])

    def service_problems(self) -> list[ServiceError]:
        return details.needs_problems(self.dietary.data, self.accessibility.data)


class DocumentForm(CheckedForm):
    name_as_printed = StringField(_l("Full name as printed in the document"), validators=[Optional()])
    document_type = SelectField(_l("Kind of document"),
                                choices=[(t.value, travel_labels.DOCUMENT_TYPES[t]) for t in TravelDocumentType],
                                validate_choice=False, widget=LongSelect())
    number = StringField(_l("Document number"), validators=[Optional()])
    nationality = SelectField(_l("Nationality"), validate_choice=False, widget=LongSelect())
    issuing_country = SelectField(_l("Issuing country"), validate_choice=False, widget=LongSelect())
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    sex = SelectField(_l("Sex, as in the document"), choices=[(s.value, travel_labels.SEXES[s]) for s in Sex],
                      validate_choice=False, widget=LongSelect())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nationality.choices = self.issuing_country.choices = _country_choices()

    def data_for_service(self) -> details.DocumentData:
        return details.DocumentData(
            name_as_printed=self.name_as_printed.data or "", nationality=self.nationality.data or "",
            document_type=self.document_type.data or "", number=self.number.data or "",
            issuing_country=self.issuing_country.data or "",
            expires_on=self.expires_on.data, date_of_birth=self.date_of_birth.data, sex=self.sex.data or "",
        )

    def service_problems(self) -> list[ServiceError]:
        return details.document_problems(self.data_for_service())


class SegmentForm(CheckedForm):
    """A segment of an itinerary, or of a flight-wide template."""
    kind = SelectField(_l("Kind"), choices=[(k.value, travel_labels.KINDS[k]) for k in SegmentKind],
                       validate_choice=False)
    status = SelectField(_l("Status"), choices=[(s.value, travel_labels.STATUSES[s]) for s in SegmentStatus],
                         default=SegmentStatus.PENDING.value, validate_choice=False)
    confirmation_code = StringField(_l("Supplier's confirmation code"), validators=[Optional()])
    title = StringField(_l("Name (hotel, event)"), validators=[Optional()])
    carrier = StringField(_l("Airline"), validators=[Optional()])
    number = StringField(_l("Flight number"), validators=[Optional()])
    from_place = StringField(_l("From (airport, pick-up place, where)"), validators=[Optional()])
    to_place = StringField(_l("To (airport, drop-off)"), validators=[Optional()])
    address = StringField(_l("Hotel address"), validators=[Optional()])
    vehicle = StringField(_l("Vehicle"), validators=[Optional()])
    phone = TelField(_l("Driver's phone"), validators=[Optional()])
    starts_local = DateTimeLocalField(_l("Starts (departs, check-in, pick-up), local time"), format=LOCAL,
                                      validators=[Optional()])
    start_timezone = SelectField(_l("Time zone where it starts"), choices=_zones(), default="UTC",
                                 validate_choice=False, widget=LongSelect())
    ends_local = DateTimeLocalField(_l("Ends (lands, check-out), local time"), format=LOCAL, validators=[Optional()])
    end_timezone = SelectField(_l("Time zone where it ends"), choices=[("", "—")] + _zones(), default="",
                               validate_choice=False, widget=LongSelect())
    notes = TextAreaField(_l("Notes for the tourist"), validators=[Optional()])
    #: Set by the page: the flight the segment is for.
    flight = None

    def data_for_service(self) -> itinerary.SegmentData:
        return itinerary.SegmentData(**{name: getattr(self, name).data or ("" if name not in (
            "starts_local", "ends_local") else None) for name in (
            "kind", "status", "confirmation_code", "title", "carrier", "number", "from_place", "to_place", "address",
            "vehicle", "phone", "starts_local", "start_timezone", "ends_local", "end_timezone", "notes")})

    def fill(self, data: itinerary.SegmentData) -> SegmentForm:
        for name, value in vars(data).items():
            getattr(self, name).data = value
        return self

    def service_problems(self) -> list[ServiceError]:
        return itinerary.segment_problems(self.data_for_service(), self.flight)
