"""Moving a launch (a slip): the impact report shows exactly what the move changes and keeps
nothing; confirmed, the move is one transaction after which every domain agrees with the new date,
no reminder is left on the old one, and everyone with a seat is told once."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.extensions import db
from app.messaging import reminders
from app.models import (
    Attendance,
    BookingState,
    CaseState,
    Channel,
    FlightEvent,
    MessageStatus,
    OutboundMessage,
    Payment,
    Result,
    Role,
    Segment,
    SlipCause,
)
from app.payments import installments
from app.timeutil import now_utc
from app.training import places, signoff
from tests.conftest import login, outbox, post_form
from tests.medical.test_medical import GOOD


@pytest.fixture
def slip_world(app, make):
    """A flight 35 days out (balance due 20 days before) on which Ada holds a confirmed seat with:
    a training pass that ends on day 36, a medical clearance valid through day 36, the balance
    planned as one payment, and a hotel over the launch; Ben holds a seat with nothing else."""
    ops = make.user(Role.OPERATIONS, name="Gene Kranz", timezone="UTC")
    medic = make.user(Role.MEDICAL)
    t = make.training(validity_days=26, days_ahead=10)
    ada = make.booking(make.user(name="Ada Lovelace"), days=35, balance_due_days=20, name="Kármán Dawn")
    flight = ada.flight
    flight.launch_at = flight.launch_at.replace(second=0, microsecond=0)  # as a form gives it
    ben = booking_service.hold_seat(flight.id, make.user(name="Ben Bold"))
    booking_service.transition(ben, BookingState.CONFIRMED)
    place = places.book_place(t.classroom_session.id, ada, ada.user)
    signoff.mark(place, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED,
                 now=t.classroom_session.ends_at)
    launch_day = flight.launch_at.date()
    make.medical_case(ada.user, make.questionnaire(), medic=medic, assessment=GOOD, decision=CaseState.CLEARED,
                      valid_days=(launch_day - now_utc().date()).days + 1)
    installments.plan_balance(ada, ada.user, 1)
    make.travel(ada)
    reminders.sync(flight)
    db.session.commit()
    return {"ops": ops, "flight": flight, "ada": ada, "ben": ben, "t": t}


def _form(flight, days: int, **kw) -> dict:
    new = flight.launch_at + timedelta(days=days)
    return {"launch_at": new.strftime("%Y-%m-%dT%H:%M"), "window_closes_at": "", "cause": "weather",
            "note": "High winds at altitude all week.", **kw}


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _counts() -> tuple:
    return (db.session.scalar(select(func.count(OutboundMessage.id))),
            db.session.scalar(select(func.count(FlightEvent.id))),
            tuple(db.session.scalars(select(Payment.due_at).order_by(Payment.id))),
            tuple(db.session.scalars(select(Segment.flag).order_by(Segment.id))))


def test_a_three_day_slip_previews_its_impact_then_moves_every_domain_at_once(app, slip_world):
    w = slip_world
    flight, ada, ben = w["flight"], w["ada"], w["ben"]
    old_launch, ada_name, ada_ref = flight.launch_at, ada.user.name, ada.reference
    flight_id = flight.id
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{flight_id}/move"
    before = _counts()

    # The preview: the report says exactly what changes, and nothing is kept.
    page = post_form(client, url, {**_form(flight, 3), "step": "preview"}, page=url)
    assert page.status_code == 200
    report = _text(page.get_data(as_text=True))
    report = report[report.index("What this move changes"):report.index("Confirm the move")]
    assert _counts() == before
    payments = report[report.index("Payments and deadlines"):report.index("Training")]
    assert "The balance is now due by" in payments
    assert f"{ada_name} ({ada_ref}): Balance of $450,000.00 now due" in payments
    assert payments.count("(was") == 2  # the balance's deadline and Ada's payment, nothing else
    training = report[report.index("Training"):report.index("Medical clearances")]
    assert "Every training deadline moves by 3 days, with the launch." in training
    assert re.search(rf"{ada_name} \({ada_ref}\): the pass of Emergencies \d+ ends on .*, before the new launch",
                     training)
    medical = report[report.index("Medical clearances"):report.index("Itineraries")]
    assert medical.count(ada_ref) == 1 and "the medical clearance ends on" in medical and "Ben" not in medical
    travel = report[report.index("Itineraries"):report.index("Reminders and notices")]
    assert f"{ada_name} ({ada_ref}): Hotel: Hotel Andaluz" in travel
    assert "this stay no longer covers the launch" in travel and travel.count("(CD-") == 1
    assert "2 tourists holding a seat are told at once, on every channel." in report
    moving = re.search(r"(\d+) reminders? still to send moves? with the launch", report)
    assert moving and int(moving.group(1)) >= 1

    # Confirmed: one transaction moves everything.
    response = post_form(client, url, {**_form(flight, 3), "step": "confirm"}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    flight = db.session.get(type(flight), flight_id)
    assert flight.launch_at == old_launch + timedelta(days=3) and flight.status.value == "delayed"
    [event] = db.session.scalars(select(FlightEvent).where(FlightEvent.flight_id == flight_id)).all()
    assert (event.previous_launch_at, event.launch_at, event.cause) == (old_launch, flight.launch_at, "weather")
    assert event.reason == "High winds at altitude all week." and event.actor_id == w["ops"].id
    # Every domain agrees with the new date: a re-plan finds nothing left to move.
    with app.test_request_context():
        assert reminders.sync(flight) == reminders.Synced(moved=0, dropped_past=0)
    balance = db.session.scalar(select(Payment).where(Payment.booking_id == ada.id, Payment.kind == "balance"))
    # Due by the new balance date (20 days before the launch), at the charge hour of the tourist's
    # day: the day before when that hour would come after the deadline (a launch early in the day).
    due_by = flight.launch_at - timedelta(days=20)
    assert due_by - timedelta(days=1) < balance.due_at <= due_by
    assert balance.due_at == installments.final_due_at(ada)
    hotel = db.session.scalar(select(Segment).where(Segment.booking_id == ada.id))
    assert hotel.flag == "no_longer_spans"
    # Each tourist told once per channel, with the cause and the note.
    for booking in (ada, ben):
        told = outbox(rule="flight_delayed", user_id=booking.user_id)
        assert sorted(m.channel for m in told) == sorted(set(m.channel for m in told))
        email = next(m for m in told if m.channel is Channel.EMAIL)
        assert email.context["cause"] == "weather" and email.context["note"] == "High winds at altitude all week."
    # The flight's page keeps the move in its history.
    page = _text(client.get(f"/ops/flights/{flight_id}").get_data(as_text=True))
    assert "Schedule history" in page and "Weather" in page and "by Gene Kranz" in page


def test_a_reminder_moved_into_the_past_is_dropped_with_its_reason(app, make):
    ops = make.user(Role.OPERATIONS, timezone="UTC")
    booking = make.booking(days=40, balance_due_days=20)
    [payment] = installments.plan_balance(booking, booking.user, 1).payments
    reminders.sync(booking.flight)
    # The "due in 7 days" reminder of the balance (due on day 20) waits for day 13.
    week = next(m for m in outbox(status=MessageStatus.QUEUED)
                if m.subject_type == "payment" and m.send_at.date() == (payment.due_at - timedelta(days=7)).date())
    flight = booking.flight
    with app.test_request_context():
        moved = flight_service.move_launch(flight, flight.launch_at - timedelta(days=15),
                                           flight.window_closes_at - timedelta(days=15), SlipCause.TECHNICAL, "", ops)
    db.session.refresh(week)
    assert week.status is MessageStatus.DROPPED and week.note == reminders.MOVED_INTO_PAST
    assert moved.reminders.dropped_past >= 1


@pytest.mark.parametrize("days, message", [
    (0, "This is the launch as planned"), (-400, "The new launch must be in the future"),
])
def test_a_move_must_change_the_launch_and_stay_ahead(app, slip_world, days, message):
    w = slip_world
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/move"
    before = _counts()
    page = post_form(client, url, {**_form(w["flight"], days), "step": "confirm"}, page=url)
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert _counts() == before


def test_a_scrub_with_its_next_attempt_shows_at_once_everywhere_and_keeps_every_attempt(app, slip_world):
    w = slip_world
    flight, ada = w["flight"], w["ada"]
    flight_id, first = flight.id, flight.launch_at
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{flight_id}/scrub"
    second = first + timedelta(days=1)
    response = post_form(client, url, {"next_attempt_at": second.strftime("%Y-%m-%dT%H:%M"), "cause": "weather",
                                       "note": "Upper-level winds."}, page=url)
    assert response.status_code == 302
    third = second + timedelta(hours=4)
    post_form(client, url, {"next_attempt_at": third.strftime("%Y-%m-%dT%H:%M"), "cause": "technical", "note": ""},
              page=url)
    db.session.expire_all()
    flight = db.session.get(type(flight), flight_id)
    assert flight.status.value == "scrubbed" and flight.launch_at == third
    events = db.session.scalars(select(FlightEvent).where(FlightEvent.flight_id == flight_id)
                                .order_by(FlightEvent.id)).all()
    assert [(e.kind, e.previous_launch_at, e.launch_at, e.cause) for e in events] == [
        ("scrubbed", first, second, "weather"), ("scrubbed", second, third, "technical")]
    # Each scrub told each tourist at once, once per channel.
    emails = outbox(rule="flight_scrubbed", user_id=ada.user_id, channel=Channel.EMAIL)
    assert len(emails) == 2 and "Upper-level winds." in emails[0].body
    assert "The next attempt is planned for" in emails[0].body
    # The journey, the booking page and the catalog say so.
    tourist = app.test_client()
    login(tourist, ada.user)
    for page in ("/journey", f"/bookings/{ada.reference}"):
        text = _text(tourist.get(page).get_data(as_text=True))
        assert "was scrubbed; the next attempt is planned for" in text and "Reason: A technical matter." in text
    catalog = _text(tourist.get("/flights").get_data(as_text=True))
    card = catalog[catalog.index("Kármán Dawn"):][:300]
    assert "Scrubbed" in card
    # Operations see every attempt in the flight's history.
    history = _text(client.get(f"/ops/flights/{flight_id}").get_data(as_text=True))
    assert history.count("Scrubbed launch moved from") == 2


def test_a_scrub_without_a_next_attempt_says_a_new_time_will_follow(app, slip_world):
    w = slip_world
    client = app.test_client()
    login(client, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/scrub"
    assert post_form(client, url, {"next_attempt_at": "", "cause": "range", "note": ""}, page=url).status_code == 302
    # Scrubbed again without a new time (a second click): refused, nobody told twice.
    again = post_form(client, url, {"next_attempt_at": "", "cause": "range", "note": ""}, page=url)
    assert again.status_code == 422 and "scrubbed already" in again.get_data(as_text=True)
    [sms] = outbox(rule="flight_scrubbed", user_id=w["ada"].user_id, channel=Channel.IN_APP)  # the SMS text
    assert "a new time follows" in sms.body and "Reason: The launch range is not available." in sms.body


def _paid_seat(make, flight, name):
    """A tourist who signed the consent and paid the deposit in the sandbox: a confirmed seat."""
    from app.documents import consent
    from app.payments import payments

    tourist = make.user(name=name)
    booking = booking_service.hold_seat(flight.id, tourist)
    document = consent.current_document() or make.consent_document()
    consent.sign(booking, tourist, version_id=document.id, signed_name=name, ip_address="::1", user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), "4242424242424242")
    return booking


def test_after_a_slip_a_tourist_withdraws_with_the_slips_refund_and_the_seat_goes_to_the_next_in_line(app, make):
    ops = make.user(Role.OPERATIONS, timezone="UTC")
    flight = make.flight(seat_count=1, launch_at=(now_utc() + timedelta(days=60)).replace(second=0, microsecond=0))
    ada = _paid_seat(make, flight, "Ada Lovelace")
    ben, cy = make.user(name="Ben Waiting"), make.user(name="Cy Waiting")
    booking_service.join_waitlist(flight.id, ben)
    booking_service.join_waitlist(flight.id, cy)
    db.session.commit()
    with app.test_request_context():  # a slip of five days (the policy: more than two)
        flight_service.move_launch(flight, flight.launch_at + timedelta(days=5),
                                   flight.window_closes_at + timedelta(days=5), SlipCause.TECHNICAL, "", ops)
    db.session.commit()
    client = app.test_client()
    login(client, ada.user)
    page = _text(client.get(f"/bookings/{ada.reference}").get_data(as_text=True))
    assert "Your launch has moved by 5 days since you booked" in page
    quote = _text(client.get(f"/bookings/{ada.reference}/cancel").get_data(as_text=True))
    assert "you may withdraw with 100% of everything you paid refunded, the deposit included" in quote
    assert "Refund $150,000.00" in quote  # the whole deposit: its non-refundable part too
    url = f"/bookings/{ada.reference}/cancel"
    assert post_form(client, url, {"confirm": "y", "reason": ""}, page=url).status_code == 302
    db.session.expire_all()
    ada = db.session.get(type(ada), ada.id)
    assert ada.state is BookingState.CANCELLED and ada.events[-1].reason == "withdrew after the launch moved"
    [deposit] = db.session.scalars(select(Payment).where(Payment.booking_id == ada.id)).all()
    assert deposit.refunded_minor == 150_000_00
    # The seat goes to the first in line, once; the second waits on.
    offers = outbox(rule="waitlist_offer", channel=Channel.EMAIL)
    assert [m.user_id for m in offers] == [ben.id]


def test_a_small_slip_keeps_the_usual_cancellation_policy(app, make):
    ops = make.user(Role.OPERATIONS, timezone="UTC")
    flight = make.flight(launch_at=(now_utc() + timedelta(days=60)).replace(second=0, microsecond=0))
    ada = _paid_seat(make, flight, "Ada Lovelace")
    with app.test_request_context():
        flight_service.move_launch(flight, flight.launch_at + timedelta(days=2),
                                   flight.window_closes_at + timedelta(days=2), SlipCause.WEATHER, "", ops)
        from app.payments import cancellations

        quote = cancellations.quote(ada)
    assert quote.slip_days == 0 and quote.kept_minor == 25_000_00


@pytest.mark.parametrize("path, fields", [
    ("move", {"launch_at": "9999-12-31T23:00", "window_closes_at": "", "cause": "weather", "note": "",
              "step": "preview"}),
    ("scrub", {"next_attempt_at": "9999-12-31T23:00", "cause": "weather", "note": ""}),
    ("flown", {"lifted_off_at": "9999-12-31T23:00", "landed_at": "9999-12-31T23:30"}),
])
def test_a_year_no_calendar_reaches_is_refused_at_its_field(app, make, path, fields):
    ops = make.user(Role.OPERATIONS, timezone="America/Denver")  # behind UTC: 9999-12-31 23:00 is 10000 in UTC
    flight = make.flight()
    db.session.commit()
    client = app.test_client()
    login(client, ops)
    url = f"/ops/flights/{flight.id}/{path}"
    response = post_form(client, url, fields, page=url)
    assert response.status_code == 422 and "Check the year" in response.get_data(as_text=True)


def test_quotes_for_many_bookings_say_what_each_quote_says(app, make):
    """What erasure would cancel is quoted for all the bookings at once: the same refunds as one
    quote each, whether the launch moved before or after each booking, by a little or a lot."""
    from app.payments import cancellations

    ops = make.user(Role.OPERATIONS, timezone="UTC")
    moved = make.flight(seat_count=4, launch_at=(now_utc() + timedelta(days=60)).replace(second=0, microsecond=0))
    nudged = make.flight(seat_count=4, launch_at=(now_utc() + timedelta(days=45)).replace(second=0, microsecond=0))
    before_move = [_paid_seat(make, moved, "Ada Lovelace"), _paid_seat(make, nudged, "Cy Nudged")]
    db.session.commit()
    with app.test_request_context():
        flight_service.move_launch(moved, moved.launch_at + timedelta(days=5),
                                   moved.window_closes_at + timedelta(days=5), SlipCause.TECHNICAL, "", ops)
        flight_service.move_launch(nudged, nudged.launch_at + timedelta(days=1),
                                   nudged.window_closes_at + timedelta(days=1), SlipCause.WEATHER, "", ops)
    db.session.commit()
    after_move = [_paid_seat(make, moved, "Ben Later"), booking_service.hold_seat(nudged.id, make.user())]
    db.session.commit()
    bookings = before_move + after_move
    with app.test_request_context():
        one_by_one = {b.id: cancellations.quote(b) for b in bookings}
        together = cancellations.quotes(bookings)
    assert together == one_by_one
    assert one_by_one[before_move[0].id].slip_days == 5 and one_by_one[after_move[0].id].slip_days == 0
    assert one_by_one[after_move[1].id].paid_minor == 0
