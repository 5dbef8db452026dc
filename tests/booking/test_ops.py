
import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.desk import conversations as desk
from app.extensions import db
from app.models import (
    Document,
    DocumentKind,
    DocumentVersion,
    Flight,
    Role,
    Topic,
    User,
    WaitlistState,
)
from app.timeutil import UTC
from tests.conftest import login, post_form

FLIGHT = {
    "name": "Aurora Orbit 4", "vehicle": "Crew capsule Aurora", "spaceport": "LC-39A",
    "description": "Three days in orbit.", "launch_at": "2031-03-14T15:30", "window_closes_at": "2031-03-17T15:30",
    "seat_count": "4", "currency": "USD", "price": "450000", "deposit": "150000",
    "deposit_nonrefundable": "25000.50", "balance_due_days": "90", "status": "scheduled",
}


@pytest.fixture
def ops(client, make):
    user = make.user(Role.OPERATIONS, timezone="America/New_York")
    db.session.commit()
    login(client, user)
    return user


def test_operations_creates_a_flight_in_their_timezone(client, ops):
    response = post_form(client, "/ops/flights/new", FLIGHT, page="/ops/flights/new")
    assert response.status_code == 302
    flight = db.session.scalar(select(Flight).where(Flight.name == "Aurora Orbit 4"))
    assert flight.launch_at == flight.launch_at.replace(tzinfo=UTC)
    assert (flight.launch_at.hour, flight.launch_at.minute) == (19, 30)  # 15:30 EDT is 19:30 UTC
    assert (flight.price_minor, flight.deposit_minor, flight.deposit_nonrefundable_minor) == (45_000_000, 15_000_000, 2_500_050)
    page = client.get("/ops/flights").get_data(as_text=True)
    assert "Aurora Orbit 4" in page


def test_a_flight_described_in_german_reads_so_to_a_german_tourist(client, ops, make):
    data = {**FLIGHT, "description": "Three days in orbit.", "description_de": "Drei Tage im Orbit."}
    assert post_form(client, "/ops/flights/new", data, page="/ops/flights/new").status_code == 302
    flight = db.session.scalar(select(Flight).where(Flight.name == "Aurora Orbit 4"))
    assert flight.texts == {"de": {"description": "Drei Tage im Orbit."}}
    edit = client.get(f"/ops/flights/{flight.id}/edit").get_data(as_text=True)
    assert "Drei Tage im Orbit." in edit  # the form shows the translation to change it
    german, french = make.user(language="de"), make.user(language="fr")
    db.session.commit()
    for user, shown in ((german, "Drei Tage im Orbit."), (french, "Three days in orbit.")):
        reader = client.application.test_client()
        login(reader, user)
        assert shown in reader.get(f"/flights/{flight.id}").get_data(as_text=True)


@pytest.mark.parametrize("change, message", [
    ({"window_closes_at": "2031-03-13T15:30"}, "The launch window must close at least 5 minutes after it opens."),
    ({"deposit": "500000"}, "The deposit cannot be more than the price."),
    ({"deposit_nonrefundable": "160000"}, "The non-refundable part cannot be more than the deposit."),
    ({"seat_count": "0"}, "Between 1 and 100 seats."),
    ({"price": "-5"}, "Enter an amount of zero or more."),
    ({"price": "abc"}, "Not a valid decimal value"),
    ({"currency": "JPY", "price": "1000.5"}, "JPY amounts cannot have that many decimal places."),
    ({"launch_at": "tomorrow"}, "Not a valid datetime value."),
    ({"launch_at": ""}, "Enter the planned launch date and time."),
    ({"name": ""}, "This field is required."),
    ({"status": "exploded"}, "Not a valid choice"),
])
def test_flight_form_bad_input_says_why_and_saves_nothing(client, ops, change, message):
    response = post_form(client, "/ops/flights/new", {**FLIGHT, **change}, page="/ops/flights/new")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Flight.id))) == 0


def test_editing_cannot_drop_seats_below_those_taken(client, ops, make):
    flight = make.flight(seat_count=2)
    booking_service.hold_seat(flight.id, make.user())
    booking_service.hold_seat(flight.id, make.user())
    db.session.commit()
    response = post_form(client, f"/ops/flights/{flight.id}/edit", {**FLIGHT, "seat_count": "1"}, page=f"/ops/flights/{flight.id}/edit")
    assert response.status_code == 422
    assert "2 seats are sold or held" in response.get_data(as_text=True)
    db.session.refresh(flight)
    assert flight.seat_count == 2 and flight.name != "Aurora Orbit 4"


