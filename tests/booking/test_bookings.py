from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking import bookings as svc
from app.errors import ServiceError
from app.extensions import db
from app.models import BookingEvent, BookingState, Role, WaitlistState
from app.timeutil import now_utc

S = BookingState


def test_hold_takes_a_seat_for_the_configured_time(app, make):
    flight = make.flight(seat_count=2)
    tourist = make.user()
    before = now_utc()
    booking = svc.hold_seat(flight.id, tourist)
    assert booking.state is S.HELD
    minutes = app.config["HOLD_MINUTES"]
    assert before + timedelta(minutes=minutes) <= booking.hold_expires_at <= now_utc() + timedelta(minutes=minutes)
    assert svc.seat_counts([flight])[flight.id].held == 1
    assert booking.reference.startswith("CD-") and len(booking.reference) == 9


def test_every_move_writes_an_event(make):
    flight = make.flight()
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    booking = svc.hold_seat(flight.id, tourist)
    svc.transition(booking, S.CONFIRMED, actor=ops, reason="deposit paid")
    svc.transition(booking, S.CANCELLED, actor=ops, reason="tourist dropped out")
    db.session.flush()
    events = db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == booking.id).order_by(BookingEvent.id)
    ).all()
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, S.HELD), (S.HELD, S.CONFIRMED), (S.CONFIRMED, S.CANCELLED)
    ]
    assert events[1].actor_id == ops.id and events[1].reason == "deposit paid"


@pytest.mark.parametrize(
    "path, target",
    [
        ([], S.HELD),                          # a held booking cannot be held again
        ([S.EXPIRED], S.HELD),
        ([S.EXPIRED], S.CANCELLED),            # nothing to cancel: it holds no seat
        ([S.CANCELLED], S.CONFIRMED),
        ([S.CONFIRMED], S.EXPIRED),            # a sold seat never lapses
        ([S.CONFIRMED], S.HELD),
        ([S.CONFIRMED, S.CANCELLED], S.CONFIRMED),
    ],
)
def test_moves_that_are_not_allowed_raise_and_change_nothing(make, path, target):
    booking = svc.hold_seat(make.flight().id, make.user())
    for state in path:
        svc.transition(booking, state)
    db.session.flush()
    before = booking.state
    n_events = db.session.query(BookingEvent).filter_by(booking_id=booking.id).count()
    with pytest.raises(svc.TransitionNotAllowed) as info:
        svc.transition(booking, target)
    assert booking.state is before
    assert db.session.query(BookingEvent).filter_by(booking_id=booking.id).count() == n_events
    from app.labels import BOOKING_STATES

    assert str(BOOKING_STATES[before]) in info.value.message
    assert str(BOOKING_STATES[target]) in info.value.message


def test_allowed_moves_table_is_exactly_the_documented_one():
    assert svc.TRANSITIONS == {
        (None, S.HELD), (S.HELD, S.EXPIRED), (S.HELD, S.CONFIRMED), (S.HELD, S.CANCELLED),
        (S.EXPIRED, S.CONFIRMED), (S.CONFIRMED, S.CANCELLED), (S.CONFIRMED, S.FLOWN),
    }


def test_a_full_flight_refuses_another_hold(make):
    flight = make.flight(seat_count=1)
    svc.hold_seat(flight.id, make.user())
    with pytest.raises(svc.SoldOut):
        svc.hold_seat(flight.id, make.user())


def test_one_live_booking_per_tourist_and_flight(make):
    flight = make.flight()
    tourist = make.user()
    svc.hold_seat(flight.id, tourist)
    with pytest.raises(ServiceError, match="already have a seat"):
        svc.hold_seat(flight.id, tourist)


def test_staff_cannot_hold_seats(make):
    with pytest.raises(ServiceError, match="Only tourist accounts"):
        svc.hold_seat(make.flight().id, make.user(Role.OPERATIONS))


@pytest.mark.parametrize("status", ["scrubbed", "flown", "cancelled"])
def test_flights_not_open_for_booking(make, status):
    from app.models import FlightStatus

    flight = make.flight(status=FlightStatus(status))
    with pytest.raises(ServiceError, match="not open for booking"):
        svc.hold_seat(flight.id, make.user())


def test_a_lapsed_hold_frees_the_seat_lazily(make):
    flight = make.flight(seat_count=1)
    first = svc.hold_seat(flight.id, make.user())
    first.hold_expires_at = now_utc() - timedelta(seconds=1)
    db.session.flush()
    second = svc.hold_seat(flight.id, make.user())  # the lapsed hold is expired on the way
    assert first.state is S.EXPIRED
    assert second.state is S.HELD


