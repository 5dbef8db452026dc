"""Domains react to one another through the signals of app/signals.py, inside the sender's
transaction: a receiver's change commits with the sender's, and a receiver's failure undoes both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import signals
from app.booking import bookings as booking_service
from app.booking import flights
from app.documents import consent
from app.extensions import db
from app.models import BookingState, FlightEvent, FlightStatus, Role
from app.payments import handlers as payment_handlers
from app.payments import installments, payments
from app.timeutil import now_utc
from tests.payments.test_installments import confirmed_booking

GOOD = "4242424242424242"


@pytest.fixture
def planned(app, db_session, make):
    """A confirmed booking whose balance is planned in two installments on a saved card."""
    with app.test_request_context("/"):
        booking = confirmed_booking(make, balance_in_days=110)
        installments.plan_balance(booking, booking.user, 2)
        yield booking


def _moved(flight, days: int) -> dict:
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data.update(launch_at=flight.launch_at + timedelta(days=days),
                window_closes_at=flight.window_closes_at + timedelta(days=days))
    return data


def test_payments_receive_the_flight_signals():
    assert payment_handlers.move_due_dates in signals.flight_rescheduled.receivers_for(object())
    assert payment_handlers.refund_cancelled_flight in signals.flight_cancelled.receivers_for(object())


def test_a_receiver_that_fails_undoes_the_change_that_sent_the_signal(planned, make):
    flight = planned.flight
    launch = flight.launch_at
    due = sorted(p.due_at for p in payments.ledgers([planned])[planned.id].payments if p.due_at)
    ops = make.user(Role.OPERATIONS)

    def broken(sender, **kwargs):
        raise RuntimeError("a receiver failed")

    with signals.flight_rescheduled.connected_to(broken):
        with pytest.raises(RuntimeError):
            with db.session.begin_nested():  # the request's transaction, in this test's
                flights.update_flight(flight, _moved(flight, 6), ops)
    db.session.expire_all()
    assert flight.launch_at == launch
    assert sorted(p.due_at for p in payments.ledgers([planned])[planned.id].payments if p.due_at) == due
    assert db.session.scalar(select(func.count(FlightEvent.id)).where(FlightEvent.flight_id == flight.id)) == 0


def test_a_moved_launch_moves_what_payments_keep_in_the_same_change(planned, make):
    flight = planned.flight
    due = sorted(p.due_at for p in payments.ledgers([planned])[planned.id].payments
                 if p.due_at and p.due_at > now_utc())
    heard = []
    with signals.flight_rescheduled.connected_to(lambda sender, **kw: heard.append((sender.id, kw["moved_by"]))):
        flights.update_flight(flight, _moved(flight, 6), make.user(Role.OPERATIONS))
    assert heard == [(flight.id, timedelta(days=6))]
    after = sorted(p.due_at for p in payments.ledgers([planned])[planned.id].payments
                   if p.due_at and p.due_at > now_utc() + timedelta(days=1))
    assert after == [d + timedelta(days=6) for d in due]


def test_the_booking_state_machine_announces_confirmed_and_cancelled(app, db_session, make):
    heard = []
    with app.test_request_context("/"), \
            signals.booking_confirmed.connected_to(lambda b, **kw: heard.append(("confirmed", b.id))), \
            signals.booking_cancelled.connected_to(lambda b, **kw: heard.append(("cancelled", b.id, kw["reason"]))):
        doc = make.consent_document()
        tourist = make.user()
        booking = booking_service.hold_seat(make.flight().id, tourist)
        consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1",
                     user_agent="t")
        payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
        assert booking.state is BookingState.CONFIRMED
        flights.cancel_flight(booking.flight, make.user(Role.OPERATIONS), "range closed")
    assert heard == [("confirmed", booking.id), ("cancelled", booking.id, "range closed")]
    assert booking.flight.status is FlightStatus.CANCELLED