def test_adding_seats_offers_them_to_the_waiting_list(client, ops, make):
    flight = make.flight(seat_count=1)
    booking_service.hold_seat(flight.id, make.user())
    entry = booking_service.join_waitlist(flight.id, make.user())
    db.session.commit()
    response = post_form(client, f"/ops/flights/{flight.id}/edit", {**FLIGHT, "seat_count": "2"}, page=f"/ops/flights/{flight.id}/edit")
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.state is WaitlistState.OFFERED


def test_flight_page_shows_seats_and_bookings(client, ops, make):
    flight = make.flight(seat_count=3)
    held = booking_service.hold_seat(flight.id, make.user(name="Holly Held"))
    confirmed = booking_service.hold_seat(flight.id, make.user(name="Connie Confirmed"))
    from app.models import BookingState

    booking_service.transition(confirmed, BookingState.CONFIRMED)
    db.session.commit()
    html = client.get(f"/ops/flights/{flight.id}").get_data(as_text=True)
    assert "Holly Held" in html and "Connie Confirmed" in html and held.reference in html
    assert '<span class="stat-n">1</span> seat sold' in html and '<span class="stat-n">1</span> seat held' in html
    assert '<span class="stat-n">1</span> seat free' in html


def test_edit_form_shows_times_in_the_operators_timezone(client, ops, make):
    from datetime import datetime

    flight = make.flight(launch_at=datetime(2031, 1, 10, 20, 0, tzinfo=UTC))
    db.session.commit()
    html = client.get(f"/ops/flights/{flight.id}/edit").get_data(as_text=True)
    assert 'value="2031-01-10T15:00"' in html  # 20:00 UTC is 15:00 in New York in winter


def test_publishing_a_document_shows_a_preview_then_publishes(client, ops):
    response = post_form(client, "/ops/documents", {"kind": "waiver", "scope": "all", "default_language": "en",
                                                    "flight_id": "0"}, page="/ops/documents")
    assert response.status_code == 302
    document = db.session.scalars(select(Document)).one()
    assert document.kind is DocumentKind.WAIVER
    url = f"/ops/documents/{document.id}"
    english = "I waive my claims against the FAA and the other participants. " * 2
    texts = {"title_en": "Reciprocal waiver", "body_en": english, "title_de": "Gegenseitiger Verzicht",
             "body_de": "Ich verzichte auf meine Ansprüche."}  # a first version: no "material" to choose
    no_default = post_form(client, url, {"title_de": "Verzicht", "body_de": "Text", "material": "material"}, page=url)
    assert no_default.status_code == 422
    assert "Write the text in English, the document&#39;s default language." in no_default.get_data(as_text=True)
    preview = post_form(client, url, texts, page=url)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Publish version 1" in html and "Gegenseitiger Verzicht" in html
    assert db.session.scalar(select(func.count(DocumentVersion.id))) == 0, "a preview publishes nothing"
    published = post_form(client, url, {**texts, "confirmed": "yes"}, page=url)
    assert published.status_code == 302
    version = db.session.scalars(select(DocumentVersion)).one()
    assert version.published_by_id == ops.id and {t.language for t in version.texts} == {"en", "de"}
    assert version.text_in("de").body == "Ich verzichte auf meine Ansprüche."
    again = post_form(client, url, {**texts, "confirmed": "yes"}, page=url)
    assert again.status_code == 422 and "nothing to publish" in again.get_data(as_text=True)


def test_an_empty_answer_at_the_desk_is_refused_with_a_clear_message(client, ops, make):
    tourist = make.user()
    asked = desk.start(tourist, topic=Topic.BOOKING, subject="Camera", body="Can I bring my camera?")
    db.session.commit()
    url = f"/desk/{asked.id}/reply"
    empty = post_form(client, url, {"body": ""}, page=f"/desk/{asked.id}")
    assert empty.status_code == 422 and "This field is required." in empty.get_data(as_text=True)
    assert post_form(client, url, {"body": "Yes, a small one."}, page=f"/desk/{asked.id}").status_code == 302
    db.session.refresh(asked)
    assert [m.body for m in asked.messages] == ["Can I bring my camera?", "Yes, a small one."]