def test_expire_holds_task_function_expires_only_lapsed_holds(make):
    flight = make.flight(seat_count=3)
    lapsed = svc.hold_seat(flight.id, make.user())
    live = svc.hold_seat(flight.id, make.user())
    lapsed.hold_expires_at = now_utc() - timedelta(minutes=1)
    db.session.flush()
    assert svc.expire_holds() == 1
    assert lapsed.state is S.EXPIRED and live.state is S.HELD
    assert svc.expire_holds() == 0


def test_waitlist_gets_the_freed_seat_for_a_limited_time(app, make):
    flight = make.flight(seat_count=1)
    holder, waiter, latecomer = make.user(), make.user(), make.user()
    hold = svc.hold_seat(flight.id, holder)
    entry = svc.join_waitlist(flight.id, waiter)
    assert svc.waitlist_position(entry) == 1
    hold.hold_expires_at = now_utc() - timedelta(seconds=1)
    db.session.flush()
    with pytest.raises(svc.SoldOut):  # the freed seat goes to the line, not to whoever asks
        svc.hold_seat(flight.id, latecomer)
    assert entry.state is WaitlistState.OFFERED
    offer = entry.booking
    assert offer.user_id == waiter.id and offer.state is S.HELD
    hours = app.config["WAITLIST_OFFER_HOURS"]
    assert offer.hold_expires_at > now_utc() + timedelta(hours=hours) - timedelta(minutes=1)
    from app.messaging import delivery
    from app.models import Channel, OutboundMessage

    told = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.user_id == waiter.id, OutboundMessage.rule == "waitlist_offer")).all()
    assert {m.channel for m in told} == {Channel.EMAIL, Channel.IN_APP} and all(m.send_at <= now_utc() for m in told)
    [mail] = [m for m in told if m.channel is Channel.EMAIL]
    with app.test_request_context("/"):
        delivery.deliver(mail.id)
    assert flight.name in mail.subject and offer.reference in mail.body
    # and a reminder two hours before the offer runs out
    [reminder, _in_app] = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.user_id == waiter.id, OutboundMessage.rule == "hold_expiring")).all()
    assert reminder.send_at == offer.hold_expires_at - timedelta(hours=2)


def test_an_offer_not_taken_passes_to_the_next_in_line(make):
    flight = make.flight(seat_count=1)
    hold = svc.hold_seat(flight.id, make.user())
    first = svc.join_waitlist(flight.id, make.user())
    second = svc.join_waitlist(flight.id, make.user())
    assert svc.waitlist_position(second) == 2
    hold.hold_expires_at = now_utc() - timedelta(seconds=1)
    db.session.flush()
    svc.expire_holds()
    assert first.state is WaitlistState.OFFERED and second.state is WaitlistState.WAITING
    first.booking.hold_expires_at = now_utc() - timedelta(seconds=1)
    db.session.flush()
    svc.expire_holds()
    assert first.state is WaitlistState.LAPSED
    assert second.state is WaitlistState.OFFERED


def test_confirming_an_offered_seat_closes_the_entry(make):
    flight = make.flight(seat_count=1)
    hold = svc.hold_seat(flight.id, make.user())
    entry = svc.join_waitlist(flight.id, make.user())
    svc.release_hold(hold, hold.user)
    assert entry.state is WaitlistState.OFFERED
    svc.transition(entry.booking, S.CONFIRMED)
    assert entry.state is WaitlistState.BOOKED


def test_waitlist_only_when_sold_out(make):
    flight = make.flight(seat_count=2)
    with pytest.raises(ServiceError, match="Seats are available"):
        svc.join_waitlist(flight.id, make.user())


def test_cannot_join_the_waitlist_twice(make):
    flight = make.flight(seat_count=1)
    svc.hold_seat(flight.id, make.user())
    waiter = make.user()
    svc.join_waitlist(flight.id, waiter)
    with pytest.raises(ServiceError, match="already on the waiting list"):
        svc.join_waitlist(flight.id, waiter)


def test_seat_counts_for_many_flights(make):
    a, b = make.flight(seat_count=3), make.flight(seat_count=1)
    confirmed = svc.hold_seat(a.id, make.user())
    svc.transition(confirmed, S.CONFIRMED)
    svc.hold_seat(a.id, make.user())
    svc.hold_seat(b.id, make.user())
    svc.join_waitlist(b.id, make.user())
    counts = svc.seat_counts([a, b])
    assert counts[a.id] == svc.SeatCounts(sold=1, held=1, free=1, waiting=0)
    assert counts[b.id] == svc.SeatCounts(sold=0, held=1, free=0, waiting=1)
