"""The tourist's travel page and the coordinator's pages, as their users work them: details given
and refused with clear messages, the itinerary built (per tourist and flight-wide), every change
shown to the tourist and told at once, the day's arrivals, the journey's gate."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Arrival,
    EmergencyContact,
    ItineraryChange,
    Role,
    Segment,
    SegmentStatus,
    TravelAccess,
    TravelDocument,
    TravelProfile,
)
from app.travel import details, itinerary, status
from tests.conftest import login, outbox, post_form
from tests.core.test_queries import count_queries


def _local(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def trip(app, make):
    """A tourist (German) with a confirmed seat 40 days out; a coordinator."""
    tourist = make.user(language="de", timezone="Europe/Berlin", name="Grete Weber")
    booking = make.booking(tourist, days=40, name="Kármán Dawn", spaceport="Spaceport America, New Mexico")
    coordinator = make.user(Role.LOGISTICS, name="Valentina Rossi", timezone="America/Denver")
    db.session.commit()
    client, staff = app.test_client(), app.test_client()
    login(client, tourist)
    login(staff, coordinator)
    return booking, client, staff


def test_the_tourist_gives_arrival_contact_companion_needs_and_document(trip):
    booking, client, _staff = trip
    page = client.get("/travel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kármán Dawn" in html
    # A flight number that is not one, a landing after the launch: both said, nothing saved.
    launch = booking.flight.launch_at
    bad = post_form(client, f"/travel/bookings/{booking.reference}/arrival", {
        f"a{booking.id}-mode": "own", f"a{booking.id}-flight_number": "Lufthansa", f"a{booking.id}-airport": "ABQ",
        f"a{booking.id}-arrives_local": _local(launch + timedelta(days=1)), f"a{booking.id}-timezone": "America/Denver",
    }, page="/travel")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Eine Flugnummer" in text or "A flight number is" in text
    assert db.session.get(Arrival, booking.id) is None
    good = post_form(client, f"/travel/bookings/{booking.reference}/arrival", {
        f"a{booking.id}-mode": "own", f"a{booking.id}-flight_number": "aa 1528", f"a{booking.id}-airport": "ABQ",
        f"a{booking.id}-arrives_local": _local(launch - timedelta(days=3)), f"a{booking.id}-timezone": "America/Denver",
    }, page="/travel")
    assert good.status_code == 302
    arrival = db.session.get(Arrival, booking.id)
    assert arrival.flight_number == "AA 1528" and arrival.timezone == "America/Denver"

    bad_contact = post_form(client, "/travel/contacts", {"contact-name": "Hans", "contact-relation": "Bruder",
                                                          "contact-phone": "030 1234567"}, page="/travel")
    assert bad_contact.status_code == 422 and db.session.scalar(select(func.count(EmergencyContact.id))) == 0
    assert post_form(client, "/travel/contacts", {"contact-name": "Hans Weber", "contact-relation": "Bruder",
                                                   "contact-phone": "+49 30 1234567"}, page="/travel").status_code == 302
    assert db.session.scalars(select(EmergencyContact)).one().phone == "+49301234567"
    assert post_form(client, f"/travel/bookings/{booking.reference}/companions", {
        f"c{booking.id}-name": "Lena Weber", f"c{booking.id}-relation": "Tochter", f"c{booking.id}-age_band": "teen",
    }, page="/travel").status_code == 302
    assert post_form(client, "/travel/needs", {"dietary": "Vegetarisch", "accessibility": ""},
                     page="/travel").status_code == 302
    expired = post_form(client, "/travel/document", {
        "name_as_printed": "GRETE WEBER", "document_type": "passport", "number": "C01X00T47", "nationality": "DE",
        "issuing_country": "DE", "expires_on": "2020-01-01", "date_of_birth": "1985-06-01", "sex": "F"},
        page="/travel")
    assert expired.status_code == 422 and db.session.get(TravelDocument, booking.user_id) is None
    # Valid today, but it runs out before the return: saved, and flagged.
    soon = (launch + timedelta(days=1)).date()
    assert post_form(client, "/travel/document", {
        "name_as_printed": "GRETE WEBER", "document_type": "passport", "number": "c01x 00t47", "nationality": "DE",
        "issuing_country": "DE", "expires_on": soon.isoformat(), "date_of_birth": "1985-06-01", "sex": "F"},
        page="/travel").status_code == 302
    assert db.session.get(TravelDocument, booking.user_id).number == "C01X00T47"
    mine = status.status_of(booking)
    assert mine.arrival_given and mine.contact_given and not mine.document_valid
    html = client.get("/travel").get_data(as_text=True)
    assert "Lena Weber" in html and "Hans Weber" in html
    assert [m.value for m in mine.tourist_missing] == ["document_expires"]
    journey = client.get("/journey").get_data(as_text=True)
    assert "Reise bestätigt" in journey or "Travel confirmed" in journey


def test_declining_a_contact_is_recorded_and_a_contact_replaces_it(trip):
    booking, client, _staff = trip
    assert post_form(client, "/travel/contacts/decline", page="/travel").status_code == 302
    profile = db.session.get(TravelProfile, booking.user_id)
    assert profile.contacts_declined_at is not None
    assert status.status_of(booking).contact_given
    post_form(client, "/travel/contacts", {"contact-name": "Hans Weber", "contact-relation": "Bruder",
                                            "contact-phone": "+49 30 1234567"}, page="/travel")
    db.session.refresh(profile)
    assert profile.contacts_declined_at is None
    # With a contact on file, declining is refused (remove it first).
    post_form(client, "/travel/contacts/decline", page="/travel")
    db.session.refresh(profile)
    assert profile.contacts_declined_at is None


def test_the_coordinator_builds_the_itinerary_and_the_tourist_sees_every_change(trip, make):
    booking, client, staff = trip
    launch = booking.flight.launch_at
    url = f"/logistics/bookings/{booking.reference}"
    assert staff.get(url).status_code == 200
    missing_end = post_form(staff, url + "/segments", {
        "kind": "hotel", "status": "pending", "title": "Hotel Andaluz", "address": "125 2nd St NW, Albuquerque",
        "starts_local": _local(launch - timedelta(days=2)), "start_timezone": "America/Denver"}, page=url)
    assert missing_end.status_code == 422 and "check-out" in missing_end.get_data(as_text=True)
    assert post_form(staff, url + "/segments", {
        "kind": "hotel", "status": "pending", "title": "Hotel Andaluz", "address": "125 2nd St NW, Albuquerque",
        "starts_local": _local(launch - timedelta(days=2)), "start_timezone": "America/Denver",
        "ends_local": _local(launch + timedelta(days=1)), "end_timezone": "America/Denver",
        "confirmation_code": "HA-77"}, page=url).status_code == 302
    segment = db.session.scalars(select(Segment)).one()
    told = outbox(rule="itinerary_changed", subject_id=booking.id)
    assert told, "the tourist is told at once"
    edit = f"/logistics/segments/{segment.id}"
    form = staff.get(edit).get_data(as_text=True)
    assert "Hotel Andaluz" in form
    assert post_form(staff, edit, {
        "kind": "hotel", "status": "confirmed", "title": "Hotel Andaluz", "address": "125 2nd St NW, Albuquerque",
        "starts_local": _local(launch - timedelta(days=2)), "start_timezone": "America/Denver",
        "ends_local": _local(launch + timedelta(days=1)), "end_timezone": "America/Denver",
        "confirmation_code": "HA-78"}, page=edit).status_code == 302
    change = db.session.scalars(select(ItineraryChange).order_by(ItineraryChange.id.desc())).first()
    assert change.kind == "changed" and set(change.fields) == {"status", "confirmation_code"}
    assert len(outbox(rule="itinerary_changed", subject_id=booking.id)) > len(told)
    page = client.get("/travel").get_data(as_text=True)
    assert "Hotel Andaluz" in page and "HA-78" in page


def test_a_flight_wide_segment_reaches_everyone_and_stays_editable_per_tourist(trip, make):
    booking, _client, staff = trip
    from app.booking import bookings as booking_service
    from app.models import BookingState
    other = booking_service.hold_seat(booking.flight_id, make.user())
    booking_service.transition(other, BookingState.CONFIRMED)
    db.session.commit()
    launch = booking.flight.launch_at
    url = f"/logistics/flights/{booking.flight_id}"
    transfer = {"kind": "transfer", "status": "confirmed", "from_place": "Hotel Andaluz lobby",
                "to_place": "Spaceport America", "vehicle": "Coach", "phone": "+1 505 555 0100",
                "starts_local": _local(launch - timedelta(hours=5)), "start_timezone": "America/Denver"}
    assert post_form(staff, url + "/templates", transfer, page=url).status_code == 302
    segments = db.session.scalars(select(Segment).order_by(Segment.booking_id)).all()
    assert [s.booking_id for s in segments] == [booking.id, other.id]
    # One tourist's pick-up moves: theirs only, and the template no longer changes it.
    mine = segments[0]
    edit = f"/logistics/segments/{mine.id}"
    assert post_form(staff, edit, {**transfer, "from_place": "Airport arrivals hall"}, page=edit).status_code == 302
    template_id = segments[1].template_id
    edit_template = f"/logistics/templates/{template_id}"
    assert post_form(staff, edit_template, {**transfer, "vehicle": "Minibus"}, page=edit_template).status_code == 302
    db.session.expire_all()
    mine, theirs = db.session.scalars(select(Segment).order_by(Segment.booking_id)).all()
    assert mine.customised and mine.from_place == "Airport arrivals hall" and mine.vehicle == "Coach"
    assert not theirs.customised and theirs.vehicle == "Minibus"
    # A tourist who books later gets it too.
    late = booking_service.hold_seat(booking.flight_id, make.user())
    booking_service.transition(late, BookingState.CONFIRMED)
    assert [s.vehicle for s in itinerary.segments_of([late.id])[late.id]] == ["Minibus"]


def test_the_day_shows_arrivals_with_their_pickup_and_what_is_missing(trip, make):
    booking, _client, staff = trip
    launch = booking.flight.launch_at
    landing = launch - timedelta(days=3)
    coordinator_day = landing.astimezone(ZoneInfo("America/Denver")).date()
    itinerary.add_segment(booking, itinerary.SegmentData(
        kind="flight", status="confirmed", carrier="American", number="AA 1528", from_place="DFW", to_place="ABQ",
        starts_local=(landing - timedelta(hours=2)).replace(tzinfo=None), start_timezone="UTC",
        ends_local=landing.replace(tzinfo=None), end_timezone="UTC"), make.user(Role.LOGISTICS))
    itinerary.add_segment(booking, itinerary.SegmentData(
        kind="transfer", status="pending", from_place="ABQ arrivals", vehicle="Van",
        starts_local=(landing + timedelta(minutes=30)).replace(tzinfo=None), start_timezone="UTC"),
        make.user(Role.LOGISTICS))
    db.session.commit()
    page = staff.get(f"/logistics?day={coordinator_day.isoformat()}").get_data(as_text=True)
    assert "Grete Weber" in page and "AA 1528" in page and "ABQ arrivals" in page
    assert "1 arrival" in page
    # She has given nothing yet: listed under what tourists still owe, her medical status a status only.
    assert "Arrival details" in page and "Not yet cleared" in page
    other_day = staff.get(f"/logistics?day={(coordinator_day + timedelta(days=5)).isoformat()}").get_data(as_text=True)
    assert "0 arrivals" in other_day


def test_reads_of_travel_data_are_logged_and_pages_do_not_grow(trip, make):
    booking, client, staff = trip
    make.travel(booking)
    db.session.commit()
    before = db.session.scalar(select(func.count(TravelAccess.id)))
    assert staff.get(f"/logistics/bookings/{booking.reference}").status_code == 200
    row = db.session.scalars(select(TravelAccess).order_by(TravelAccess.id.desc())).first()
    assert row.subject_id == booking.user_id and row.action == "view" and row.actor_id != booking.user_id
    assert db.session.scalar(select(func.count(TravelAccess.id))) == before + 1

    pages = [(client, "/travel"), (staff, "/logistics"), (staff, f"/logistics/flights/{booking.flight_id}"),
             (staff, "/logistics/flights"), (staff, f"/logistics/bookings/{booking.reference}")]

    def measure():
        counts = {}
        for who, path in pages:
            with count_queries() as queries:
                assert who.get(path).status_code == 200
            counts[path] = len(queries)
        return counts

    small = measure()
    from app.booking import bookings as booking_service
    from app.models import BookingState
    for _ in range(4):
        other = booking_service.hold_seat(booking.flight_id, make.user())
        booking_service.transition(other, BookingState.CONFIRMED)
        make.travel(other, confirmed=False)
    make.travel(make.booking(booking.user, days=60))  # the tourist's second trip
    db.session.commit()
    assert measure() == small
    assert db.session.scalar(select(func.count(Segment.id)).where(Segment.status == SegmentStatus.PENDING)) == 4


def test_a_tourist_with_connecting_flights_and_their_own_arrival_arrives_once(trip, make):
    booking, _client, _staff = trip
    from zoneinfo import ZoneInfo

    from app.travel import day, details
    launch = booking.flight.launch_at
    landing = (launch - timedelta(days=3)).replace(hour=18, minute=0)
    coordinator = make.user(Role.LOGISTICS)
    for number, departs, lands in (("LH 400", landing - timedelta(hours=14), landing - timedelta(hours=5)),
                                   ("UA 1528", landing - timedelta(hours=3), landing)):
        itinerary.add_segment(booking, itinerary.SegmentData(
            kind="flight", status="confirmed", carrier="Air", number=number, from_place="A", to_place="B",
            starts_local=departs.replace(tzinfo=None), start_timezone="UTC", ends_local=lands.replace(tzinfo=None),
            end_timezone="UTC"), coordinator)
    details.save_arrival(booking, details.ArrivalData(mode="own", flight_number="U2 1", airport="B",
                                                      arrives_local=landing.replace(tzinfo=None), timezone="UTC"))
    start = landing.replace(hour=0)
    arrivals, departures = day.movements(start - timedelta(days=1), start + timedelta(days=1))
    assert [(a.booking_id, a.flight_number, a.at) for a in arrivals] == [(booking.id, "UA 1528", landing)]
    assert day.arrival_days(start - timedelta(days=1), "UTC") == [(landing.date(), 1)]
    assert departures == [] and ZoneInfo("UTC")


def test_the_days_lists_with_rows_in_each_cost_the_same_statements_at_two_sizes(trip, make):
    """Every list of the day has rows (arrivals with their pick-up, departures, what tourists owe,
    segments to confirm): the rows read only what the lists load, so more rows cost no statement."""
    from app.booking import bookings as booking_service
    from app.models import BookingState

    _booking, _client, staff = trip
    coordinator = make.user(Role.LOGISTICS)
    flight = make.booking(days=30).flight
    launch = flight.launch_at = flight.launch_at.replace(hour=18, minute=0, second=0, microsecond=0)
    lands, leaves = launch - timedelta(days=2), launch + timedelta(days=2)
    inbound = itinerary.SegmentData(kind="flight", status="pending", carrier="Air", number="AB 1", from_place="FRA",
                                    to_place="ABQ", starts_local=(lands - timedelta(hours=9)).replace(tzinfo=None),
                                    start_timezone="UTC", ends_local=lands.replace(tzinfo=None), end_timezone="UTC")
    outbound = itinerary.SegmentData(**{**vars(inbound), "from_place": "ABQ", "to_place": "FRA",
                                        "starts_local": leaves.replace(tzinfo=None),
                                        "ends_local": (leaves + timedelta(hours=9)).replace(tzinfo=None)})
    pickup = itinerary.SegmentData(kind="transfer", status="pending", from_place="ABQ", vehicle="Van",
                                   starts_local=(lands + timedelta(hours=1)).replace(tzinfo=None), start_timezone="UTC")

    def tourists(count):
        for _ in range(count):
            booking = booking_service.hold_seat(flight.id, make.user())
            booking_service.transition(booking, BookingState.CONFIRMED)
            for segment in (inbound, pickup, outbound):
                itinerary.add_segment(booking, segment, coordinator)
        db.session.commit()

    pages = [f"/logistics?day={lands.date().isoformat()}", f"/logistics?day={leaves.date().isoformat()}",
             f"/logistics?day={lands.date().isoformat()}&flight={flight.id}"]

    def measure():
        counts = {}
        for path in pages:
            with count_queries() as queries:
                page = staff.get(path).get_data(as_text=True)
            counts[path] = len(queries)
            assert "AB 1" in page, path
        return counts

    tourists(1)
    small = measure()
    tourists(3)
    page = staff.get(pages[0]).get_data(as_text=True)
    assert page.count('class="arrival"') == 4 and page.count('class="missing"') >= 4
    assert page.count('class="unconfirmed"') >= 12
    assert staff.get(pages[1]).get_data(as_text=True).count("<td>AB 1 · ABQ</td>") == 4  # the departures
    assert measure() == small


def test_every_form_on_the_travel_page_carries_the_pages_token(trip, make):
    """The page writes each form's hidden token field itself (as WTForms writes it): each must be
    the session's token, as the one htmx sends (in the body's headers) is."""
    import re

    booking, client, _staff = trip
    make.booking(booking.user, days=60)  # two trips: two arrival and two companion forms
    db.session.commit()
    html = client.get("/travel").get_data(as_text=True)
    head = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    fields = re.findall(r'<input name="([\w-]*csrf_token)" type="hidden" value="([^"]+)">', html)
    names = {name for name, _token in fields}
    assert {f"a{booking.id}-csrf_token", f"c{booking.id}-csrf_token", "contact-csrf_token", "csrf_token"} <= names
    assert len(fields) >= 8 and {token for _name, token in fields} == {head}


def test_the_tourists_page_reads_in_few_statements(trip, make):
    """The user, their document, profile and contacts, their bookings with arrivals and segments
    (and whether each has companions and changes), the access log's row; the companions and the
    changes only when some booking has any."""
    booking, client, _staff = trip
    make.booking(booking.user, days=60)
    db.session.commit()

    def statements():
        with count_queries() as queries:
            assert client.get("/travel").status_code == 200
        return len(queries)

    assert statements() == 4
    details.add_companion(booking, details.CompanionData("Ann", "wife", "adult", ""))
    db.session.commit()
    assert statements() == 5
    make.travel(booking)  # an itinerary, with its changes
    db.session.commit()
    assert statements() == 6
