"""Launch day: operations post updates; every tourist with a seat is told by SMS and in the app,
once; the journey shows a live countdown and the latest update, refreshed from an endpoint that
the read-only launch page (for families, no account, no personal data) polls too."""

import re

import pytest

from app.booking import bookings as booking_service
from app.extensions import db
from app.flightops import updates
from app.models import BookingState, Channel, LaunchUpdate, Role
from tests.conftest import login, outbox, post_form
from tests.core.test_queries import count_queries


@pytest.fixture
def launch_world(app, make):
    ops = make.user(Role.OPERATIONS, name="Gene Kranz")
    ada = make.booking(make.user(name="Ada Lovelace", phone="+12025550123"), days=2)
    flight = ada.flight
    ben = booking_service.hold_seat(flight.id, make.user(name="Ben Bold"))
    booking_service.transition(ben, BookingState.CONFIRMED)
    db.session.commit()
    return {"ops": ops, "flight": flight, "ada": ada, "ben": ben}


def _post(app, w, kind, message):
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/launch"
    return client, post_form(client, url, {"kind": kind, "message": message}, page=url)


def test_an_update_reaches_every_seated_tourist_once_by_sms_and_in_the_app(app, launch_world):
    w = launch_world
    _client, response = _post(app, w, "hold", "Holding at T-10 minutes for upper-level winds.")
    assert response.status_code == 302
    update = db.session.query(LaunchUpdate).one()
    assert (update.kind.value, update.actor_id) == ("hold", w["ops"].id)
    ada_told = outbox(rule="launch_update", user_id=w["ada"].user_id)
    assert sorted(m.channel.value for m in ada_told) == ["in_app", "sms"]  # no email: it is happening now
    assert {m.channel for m in outbox(rule="launch_update", user_id=w["ben"].user_id)} == {Channel.IN_APP}  # no phone
    with app.test_request_context():  # told once, however often it is asked
        from app.messaging import reminders

        assert reminders.notify("launch_update", w["ada"], occurrence=f"update-{update.id}",
                                context={"update_id": update.id}) == []


def test_an_update_needs_a_message_and_fits_an_sms(app, launch_world):
    _client, response = _post(app, launch_world, "weather", "   ")
    assert response.status_code == 422 and "Write what is happening" in response.get_data(as_text=True)
    _client, response = _post(app, launch_world, "weather", "x" * 281)
    assert response.status_code == 422
    assert db.session.query(LaunchUpdate).count() == 0
    # The same update posted twice (a double click): sent once.
    _post(app, launch_world, "weather", "Winds easing.")
    _client, again = _post(app, launch_world, "weather", "Winds easing.")
    assert again.status_code == 422 and "not sent twice" in again.get_data(as_text=True)
    assert db.session.query(LaunchUpdate).count() == 1


def test_the_journey_and_the_launch_page_show_the_countdown_and_the_latest_update(app, launch_world):
    w = launch_world
    _post(app, w, "weather", "Winds easing; the go/no-go poll is at 14:40.")
    tourist = app.test_client()
    login(tourist, w["ada"].user)
    journey = tourist.get("/journey").get_data(as_text=True)
    assert "Launch day: " + w["flight"].name in journey
    clock = r'<time data-countdown datetime="[^"]+" class="countdown-clock">T-[12] d \d\d:\d\d:\d\d</time>'
    assert re.search(clock, journey)
    assert "Winds easing; the go/no-go poll is at 14:40." in journey
    live_url = re.search(r'data-hx-get="(/launch/[^"]+/live)"', journey).group(1)
    share = re.search(r'href="(http[^"]+/launch/[^"/]+)"', journey).group(1)
    # The family's page: no account, no personal data, the same timeline.
    family = app.test_client()
    page = family.get(share[share.index("/launch/"):])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Winds easing" in html
    for personal in ("Ada Lovelace", "Ben Bold", w["ada"].reference, w["ada"].user.email, "Log out"):
        assert personal not in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    # A later update shows on the next poll, without a reload of the page.
    _post(app, w, "go_no_go", "All stations go.")
    fragment = family.get(live_url).get_data(as_text=True)
    assert fragment.lstrip().startswith("<section") and "All stations go." in fragment


def test_a_made_up_or_replaced_address_opens_nothing(app, launch_world):
    w = launch_world
    with app.test_request_context():
        token = updates.link_token(w["flight"])
    client = app.test_client()
    assert client.get(f"/launch/{token}").status_code == 200
    assert client.get(f"/launch/{w['flight'].id}-AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/launch/not-a-token").status_code == 404
    assert client.get(f"/launch/{w['flight'].id}-é").status_code == 404  # not ASCII: refused, not a 500
    ops, _response = _post(app, w, "other", "Doors open at 06:00.")
    url = f"/ops/flights/{w['flight'].id}/launch"
    post_form(ops, f"{url}/link", {}, page=url)
    assert client.get(f"/launch/{token}").status_code == 404  # the old address
    assert client.get(f"/launch/{token}/live").status_code == 404


def test_the_live_endpoint_costs_two_queries(app, launch_world):
    w = launch_world
    with app.test_request_context():
        token = updates.link_token(w["flight"])
    client = app.test_client()
    client.get(f"/launch/{token}/live")
    with count_queries() as statements:
        assert client.get(f"/launch/{token}/live").status_code == 200
    assert len(statements) == 2  # the flight (and its link's generation), its updates


def test_companions_with_a_number_get_each_update_and_a_move_by_sms_once(app, make, launch_world):
    from datetime import timedelta

    from app.booking import flights as flight_service
    from app.models import OutboundMessage, SlipCause
    from app.travel import details

    w = launch_world
    with app.test_request_context():
        kim = details.add_companion(w["ada"], details.CompanionData("Kim Rivers", "daughter", "adult",
                                                                    "+1 505 555 0100"))
        details.add_companion(w["ada"], details.CompanionData("Lou Rivers", "son", "teen", ""))  # no number
    db.session.commit()
    assert kim.phone == "+15055550100"
    _post(app, w, "boarding", "")
    [sms] = db.session.query(OutboundMessage).filter_by(kind="companion_launch_update").all()
    assert sms.recipient == "+15055550100" and sms.user_id is None
    assert sms.body.startswith("Countdown: ") and "Boarding" in sms.body and "/launch/" in sms.body
    assert "Ada" not in sms.body  # a launch update names nobody
    flight = w["flight"]
    with app.test_request_context():
        moved = flight_service.move_launch(flight, flight.launch_at + timedelta(days=1),
                                           flight.window_closes_at + timedelta(days=1), SlipCause.WEATHER, "", w["ops"])
        assert any("1 companion coming to the launch is told by SMS." == i.text for i in moved.impacts)
        # Asked again for the same move, nobody is told twice.
        from app.travel import companions

        assert companions.tell(flight, "companion_launch_moved", f"moved-{flight.launch_at.isoformat()}",
                               lambda b: {"flight": flight, "previous_launch_at": moved.previous_launch_at}) == 0
    [moved_sms] = db.session.query(OutboundMessage).filter_by(kind="companion_launch_moved").all()
    assert "which Ada Lovelace flies on, now launches" in moved_sms.body
