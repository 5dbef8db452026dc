from datetime import timedelta

from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import Acceptance, Booking, BookingState, FlightStatus, Role, WaitlistEntry
from app.timeutil import now_utc
from tests.conftest import login, post_form


def test_catalog_lists_upcoming_bookable_flights_with_seats_left(client, make):
    open_flight = make.flight(name="Dawn Patrol", seat_count=4)
    make.flight(name="Already Flown", status=FlightStatus.FLOWN)
    make.flight(name="In The Past", launch_at=now_utc() - timedelta(days=1))
    booking_service.hold_seat(open_flight.id, make.user())
    html = client.get("/flights").get_data(as_text=True)
    assert "Dawn Patrol" in html and "3 of 4" in html
    assert "Already Flown" not in html and "In The Past" not in html


def test_catalog_filters_by_spaceport_vehicle_month_and_availability(client, make):
    a = make.flight(name="Alpha", spaceport="Esrange", vehicle="Balloon", launch_at=now_utc().replace(day=1) + timedelta(days=400))
    make.flight(name="Bravo", spaceport="Spaceport America", vehicle="Spaceplane")
    full = make.flight(name="Charlie", spaceport="Esrange", vehicle="Balloon", seat_count=1)
    booking_service.hold_seat(full.id, make.user())
    html = client.get("/flights?spaceport=Esrange").get_data(as_text=True)
    assert "Alpha" in html and "Charlie" in html and "Bravo" not in html
    html = client.get("/flights?spaceport=Esrange&available=1").get_data(as_text=True)
    assert "Alpha" in html and "Charlie" not in html
    month = a.launch_at.strftime("%Y-%m")
    html = client.get(f"/flights?month={month}").get_data(as_text=True)
    assert "Alpha" in html and "Bravo" not in html
    html = client.get("/flights?month=never").get_data(as_text=True)
    assert "Enter a month as YYYY-MM." in html and "Bravo" in html