def test_operations_creates_staff_accounts(client, ops):
    response = post_form(client, "/ops/users", {"name": "Dr Mae", "email": "mae@example.com", "role": "medical", "password": "stethoscope-42", "language": "en", "timezone": "UTC"}, page="/ops/users")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "mae@example.com"))
    assert user.role is Role.MEDICAL
    bad = post_form(client, "/ops/users", {"name": "X", "email": "x@example.com", "role": "tourist", "password": "stethoscope-42", "language": "en", "timezone": "UTC"}, page="/ops/users")
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "x@example.com")) == 0


# -- implausible values, all at once ---------------------------------------------------------------

def test_an_implausible_flight_is_refused_with_every_error_at_its_field(client, ops):
    from datetime import datetime, timedelta

    from tests.fielderrors import field_error

    before = db.session.scalar(select(func.count(Flight.id)))
    yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(client, "/ops/flights/new", {
        **FLIGHT, "launch_at": yesterday, "window_closes_at": yesterday, "status": "scheduled",
        "price": "99999999999999", "deposit": "2000000000", "deposit_nonrefundable": "2000000000",
        "seat_count": "1000", "balance_due_days": "5000",
    }, page="/ops/flights/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot launch in the past" in field_error(page, "launch_at")
    assert "at least 5 minutes after it opens" in field_error(page, "window_closes_at")
    assert "This number is too large." in field_error(page, "price")
    assert "Enter at most 1,000,000,000 USD." in field_error(page, "deposit")
    assert "Enter at most 1,000,000,000 USD." in field_error(page, "deposit_nonrefundable")
    assert "Between 1 and 100 seats." in field_error(page, "seat_count")
    assert "Between 0 and 730 days." in field_error(page, "balance_due_days")
    assert db.session.scalar(select(func.count(Flight.id))) == before


def test_a_flight_in_year_9999_with_an_endless_window_is_refused(client, ops):
    from tests.fielderrors import field_error

    before = db.session.scalar(select(func.count(Flight.id)))
    response = post_form(client, "/ops/flights/new", {
        **FLIGHT, "launch_at": "9999-01-01T10:00", "window_closes_at": "9999-06-01T10:00",
        "price": "1000000001",
    }, page="/ops/flights/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most 20 years ahead" in field_error(page, "launch_at")
    assert "at most 14 days long" in field_error(page, "window_closes_at")
    assert "Enter at most 1,000,000,000 USD." in field_error(page, "price")
    assert db.session.scalar(select(func.count(Flight.id))) == before


def test_an_edit_cannot_move_a_scheduled_flight_into_the_past(client, ops, make):
    from datetime import timedelta

    from app.timeutil import now_utc
    from tests.fielderrors import field_error

    flight = make.flight()
    db.session.commit()
    launch = flight.launch_at
    past = (now_utc() - timedelta(days=2)).astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    response = post_form(client, f"/ops/flights/{flight.id}/edit", {
        **FLIGHT, "launch_at": past.strftime("%Y-%m-%dT%H:%M"),
        "window_closes_at": (past + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "status": "delayed",
    }, page=f"/ops/flights/{flight.id}/edit")
    assert response.status_code == 422
    assert "cannot launch in the past" in field_error(response.get_data(as_text=True), "launch_at")
    db.session.expire_all()
    assert db.session.get(Flight, flight.id).launch_at == launch
    # Flown in the past is what happened: allowed.
    response = post_form(client, f"/ops/flights/{flight.id}/edit", {
        **FLIGHT, "launch_at": past.strftime("%Y-%m-%dT%H:%M"),
        "window_closes_at": (past + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "status": "flown",
    }, page=f"/ops/flights/{flight.id}/edit")
    assert response.status_code == 302


def test_the_flight_service_refuses_a_past_scheduled_launch(app, make):
    from datetime import timedelta

    from app.booking import flights as flight_service
    from app.errors import ServiceError
    from app.models import FlightStatus
    from app.timeutil import now_utc

    launch = now_utc() - timedelta(hours=1)
    data = dict(name="X", vehicle="V", spaceport="S", description="", launch_at=launch, window_closes_at=launch,
                seat_count=4, price_minor=10**15, currency="USD", deposit_minor=0, deposit_nonrefundable_minor=0,
                balance_due_days=90, status=FlightStatus.SCHEDULED)
    with pytest.raises(ServiceError) as refused:
        flight_service.create_flight(data)
    assert {e.field for e in refused.value.errors} == {"launch_at", "window_closes_at", "price"}
