"""After the flight: operations mark it flown with its actual times; each confirmed booking becomes
flown (told once, with the certificate and the survey), a hold still open is released, pending
reminders are dropped; the certificate names the tourist, the flight, the vehicle and the date;
the survey is answered once and operations read it per flight."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import (
    BookingState,
    Feedback,
    FlightOutcome,
    MessageStatus,
    OutboundMessage,
    Role,
)
from app.timeutil import now_utc
from tests.conftest import login, outbox, post_form


@pytest.fixture
def flown_world(app, make):
    ops = make.user(Role.OPERATIONS, name="Gene Kranz", timezone="UTC")
    ada = make.booking(make.user(name="Ada Lovelace"), days=40, vehicle="Spaceplane SV-2", name="Kármán Dawn")
    flight = ada.flight
    ben = booking_service.hold_seat(flight.id, make.user(name="Ben Held"))
    flight.launch_at = now_utc() - timedelta(hours=3)  # it launched this morning
    flight.window_closes_at = flight.launch_at + timedelta(hours=4)
    ben.hold_expires_at = now_utc() + timedelta(minutes=10)
    db.session.commit()
    return {"ops": ops, "flight": flight, "ada": ada, "ben": ben}


def _mark(app, w, lifted, landed):
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/flown"
    return client, post_form(client, url, {"lifted_off_at": lifted.strftime("%Y-%m-%dT%H:%M"),
                                           "landed_at": landed.strftime("%Y-%m-%dT%H:%M")}, page=url)


def test_marking_a_flight_flown_completes_every_booking_and_tells_each_tourist_once(app, flown_world):
    w = flown_world
    lifted = w["flight"].launch_at.replace(second=0, microsecond=0) + timedelta(minutes=12)
    client, response = _mark(app, w, lifted, lifted + timedelta(minutes=11))
    assert response.status_code == 302
    db.session.expire_all()
    flight = db.session.get(type(w["flight"]), w["flight"].id)
    assert flight.status.value == "flown"
    outcome = db.session.get(FlightOutcome, flight.id)
    assert outcome.lifted_off_at == lifted and outcome.landed_at == lifted + timedelta(minutes=11)
    ada, ben = (db.session.get(type(w["ada"]), b.id) for b in (w["ada"], w["ben"]))
    assert ada.state is BookingState.FLOWN and ben.state is BookingState.CANCELLED
    told = outbox(rule="flight_flown", user_id=ada.user_id)
    assert told and sorted({m.channel for m in told}) == sorted(m.channel for m in told)  # once per channel
    assert not outbox(rule="flight_flown", user_id=ben.user_id)
    # Nothing still waits to be sent about the flown booking.
    assert not db.session.query(OutboundMessage).filter(
        OutboundMessage.subject_type == "booking", OutboundMessage.subject_id == ada.id,
        OutboundMessage.status == MessageStatus.QUEUED, OutboundMessage.rule != "flight_flown").all()
    # The seat stays counted as sold on the flight's page.
    page = client.get(f"/ops/flights/{flight.id}").get_data(as_text=True)
    assert '<span class="stat-n">1</span> seat sold' in page


@pytest.mark.parametrize("lift, land, message", [
    (timedelta(hours=2), timedelta(hours=3), "The liftoff must have happened"),
    (timedelta(minutes=-30), timedelta(minutes=-40), "The landing comes after the liftoff"),
])
def test_impossible_times_are_refused_and_change_nothing(app, flown_world, lift, land, message):
    w = flown_world
    now = now_utc()
    _client, response = _mark(app, w, now + lift, now + land)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(w["ada"]), w["ada"].id).state is BookingState.CONFIRMED
    assert db.session.get(FlightOutcome, w["flight"].id) is None


def test_the_certificate_and_the_survey_of_a_flown_tourist(app, flown_world):
    w = flown_world
    lifted = w["flight"].launch_at.replace(second=0, microsecond=0)
    _mark(app, w, lifted, lifted + timedelta(minutes=10))
    tourist = app.test_client()
    login(tourist, w["ada"].user)
    ref = w["ada"].reference
    pdf = tourist.get(f"/bookings/{ref}/certificate.pdf")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    for expected in ("Certificate of spaceflight", "Ada Lovelace", "Kármán Dawn", "Spaceplane SV-2", ref,
                     f"{lifted.year}"):
        assert expected in text
    # Another tourist, or a booking not flown: nothing.
    other = app.test_client()
    login(other, w["ben"].user)
    assert other.get(f"/bookings/{ref}/certificate.pdf").status_code == 404
    assert other.get(f"/bookings/{w['ben'].reference}/feedback").status_code == 404
    # The survey, answered once.
    url = f"/bookings/{ref}/feedback"
    bad = post_form(tourist, url, {"overall": "9", "recommend": "10"}, page=url)
    assert bad.status_code == 422 and db.session.query(Feedback).count() == 0
    assert post_form(tourist, url, {"overall": "5", "recommend": "9", "best": "Seeing the curve of the Earth.",
                                    "improve": "More time at apogee."}, page=url).status_code == 302
    again = tourist.get(url).get_data(as_text=True)
    assert "Rating 5 of 5" in again and "Send my answers" not in again
    # Operations read it per flight.
    ops = app.test_client()
    login(ops, w["ops"])
    page = ops.get(f"/ops/flights/{w['flight'].id}/feedback").get_data(as_text=True)
    assert "1/1" in page and "Seeing the curve of the Earth." in page and "More time at apogee." in page
    assert '<span class="stat-n">100</span>' in page  # one promoter, no detractor
