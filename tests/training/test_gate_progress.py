"""The training gate's progress as columns (``progress.gate_progress``) against the ORM one
(``progress.progress_for``): the same modules, states and deadlines, and the same gates."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from app.booking import bookings as booking_service
from app.extensions import db
from app.models import (
    Attendance,
    BookingState,
    PlaceState,
    Result,
    SessionPlace,
    SessionStatus,
    TrainingPlan,
    TrainingSession,
)
from app.readiness import Audience
from app.timeutil import now_utc
from app.training import gates, progress
from app.training import plans as training_plans


def _said(result):
    return {booking_id: (p.plan.id if p.plan else None, p.complete, p.passed_count,
                         [m.module.id for m in p.to_book], [m.module.id for m in p.expiring],
                         [(m.module.id, m.module.text("de"), m.state, m.deadline, m.late, m.overdue,
                           m.place is not None, m.valid_until, m.last is not None, m.lapsed is not None,
                           m.closed is not None) for m in p.modules], len(p.places))
            for booking_id, p in result.items()}


def test_gate_progress_reads_as_progress_for(app, db_session, make):
    """On passes lapsed before launch and still valid, a failed exam, a booked place and a place
    waited for, an offer that ran out, a cancelled session, a session booked after its deadline,
    a flight with its own plan, a flight with none, and a held seat."""
    training = make.training(vehicle="Zephyr", validity_days=30)
    flight = make.flight(vehicle="Zephyr", seat_count=12, launch_at=now_utc() + timedelta(days=60))
    bookings = []
    for n in range(8):
        booking = booking_service.hold_seat(flight.id, make.user())
        if n:
            booking_service.transition(booking, BookingState.CONFIRMED)
        bookings.append(booking)
    now = now_utc()

    def session(module, days, status=SessionStatus.SCHEDULED):
        made = TrainingSession(module_id=module.id, starts_at=now + timedelta(days=days),
                               ends_at=now + timedelta(days=days, hours=2), place="Room", capacity=8, status=status)
        db.session.add(made)
        db.session.flush()
        return made

    old_pass, recent, cancelled, late = (session(training.classroom, -100), session(training.classroom, -5),
                                         session(training.exam, 3, SessionStatus.CANCELLED),
                                         session(training.exam, 59))
    places = [
        (1, old_pass, PlaceState.BOOKED, Attendance.PRESENT, Result.PASSED, None),
        (2, recent, PlaceState.BOOKED, Attendance.PRESENT, Result.PASSED, None),
        (2, training.exam_session, PlaceState.WAITING, None, None, None),
        (3, training.classroom_session, PlaceState.BOOKED, None, None, None),
        (3, recent, PlaceState.BOOKED, Attendance.PRESENT, Result.FAILED, None),
        (4, training.classroom_session, PlaceState.OFFERED, None, None, now - timedelta(hours=1)),
        (4, training.exam_session, PlaceState.LAPSED, None, None, None),
        (5, cancelled, PlaceState.BOOKED, None, None, None),
        (5, late, PlaceState.BOOKED, None, None, None),
        (6, old_pass, PlaceState.BOOKED, Attendance.ABSENT, None, None),
        (6, training.exam_session, PlaceState.OFFERED, None, None, now + timedelta(hours=5)),
        (7, recent, PlaceState.BOOKED, Attendance.PRESENT, Result.FAILED, None),
    ]
    for n, where, state, attendance, result, offer in places:
        db.session.add(SessionPlace(session_id=where.id, user_id=bookings[n].user_id, booking_id=bookings[n].id,
                                    state=state, attendance=attendance, result=result, offer_expires_at=offer))
    own = make.flight(vehicle="Zephyr")
    plan = TrainingPlan(flight_id=own.id)
    db.session.add(plan)
    db.session.flush()
    training_plans.add_module(plan, training.exam, 3)
    training_plans.add_module(plan, training.classroom, 5)
    training_plans.publish_plan(plan, training.ops)
    bookings += [booking_service.hold_seat(own.id, bookings[2].user), make.booking(vehicle="No plan")]
    db.session.flush()
    db.session.expire_all()

    old = progress.progress_for(bookings, now)
    new = progress.gate_progress(bookings, now)
    assert _said(new) == _said(old)
    states = {m.state for p in new.values() for m in p.modules}
    assert {progress.ModuleState.EXPIRES, progress.ModuleState.FAILED, progress.ModuleState.WAITING,
            progress.ModuleState.BOOKED, progress.ModuleState.NOT_BOOKED} <= states
    assert new[bookings[-1].id].plan is None and new[bookings[-2].id].plan.id == plan.id
    with app.test_request_context("/journey"):
        for language in ("en", "de"):
            with force_locale(language):
                for audience in Audience:
                    assert ([gates._gate(b, gates._Loaded(new), audience) for b in bookings]
                            == [gates._gate(b, gates._Loaded(old), audience) for b in bookings])