def test_htmx_filter_returns_only_the_results_fragment(client, make):
    make.flight(name="Alpha")
    full = client.get("/flights")
    fragment = client.get("/flights", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Alpha" in body and "result-count" in body
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]
    restore = client.get("/flights", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_hold_a_seat_then_sign_consent_then_journey(app, client, make):
    flight = make.flight(name="Kármán Dawn", seat_count=2)
    make.consent_document()
    tourist = make.user(name="Ada Lovelace")
    db.session.commit()
    login(client, tourist)
    response = post_form(client, f"/flights/{flight.id}/hold", page=f"/flights/{flight.id}")
    booking = db.session.scalar(select(Booking).where(Booking.user_id == tourist.id))
    assert booking.state is BookingState.HELD
    assert response.headers["Location"] == f"/bookings/{booking.reference}/consent"
    page = client.get(f"/bookings/{booking.reference}/consent", follow_redirects=True).get_data(as_text=True)
    assert "Known hazards include death and serious injury" in page
    journey = client.get("/journey").get_data(as_text=True)
    assert "Kármán Dawn" in journey and "Read the risk disclosure" in journey

    assert db.session.scalar(select(func.max(Acceptance.id))) is None  # no signature yet
    from app.documents.consent import current_document

    doc = current_document()
    url = f"/bookings/{booking.reference}/documents/{doc.document_id}"
    signed = post_form(client, url, {
        "version_id": doc.id, "language": "en", "read": "y", "not_certified": "y", "questions_answered": "y",
        "signed_name": "  ada   lovelace ",
    }, page=url, headers={"User-Agent": "TestBrowser/1.0"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert signed.status_code == 302
    signature = db.session.scalars(select(Acceptance)).one()
    assert (signature.version, signature.text_sha256) == (doc.version, doc.text_in("en").sha256)
    assert signature.ip_address == "203.0.113.9" and signature.user_agent == "TestBrowser/1.0"
    assert signature.signed_name == "ada lovelace"
    journey = client.get("/journey").get_data(as_text=True)
    assert f"Signed version {doc.version}" in journey
    assert "Your seat is held until" in journey
    # Operations see the version signed, by its number.
    ops = app.test_client()
    login(ops, make.user(Role.OPERATIONS))
    flight_page = ops.get(f"/ops/flights/{booking.flight_id}").get_data(as_text=True)
    assert f"Signed v{doc.version}<" in flight_page and "DocumentVersion" not in flight_page
    booking_page = ops.get(f"/ops/bookings/{booking.reference}").get_data(as_text=True)
    assert f"Consent signed: version {doc.version}." in booking_page


def test_sold_out_flight_offers_the_waiting_list(client, make):
    flight = make.flight(seat_count=1)
    booking_service.hold_seat(flight.id, make.user())
    tourist = make.user()
    db.session.commit()
    login(client, tourist)
    page = client.get(f"/flights/{flight.id}").get_data(as_text=True)
    assert "Join the waiting list" in page and "Hold a seat" not in page
    refused = post_form(client, f"/flights/{flight.id}/hold", page=f"/flights/{flight.id}")
    assert refused.status_code == 302
    assert "sold out" in client.get(f"/flights/{flight.id}").get_data(as_text=True)
    post_form(client, f"/flights/{flight.id}/waitlist", page=f"/flights/{flight.id}")
    assert db.session.scalar(select(func.count(WaitlistEntry.id)).where(WaitlistEntry.user_id == tourist.id)) == 1
    page = client.get(f"/flights/{flight.id}").get_data(as_text=True)
    assert "You are number 1 on the waiting list." in page
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.user_id == tourist.id)) == 0


def test_release_a_hold(client, make):
    flight = make.flight(seat_count=1)
    tourist = make.user()
    booking = booking_service.hold_seat(flight.id, tourist)
    db.session.commit()
    login(client, tourist)
    post_form(client, f"/bookings/{booking.reference}/release", page=f"/bookings/{booking.reference}")
    db.session.refresh(booking)
    assert booking.state is BookingState.CANCELLED
    again = post_form(client, f"/bookings/{booking.reference}/release", page=f"/bookings/{booking.reference}")
    assert again.status_code == 302
    assert "no longer held" in client.get(f"/bookings/{booking.reference}").get_data(as_text=True)


def test_a_tourist_cannot_see_or_touch_another_tourists_booking(client, make):
    flight = make.flight()
    owner, other = make.user(), make.user()
    booking = booking_service.hold_seat(flight.id, owner)
    document = make.consent_document().document_id
    db.session.commit()
    login(client, other)
    for path in (f"/bookings/{booking.reference}", f"/bookings/{booking.reference}/consent",
                 f"/bookings/{booking.reference}/documents/{document}"):
        assert client.get(path).status_code == 404
    for path in (f"/bookings/{booking.reference}/release", f"/bookings/{booking.reference}/documents/{document}",
                 f"/bookings/{booking.reference}/documents/{document}/questions"):
        assert post_form(client, path, {"question": "whose is this?"}, page="/journey").status_code == 404
    db.session.refresh(booking)
    assert booking.state is BookingState.HELD
    assert owner.name not in client.get("/journey").get_data(as_text=True)


def test_staff_cannot_book(client, make):
    flight = make.flight()
    medic = make.user(Role.MEDICAL)
    db.session.commit()
    login(client, medic)
    assert post_form(client, f"/flights/{flight.id}/hold", page=f"/flights/{flight.id}").status_code == 403
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_a_refused_hold_still_passes_a_lapsed_seat_to_the_waiting_list(client, make):
    flight = make.flight(seat_count=1)
    lapsed = booking_service.hold_seat(flight.id, make.user())
    entry = booking_service.join_waitlist(flight.id, make.user())
    lapsed.hold_expires_at = now_utc() - timedelta(seconds=1)
    latecomer = make.user()
    db.session.commit()
    login(client, latecomer)
    post_form(client, f"/flights/{flight.id}/hold", page=f"/flights/{flight.id}")
    db.session.expire_all()
    assert lapsed.state is BookingState.EXPIRED
    assert entry.state.value == "offered" and entry.booking.state is BookingState.HELD
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.user_id == latecomer.id)) == 0


def test_catalog_pages_through_many_flights(client, make):
    from app.booking.flights import CATALOG_PAGE_SIZE

    base = now_utc() + timedelta(days=30)
    for n in range(CATALOG_PAGE_SIZE + 3):
        make.flight(name=f"Flight {n:02d}", launch_at=base + timedelta(days=n))
    first = client.get("/flights").get_data(as_text=True)
    assert f"{CATALOG_PAGE_SIZE + 3} flights" in first and "Page 1 of 2" in first
    assert "Flight 00" in first and f"Flight {CATALOG_PAGE_SIZE:02d}" not in first
    second = client.get("/flights?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second and f"Flight {CATALOG_PAGE_SIZE:02d}" in second and "Flight 00" not in second
    assert "Earlier flights" in second and "Later flights" not in second
    beyond = client.get("/flights?page=99").get_data(as_text=True)
    assert "Flight 00" in beyond  # a page past the end shows the first
