"""Money and status never contradict: a refund owes nothing, a closed booking asks nothing, and
the tourist's pages say what happened to their flight, and when."""

import re
from datetime import timedelta

import pytest
from babel.dates import format_date as babel_date
from sqlalchemy import select

from app.booking import bookings as booking_service
from app.booking import flights
from app.documents import consent
from app.extensions import db
from app.messaging import delivery
from app.models import Channel, FlightEvent, FlightStatus, Refund, RefundKind, Role
from app.payments import cancellations, installments, payments
from app.readiness import GateStatus, readiness_for
from app.timeutil import now_utc
from tests.conftest import login, outbox

GOOD = "4242424242424242"


def paid_deposit(make, **flight):
    doc = make.consent_document()
    tourist = make.user()
    flight = make.flight(price_minor=450_000_00, deposit_minor=150_000_00,
                         launch_at=now_utc() + timedelta(days=200), balance_due_days=90, **flight)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
    return booking


def charge_now(payment):
    payment.due_at = now_utc() - timedelta(minutes=1)
    db.session.flush()
    assert installments.charge(payment.id) == "charged"


def flight_data(flight, **changes):
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data.update(changes)
    return data


def test_a_goodwill_refund_is_not_a_debt_and_is_told_to_the_tourist(client, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    token, last4 = payments.provider().save_card(GOOD)
    installments.save_card(booking, booking.user, token=token, last4=last4)
    first, second = installments.plan_balance(booking, booking.user, 2).payments
    charge_now(first)
    payments.refund_payment(first, 1000_50, reason="goodwill <b>sorry</b>", actor=ops)
    assert payments.ledgers([booking])[booking.id].outstanding_minor == 150_000_00  # not 151,000.50
    charge_now(second)

    ledger = payments.ledgers([booking])[booking.id]
    assert ledger.outstanding_minor == 0 and ledger.net_paid_minor == 450_000_00 - 1000_50
    with client.application.test_request_context("/"):
        gates = {g.key: g for g in readiness_for([booking])[booking.id].gates}
    assert gates["paid"].status is GateStatus.DONE
    [refund] = db.session.scalars(select(Refund)).all()
    assert refund.kind is RefundKind.OPERATOR

    [in_app] = outbox(rule="refund_issued", channel=Channel.IN_APP)
    delivery.deliver(in_app.id)
    db.session.refresh(in_app)
    assert "$1,000.50" in in_app.body and "goodwill" in in_app.body
    db.session.commit()

    login(client, booking.user)
    page = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert "goodwill &lt;b&gt;sorry&lt;/b&gt;" in page  # the operator's words, escaped
    assert "still to pay" not in page and "Partly refunded" in page
    receipt = client.get(f"/payments/{first.id}/receipt").get_data(as_text=True)
    assert "$1,000.50" in receipt and "goodwill" in receipt
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "$1,000.50" in inbox


def test_a_refund_made_at_the_provider_is_recorded_and_told(client, make, monkeypatch):
    booking = paid_deposit(make)
    deposit = payments.deposit_of(booking)
    intent = payments.provider().retrieve_intent(deposit.provider_payment_id)
    monkeypatch.setattr(payments.provider().__class__, "retrieve_intent",
                        lambda self, _id: intent.__class__(**{**intent.__dict__, "refunded_minor": 500_00}))
    assert payments._sync_refunds_for_charge(deposit.provider_charge_id) == "refund recorded"
    [refund] = deposit.refunds
    assert (refund.kind, refund.amount_minor) == (RefundKind.PROVIDER, 500_00)
    assert outbox(rule="refund_issued")


def test_a_cancelled_flight_leaves_a_booking_that_asks_nothing(client, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    flight = booking.flight
    flights.update_flight(flight, flight_data(flight, status=FlightStatus.CANCELLED), ops)
    db.session.commit()

    login(client, booking.user)
    page = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    for asked in ("still to pay", "Still to pay", "questionnaire", "signed again", "Read and sign",
                  "Sign the", "Pay the deposit", "Before you fly", "due by"):
        assert asked not in main, asked
    assert "What happened" in page and "The operator cancelled this flight on" in page
    assert "Refunded" in page and "$150,000.00 refunded" in page
    assert ">Paid</span>" not in page  # the deposit's status reads Refunded, not Paid
    assert "The operator cancelled the flight" in page  # the refund's reason, from its kind


def test_a_scrub_and_a_delay_are_told_on_the_tourists_pages(client, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    flight = booking.flight
    planned = flight.launch_at
    flights.update_flight(flight, flight_data(flight, status=FlightStatus.SCRUBBED), ops)
    db.session.commit()

    login(client, booking.user)
    journey = client.get("/journey").get_data(as_text=True)
    detail = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    for page in (journey, detail):
        assert "Scrubbed" in page and "Launch scrubbed on" in page and "a new time will follow" in page

    flight = db.session.get(flight.__class__, flight.id)
    later = planned + timedelta(days=7)
    flights.update_flight(flight, flight_data(flight, status=FlightStatus.DELAYED, launch_at=later,
                                              window_closes_at=later + timedelta(days=2)), ops)
    db.session.commit()
    events = db.session.scalars(select(FlightEvent).order_by(FlightEvent.id)).all()
    assert [e.kind for e in events] == ["scrubbed", "moved"]
    detail = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    moved = re.search(r"Launch moved from (.+?) to (.+?) on (.+?)\.", detail)
    assert moved, detail
    assert babel_date(planned.date(), "medium", locale="en") in moved.group(1)
    assert babel_date(later.date(), "medium", locale="en") in moved.group(2)
    assert "Delayed" in detail


def test_earlier_bookings_link_to_their_page_with_the_refund_and_receipt(client, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    flights.cancel_flight(booking.flight, ops, "vehicle grounded")
    deposit = payments.deposit_of(booking)
    db.session.commit()

    login(client, booking.user)
    journey = client.get("/journey").get_data(as_text=True)
    assert f'href="/bookings/{booking.reference}"' in journey
    assert "$150,000.00 refunded" in journey and "flight cancelled on" in journey
    detail = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert f"/payments/{deposit.id}/receipt" in detail and "$150,000.00 refunded" in detail


def test_every_earlier_booking_is_reachable(client, make, monkeypatch):
    from blueprints.journey import routes as journey_routes

    monkeypatch.setattr(journey_routes, "PAST_PER_PAGE", 2)
    tourist = make.user()
    references = []
    for _ in range(3):
        booking = make.booking(tourist, confirmed=False)
        booking_service.release_hold(booking, tourist)
        references.append(booking.reference)
    db.session.commit()
    login(client, tourist)
    first = client.get("/journey").get_data(as_text=True)
    assert "page=2" in first
    second = client.get("/journey?page=2").get_data(as_text=True)
    shown = [r for r in references if f"/bookings/{r}" in first + second]
    assert shown == references


def _figures(html: str) -> dict[str, str]:
    """The money facts a page lists (<dt>label</dt><dd>amount</dd>)."""
    return {dt.strip(): dd.strip() for dt, dd in re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>", html)}


def test_one_refund_shows_the_same_figures_on_every_page(app, client, make):
    """Paid, refunded and kept mean the same on the tourist's booking page and journey, the
    operations booking page and the operations flight page."""
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS)
    [deposit] = payments.ledgers([booking])[booking.id].payments
    payments.refund_payment(deposit, 1000_50, reason="goodwill", actor=ops)
    db.session.commit()

    login(client, booking.user)
    mine = _figures(client.get(f"/bookings/{booking.reference}").get_data(as_text=True))
    staff = app.test_client()
    login(staff, ops)
    theirs = _figures(staff.get(f"/ops/bookings/{booking.reference}").get_data(as_text=True))
    flight_page = staff.get(f"/ops/flights/{booking.flight_id}").get_data(as_text=True)

    expected = {"Paid": "$150,000.00", "Refunded": "$1,000.50", "Kept": "$148,999.50"}
    assert {k: mine[k] for k in expected} == expected
    assert {k: theirs[k] for k in expected} == expected
    assert ">Kept<" in flight_page and "$148,999.50" in flight_page
    assert mine["Still to pay"] == theirs["Still to pay"] == "$300,000.00"
