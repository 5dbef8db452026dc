"""Sessions, places, the waiting list, sign-off and where a tourist stands: the training services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from app import readiness
from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    Attendance,
    BookingState,
    Channel,
    OutboundMessage,
    PlaceState,
    Result,
    Role,
    SafetyTopic,
    SessionPlace,
    TrainingEvent,
    TrainingSession,
)
from app.readiness import GateStatus
from app.timeutil import now_utc
from app.training import places, progress
from app.training import sessions as session_service
from app.training import signoff
from app.training.progress import ModuleState
from app.training.sessions import SessionData
from tests.conftest import outbox


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def errors(exc: ServiceError) -> dict[str | None, str]:
    return {e.field: str(e.message) for e in exc.errors}


def tourist_with_booking(make, t, days=60):
    booking = make.booking(days=days)
    return booking.user, booking


def states(booking):
    return {m.module.id: m.state for m in progress.progress_for([booking])[booking.id].modules}


def test_a_series_keeps_its_local_time_and_each_session_ends_after_the_module_s_duration(ctx, make):
    t = make.training()
    start = (now_utc() + timedelta(days=20)).astimezone(ZoneInfo("Europe/Berlin")).replace(hour=9, minute=30)
    created = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=start, timezone="Europe/Berlin", place="Hall B", capacity=4,
        instructor_ids=[t.instructor.id],
    ), repeat=3, every_days=7)
    assert len({s.series for s in created}) == 1 and created[0].series
    local = [s.starts_at.astimezone(ZoneInfo("Europe/Berlin")) for s in created]
    assert [(d.hour, d.minute) for d in local] == [(9, 30)] * 3
    assert [(b.date() - a.date()).days for a, b in zip(local, local[1:])] == [7, 7]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=120) for s in created)


def test_a_session_with_every_problem_is_refused_with_each_at_its_field(ctx, make):
    t = make.training()
    tourist = make.user()
    with pytest.raises(ServiceError) as refused:
        session_service.create_sessions(SessionData(
            module_id=t.classroom.id, starts_at=now_utc() - timedelta(hours=1), timezone="Mars/Olympus",
            place=" ", capacity=0, instructor_ids=[tourist.id],
        ), repeat=60)
    assert set(errors(refused.value)) == {"starts_at", "timezone", "place", "capacity", "instructor_ids", "repeat"}


def test_booking_a_place_sends_a_confirmation_with_the_session_as_a_calendar_file(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    assert place.state is PlaceState.BOOKED and place.booking_id == booking.id
    events = db.session.scalars(select(TrainingEvent).where(TrainingEvent.place_id == place.id)).all()
    assert [(e.kind, e.actor_id) for e in events] == [("booked", tourist.id)]
    email = outbox(rule="training_booked", channel=Channel.EMAIL)
    assert len(email) == 1
    from app.messaging.reminders import prepare
    assert prepare(email[0], now_utc())
    [attachment] = email[0].attachments
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    [event] = calendar.walk("VEVENT")
    assert event["SUMMARY"] == t.classroom.text("en")
    assert event.decoded("DTSTART") == t.classroom_session.starts_at
    assert states(booking)[t.classroom.id] is ModuleState.BOOKED


def test_the_exam_needs_the_classroom_passed_or_booked_before_it(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    with pytest.raises(ServiceError, match=t.classroom.text("en")):
        places.book_place(t.exam_session.id, booking, tourist)
    places.book_place(t.classroom_session.id, booking, tourist)
    assert places.book_place(t.exam_session.id, booking, tourist).state is PlaceState.BOOKED


def test_a_session_after_the_module_s_deadline_cannot_be_booked(ctx, make):
    t = make.training(days_ahead=30)
    tourist, booking = tourist_with_booking(make, t, days=20)  # the session is after launch
    with pytest.raises(ServiceError, match="after your deadline"):
        places.book_place(t.classroom_session.id, booking, tourist)
    assert db.session.scalar(select(db.func.count(SessionPlace.id))) == 0


def test_a_module_not_in_the_flight_s_plan_cannot_be_booked(ctx, make):
    t = make.training(vehicle="Capsule C-1")
    tourist, booking = tourist_with_booking(make, t)  # on a Spaceplane SV-2 flight
    with pytest.raises(ServiceError, match="does not include this module"):
        places.book_place(t.classroom_session.id, booking, tourist)


def test_a_full_session_takes_a_waiting_list_and_a_freed_place_is_offered_for_a_time(ctx, make, app):
    t = make.training(capacity=1)
    first, first_booking = tourist_with_booking(make, t)
    second, second_booking = tourist_with_booking(make, t)
    third, third_booking = tourist_with_booking(make, t)
    taken = places.book_place(t.classroom_session.id, first_booking, first)
    with pytest.raises(places.SessionFull):
        places.book_place(t.classroom_session.id, second_booking, second)
    waiting = places.join_waitlist(t.classroom_session.id, second_booking, second)
    behind = places.join_waitlist(t.classroom_session.id, third_booking, third)
    assert (places.waitlist_position(waiting), places.waitlist_position(behind)) == (1, 2)
    assert states(second_booking)[t.classroom.id] is ModuleState.WAITING

    places.cancel_place(taken, first)
    db.session.refresh(waiting)
    assert waiting.state is PlaceState.OFFERED
    hours = app.config["TRAINING_OFFER_HOURS"]
    assert abs(waiting.offer_expires_at - (now_utc() + timedelta(hours=hours))) < timedelta(minutes=1)
    assert len(outbox(rule="training_place_offered", user_id=second.id)) >= 1
    with pytest.raises(places.SessionFull):  # held for the first in line
        places.book_place(t.classroom_session.id, third_booking, third)

    # The offer lapses unanswered: the place passes to the next in line.
    assert places.expire_offers(now=waiting.offer_expires_at + timedelta(seconds=1)) == 1
    db.session.refresh(waiting)
    db.session.refresh(behind)
    assert waiting.state is PlaceState.LAPSED and behind.state is PlaceState.OFFERED
    assert places.book_place(t.classroom_session.id, third_booking, third).id == behind.id
    assert behind.state is PlaceState.BOOKED
    assert places.places_taken(t.classroom_session.id) == 1


def test_places_are_not_cancelled_or_moved_online_after_the_cut_off(ctx, make):
    t = make.training(days_ahead=10)
    tourist, booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    late = t.classroom_session.starts_at - timedelta(hours=2)
    with pytest.raises(ServiceError, match="contact us"):
        places.cancel_place(place, tourist, now=late)
    assert place.state is PlaceState.BOOKED


def test_a_place_moves_to_another_session_and_a_failed_move_keeps_it(ctx, make):
    t = make.training(capacity=1)
    tourist, booking = tourist_with_booking(make, t)
    other_tourist, other_booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    [later] = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(days=2),
        timezone="UTC", place="Room 2", capacity=1, instructor_ids=[t.instructor.id]))
    places.book_place(later.id, other_booking, other_tourist)
    with pytest.raises(places.SessionFull):
        places.move_place(place, later.id, tourist)
    db.session.refresh(place)
    assert place.state is PlaceState.BOOKED  # kept

    [free] = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(days=3),
        timezone="UTC", place="Room 3", capacity=2, instructor_ids=[t.instructor.id]))
    moved = places.move_place(place, free.id, tourist)
    assert moved.session_id == free.id and moved.state is PlaceState.BOOKED
    assert place.state is PlaceState.CANCELLED
    assert places.places_taken(t.classroom_session.id) == 0


def test_the_instructor_signs_off_and_the_gate_moves(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    classroom = places.book_place(t.classroom_session.id, booking, tourist)
    exam = places.book_place(t.exam_session.id, booking, tourist)
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.WAITING and "0 of 2" in gate.reason

    stranger = make.user(Role.INSTRUCTOR)
    after = t.exam_session.ends_at + timedelta(minutes=5)
    with pytest.raises(ServiceError, match="Only an instructor of this session"):
        signoff.mark(classroom, stranger, attendance=Attendance.PRESENT, result=Result.PASSED, now=after)
    with pytest.raises(ServiceError) as early:
        signoff.mark(classroom, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED,
                     now=t.classroom_session.starts_at - timedelta(hours=1))
    assert "attendance" in errors(early.value)

    signoff.mark(classroom, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED, note="Calm.", now=after)
    signoff.mark(exam, t.instructor, attendance=Attendance.PRESENT, score=72, now=after)
    assert exam.result is Result.FAILED and exam.score == 72  # the pass mark is 80
    assert states(booking) == {t.classroom.id: ModuleState.PASSED, t.exam.id: ModuleState.FAILED}
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.ACTION and t.exam.text("en") in gate.reason

    signoff.mark(exam, t.instructor, attendance=Attendance.PRESENT, score=85, now=after)  # a correction
    assert exam.result is Result.PASSED
    kinds = [(e.kind, e.value, e.score) for e in db.session.scalars(
        select(TrainingEvent).where(TrainingEvent.place_id == exam.id).order_by(TrainingEvent.id))]
    assert kinds == [("booked", "", None), ("attendance", "present", None), ("result", "failed", 72),
                     ("result", "passed", 85)]
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.DONE


def test_an_exam_result_comes_from_its_score_and_only_the_present_pass(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    places.book_place(t.classroom_session.id, booking, tourist)
    exam = places.book_place(t.exam_session.id, booking, tourist)
    after = t.exam_session.ends_at
    with pytest.raises(ServiceError) as refused:
        signoff.mark(exam, t.instructor, attendance=Attendance.ABSENT, result=Result.PASSED, now=after)
    assert "result" in errors(refused.value)
    with pytest.raises(ServiceError) as refused:
        signoff.mark(exam, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED, now=after)
    assert "score" in errors(refused.value)
    assert exam.attendance is None and exam.result is None


def test_moving_a_session_tells_each_participant_once_with_the_new_time(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    session = t.classroom_session
    old_start, sequence = session.starts_at, session.sequence
    data = SessionData(module_id=None, starts_at=old_start + timedelta(hours=3), timezone=session.timezone,
                       place=session.place, capacity=session.capacity, instructor_ids=[t.instructor.id])
    assert session_service.update_session(session, data, t.ops)
    assert session.sequence == sequence + 1
    moved = outbox(rule="training_session_moved", user_id=tourist.id, channel=Channel.EMAIL)
    assert len(moved) == 1 and moved[0].context["previous_starts_at"] == old_start.isoformat()
    [teacher] = outbox(kind="training_teaching_changed", user_id=t.instructor.id)
    assert "moved" in teacher.body and teacher.subject.startswith("Moved: ")
    session_service.update_session(session, data, t.ops)  # saved again, not moved: nobody told again
    assert len(outbox(rule="training_session_moved", user_id=tourist.id, channel=Channel.EMAIL)) == 1
    assert len(outbox(kind="training_teaching_changed", user_id=t.instructor.id)) == 1
    db.session.refresh(place)
    assert place.state is PlaceState.BOOKED


def test_cancelling_a_session_releases_every_place_and_tells_everyone(ctx, make):
    t = make.training(capacity=1)
    tourist, booking = tourist_with_booking(make, t)
    waiting_tourist, waiting_booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    waiting = places.join_waitlist(t.classroom_session.id, waiting_booking, waiting_tourist)
    with pytest.raises(ServiceError) as refused:
        session_service.cancel_session(t.classroom_session, " ", t.ops)
    assert "reason" in errors(refused.value)
    assert session_service.cancel_session(t.classroom_session, "Instructor ill", t.ops) == 2
    db.session.refresh(place)
    db.session.refresh(waiting)
    assert place.state is PlaceState.CANCELLED and waiting.state is PlaceState.CANCELLED
    told = {m.user_id for m in outbox(rule="training_session_cancelled", channel=Channel.EMAIL)}
    assert told == {tourist.id, waiting_tourist.id}
    [teacher] = outbox(kind="training_teaching_changed", user_id=t.instructor.id)
    assert teacher.subject.startswith("Cancelled: ") and "Instructor ill" in teacher.body
    assert states(booking)[t.classroom.id] is ModuleState.NOT_BOOKED


def test_a_slip_moves_deadlines_and_flags_passes_that_run_out_before_the_new_date(ctx, make):
    t = make.training(validity_days=30)
    tourist, booking = tourist_with_booking(make, t, days=35)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    signoff.mark(place, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED,
                 now=t.classroom_session.ends_at)
    assert states(booking)[t.classroom.id] is ModuleState.PASSED
    flight = booking.flight
    data = {key: getattr(flight, key) for key in flight_service.FIELDS}
    data.update(launch_at=flight.launch_at + timedelta(days=14), window_closes_at=flight.window_closes_at + timedelta(days=14))
    flight_service.update_flight(flight, data, t.ops)
    mine = progress.progress_for([booking])[booking.id]
    cell = next(m for m in mine.modules if m.module.id == t.classroom.id)
    assert cell.state is ModuleState.EXPIRES
    assert cell.deadline == flight.launch_at - timedelta(days=1)  # moved with the launch
    [notice] = outbox(rule="training_pass_expires", channel=Channel.EMAIL)
    assert notice.context["module_ids"] == [t.classroom.id]
    assert [m.module.id for m in mine.expiring] == [t.classroom.id]  # operations' table names it


def test_a_cancelled_booking_gives_its_places_to_the_waiting_list(ctx, make):
    t = make.training(capacity=1)
    tourist, booking = tourist_with_booking(make, t)
    next_tourist, next_booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    waiting = places.join_waitlist(t.classroom_session.id, next_booking, next_tourist)
    booking_service.transition(booking, BookingState.CANCELLED, actor=tourist, reason="changed my mind")
    db.session.refresh(place)
    db.session.refresh(waiting)
    assert place.state is PlaceState.CANCELLED and waiting.state is PlaceState.OFFERED


def test_a_flight_without_a_published_plan_waits_for_operations(ctx, make):
    booking = make.booking()
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.WAITING and "not yet published" in gate.reason
    assert db.session.scalar(select(db.func.count(OutboundMessage.id)).where(
        OutboundMessage.rule == "training_deadline")) == 0


def test_a_held_seat_books_no_training_until_its_deposit_is_paid(ctx, make):
    t = make.training()
    booking = make.booking(days=60, confirmed=False)
    with pytest.raises(ServiceError, match="Pay the deposit"):
        places.book_place(t.classroom_session.id, booking, booking.user)
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.BLOCKED and "Pay the deposit" in gate.reason


def test_a_waiting_list_closes_at_the_cut_off_and_the_tourist_books_another_session(ctx, make, app):
    t = make.training(capacity=1)
    holder, holder_booking = tourist_with_booking(make, t)
    tourist, booking = tourist_with_booking(make, t)
    places.book_place(t.classroom_session.id, holder_booking, holder)
    waiting = places.join_waitlist(t.classroom_session.id, booking, tourist)
    assert states(booking)[t.classroom.id] is ModuleState.WAITING
    late = places.cutoff(t.classroom_session) + timedelta(minutes=1)
    places.expire_offers(now=late)
    db.session.refresh(waiting)
    assert waiting.state is PlaceState.LAPSED
    assert progress.progress_for([booking], late)[booking.id].modules[0].state is ModuleState.NOT_BOOKED
    [later] = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(days=2), timezone="UTC",
        place="Room 2", capacity=2, instructor_ids=[t.instructor.id]))
    assert places.book_place(later.id, booking, tourist).state is PlaceState.BOOKED


def test_present_without_a_result_is_booked_and_an_excused_place_can_be_booked_again(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    signoff.mark(place, t.instructor, attendance=Attendance.PRESENT, now=t.classroom_session.starts_at)
    assert states(booking)[t.classroom.id] is ModuleState.BOOKED  # awaiting the sign-off
    signoff.mark(place, t.instructor, attendance=Attendance.EXCUSED, now=t.classroom_session.starts_at)
    assert states(booking)[t.classroom.id] is ModuleState.NOT_BOOKED
    [later] = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(days=2), timezone="UTC",
        place="Room 2", capacity=2, instructor_ids=[t.instructor.id]))
    assert places.book_place(later.id, booking, tourist).state is PlaceState.BOOKED


def test_the_reminder_of_a_session_tomorrow_is_planned_again_when_the_session_moves(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    [before] = outbox(rule="training_session_tomorrow", channel=Channel.EMAIL)
    before.status = before.status.__class__.SENT  # it went out
    session = t.classroom_session
    session_service.update_session(session, SessionData(
        module_id=None, starts_at=session.starts_at + timedelta(days=3), timezone=session.timezone,
        place=session.place, capacity=session.capacity, instructor_ids=[t.instructor.id]), t.ops)
    rows = outbox(rule="training_session_tomorrow", channel=Channel.EMAIL)
    assert len(rows) == 2 and place.id in {r.subject_id for r in rows}
    new = next(r for r in rows if r.id != before.id)
    assert new.send_at > before.send_at + timedelta(days=2)


def test_a_module_a_published_plan_relies_on_keeps_its_topics(ctx, make):
    from app.training import modules
    from app.training.modules import ModuleData
    t = make.training()
    data = ModuleData(kind=t.classroom.kind, duration_minutes=120, topics={SafetyTopic.FIRE},
                      texts=t.classroom.texts, prerequisite_ids=[])
    with pytest.raises(ServiceError) as refused:
        modules.update_module(t.classroom, data)
    assert "topics" in errors(refused.value)


def test_a_plan_without_a_module_s_prerequisite_is_not_published(ctx, make):
    from app.models import TrainingPlan
    from app.training import plans
    t = make.training()
    plan = TrainingPlan(vehicle="Capsule C-9")
    db.session.add(plan)
    db.session.flush()
    from app.training import modules
    from app.training.modules import ModuleData
    briefing = modules.create_module(ModuleData(kind=t.classroom.kind, duration_minutes=60, topics=set(SafetyTopic),
                                                texts={"en": {"name": "Briefing", "description": ""}}))
    plans.add_module(plan, briefing, 2)
    plans.add_module(plan, t.exam, 1)  # the exam needs the classroom, which is not in this plan
    with pytest.raises(ServiceError, match=t.classroom.text("en")):
        plans.publish_plan(plan, t.ops)
    assert plan.published_at is None


def test_publishing_a_plan_plans_the_deadline_reminders_of_bookings_made_before_it(ctx, make, monkeypatch):
    from app.models import TrainingPlan
    from app.training import plans
    from app.transactions import commit
    bookings = [make.booking(days=60, vehicle="Capsule C-7") for _ in range(3)]
    assert not outbox(rule="training_deadline")
    t = make.training()  # a plan for another vehicle, and its modules
    plan = TrainingPlan(vehicle="Capsule C-7")
    db.session.add(plan)
    db.session.flush()
    plans.add_module(plan, t.classroom, 1)
    monkeypatch.setattr(plans, "SYNC_BATCH", 2)  # two batches
    plans.publish_plan(plan, t.ops)
    assert not outbox(rule="training_deadline")  # by a task, once the plan is committed
    commit()
    for booking in bookings:
        rows = outbox(rule="training_deadline", subject_id=booking.id)
        assert rows and all(r.send_at == booking.flight.launch_at - timedelta(days=8) for r in rows)


def test_the_deadline_rule_works_out_a_booking_s_training_once_per_sync_and_per_send(ctx, make, monkeypatch):
    from app.messaging import reminders
    booking = make.booking(days=60)
    make.training(vehicle=booking.flight.vehicle)
    calls = []
    real = progress.progress_for
    monkeypatch.setattr(progress, "progress_for", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    reminders.sync(booking)
    assert len(calls) == 1
    [row, *_] = outbox(rule="training_deadline", subject_id=booking.id)
    calls.clear()
    assert reminders.prepare(row, row.send_at)
    assert len(calls) == 1 and "Emergencies" in row.body


def test_booking_a_place_ends_the_wait_for_another_session_of_the_module(ctx, make):
    t = make.training(capacity=1)
    holder, holder_booking = tourist_with_booking(make, t)
    tourist, booking = tourist_with_booking(make, t)
    places.book_place(t.classroom_session.id, holder_booking, holder)
    waiting = places.join_waitlist(t.classroom_session.id, booking, tourist)
    [other] = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=t.classroom_session.starts_at + timedelta(days=1), timezone="UTC",
        place="Room 2", capacity=2, instructor_ids=[t.instructor.id]))
    places.book_place(other.id, booking, tourist)
    db.session.refresh(waiting)
    assert waiting.state is PlaceState.CANCELLED


def test_a_session_moved_past_the_deadline_asks_the_tourist_to_move_their_place(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t, days=20)
    places.book_place(t.classroom_session.id, booking, tourist)
    session = t.classroom_session
    old_start, sequence = session.starts_at, session.sequence
    later = SessionData(
        module_id=None, starts_at=session.starts_at + timedelta(days=15), timezone=session.timezone,
        place=session.place, capacity=session.capacity, instructor_ids=[t.instructor.id])
    # Operations are warned first, with the name of whom the move makes late; nothing changes.
    with pytest.raises(ServiceError) as warned:
        session_service.update_session(session, later, t.ops)
    assert tourist.name in errors(warned.value)["confirm_late"]
    assert (session.starts_at, session.sequence) == (old_start, sequence)
    assert outbox(rule="training_session_moved", user_id=tourist.id) == []
    # Confirmed, the move goes ahead and the tourist is told to move their place.
    assert session_service.update_session(session, later, t.ops, confirm_late=True)
    assert outbox(rule="training_session_moved", user_id=tourist.id)
    cell = next(m for m in progress.progress_for([booking])[booking.id].modules if m.module.id == t.classroom.id)
    assert cell.state is ModuleState.BOOKED and cell.late
    gate = {g.key: g for g in readiness.readiness_for([booking])[booking.id].gates}["training"]
    assert gate.status is GateStatus.ACTION and t.classroom.text("en") in gate.reason


def test_an_absence_excused_in_advance_releases_the_place_to_the_waiting_list(ctx, make):
    t = make.training(capacity=1)
    tourist, booking = tourist_with_booking(make, t)
    next_tourist, next_booking = tourist_with_booking(make, t)
    place = places.book_place(t.classroom_session.id, booking, tourist)
    waiting = places.join_waitlist(t.classroom_session.id, next_booking, next_tourist)
    signoff.mark(place, t.instructor, attendance=Attendance.EXCUSED, note="Flu")
    db.session.refresh(waiting)
    assert place.state is PlaceState.CANCELLED and place.attendance is Attendance.EXCUSED
    assert waiting.state is PlaceState.OFFERED


def test_a_session_that_has_started_is_neither_moved_nor_cancelled(ctx, make, monkeypatch):
    t = make.training()
    session = t.classroom_session
    started = session.starts_at + timedelta(minutes=5)
    monkeypatch.setattr("app.training.sessions.now_utc", lambda: started)
    with pytest.raises(ServiceError, match="has started"):
        session_service.update_session(session, SessionData(
            module_id=None, starts_at=started + timedelta(days=1), timezone=session.timezone,
            place=session.place, capacity=session.capacity, instructor_ids=[t.instructor.id]), t.ops)
    with pytest.raises(ServiceError, match="has started"):
        session_service.cancel_session(session, "Too late", t.ops)
    assert not session.cancelled


def test_a_module_a_published_plan_requires_takes_no_prerequisite_the_plan_lacks(ctx, make):
    from app.training import modules
    from app.training.modules import ModuleData
    t = make.training()
    suit = modules.create_module(ModuleData(kind=t.classroom.kind, duration_minutes=30,
                                            texts={"en": {"name": "Suit", "description": ""}}))
    data = ModuleData(kind=t.classroom.kind, duration_minutes=120, topics=set(SafetyTopic),
                      texts=t.classroom.texts, prerequisite_ids=[suit.id])
    with pytest.raises(ServiceError) as refused:
        modules.update_module(t.classroom, data)
    assert "prerequisites" in errors(refused.value)
    assert t.classroom.prerequisites == []


def test_instructors_are_told_when_they_are_given_or_taken_off_a_session(ctx, make):
    t = make.training()
    assigned = outbox(kind="training_teaching_assigned", user_id=t.instructor.id)
    assert [m.subject for m in assigned] == [f"You teach: {t.classroom.text('en')}", f"You teach: {t.exam.text('en')}"]
    assert "Training centre, room 1" in assigned[0].body and "/instructor" in assigned[0].link_url
    session = t.classroom_session
    other = make.user(Role.INSTRUCTOR)
    before = len(outbox(kind="training_teaching_assigned"))
    data = SessionData(module_id=None, starts_at=session.starts_at, timezone=session.timezone, place=session.place,
                       capacity=session.capacity, instructor_ids=[other.id])
    assert not session_service.update_session(session, data, t.ops)
    told = outbox(kind="training_teaching_assigned")[before:]
    assert {(m.user_id, m.subject.split(":")[0]) for m in told} == {
        (other.id, "You teach"), (t.instructor.id, "You no longer teach")}
    # Moved and given back to the first instructor: they learn the new time as theirs; the one who
    # stays learns of the move; nobody hears twice.
    data.starts_at, data.instructor_ids = session.starts_at + timedelta(hours=2), [other.id, t.instructor.id]
    assert session_service.update_session(session, data, t.ops)
    told = outbox(kind="training_teaching_assigned")[before + 2:]
    assert [(m.user_id, m.subject.split(":")[0]) for m in told] == [(t.instructor.id, "You teach")]
    assert [m.user_id for m in outbox(kind="training_teaching_changed")] == [other.id]


def test_a_series_whose_later_start_the_clocks_skip_is_refused_naming_its_date(ctx, make):
    t = make.training()
    berlin = ZoneInfo("Europe/Berlin")
    # Clocks in Berlin go forward at 02:00 on the last Sunday of March: 2:30 on 28 March 2027 does
    # not exist, though 2:30 a week before does.
    first = datetime(2027, 3, 21, 2, 30, tzinfo=berlin).astimezone(ZoneInfo("UTC"))
    count = db.session.scalar(select(db.func.count(TrainingSession.id)))
    data = SessionData(module_id=t.classroom.id, starts_at=first, timezone="Europe/Berlin", place="Hangar",
                       capacity=4, instructor_ids=[t.instructor.id])
    with pytest.raises(ServiceError) as refused:
        session_service.create_sessions(data, repeat=3, every_days=7)
    assert "Mar 28, 2027" in errors(refused.value)["starts_at"]
    assert db.session.scalar(select(db.func.count(TrainingSession.id))) == count
    made = session_service.create_sessions(data, repeat=3, every_days=14)  # 21 Mar, 4 and 18 Apr exist
    assert [s.starts_at.astimezone(berlin).strftime("%d %H:%M") for s in made] == ["21 02:30", "04 02:30", "18 02:30"]


def test_an_absence_from_the_class_an_exam_needs_keeps_the_exam_closed_and_unpassable(ctx, make):
    t = make.training()
    tourist, booking = tourist_with_booking(make, t)
    classroom = places.book_place(t.classroom_session.id, booking, tourist)
    exam = places.book_place(t.exam_session.id, booking, tourist)
    signoff.mark(classroom, t.instructor, attendance=Attendance.ABSENT, now=t.classroom_session.ends_at)
    with pytest.raises(ServiceError) as refused:
        signoff.mark(exam, t.instructor, attendance=Attendance.PRESENT, score=95, now=t.exam_session.ends_at)
    assert t.classroom.text("en") in errors(refused.value)["result"]
    assert exam.result is None
    # Present, the result waits: the exam is not passed.
    signoff.mark(exam, t.instructor, attendance=Attendance.PRESENT, now=t.exam_session.ends_at)
    assert states(booking)[t.exam.id] is not ModuleState.PASSED
    other, other_booking = tourist_with_booking(make, t)
    absent = places.book_place(t.classroom_session.id, other_booking, other)
    signoff.mark(absent, t.instructor, attendance=Attendance.ABSENT, now=t.classroom_session.ends_at)
    [later_exam] = session_service.create_sessions(SessionData(
        module_id=t.exam.id, starts_at=t.exam_session.starts_at + timedelta(days=3), timezone="UTC",
        place="Room 2", capacity=4, instructor_ids=[t.instructor.id]))
    with pytest.raises(ServiceError, match="first"):
        places.book_place(later_exam.id, other_booking, other, now=t.classroom_session.ends_at)


def test_the_sweep_plans_the_reminders_of_a_plan_whose_task_never_ran(ctx, make):
    from app.models import TrainingPlan
    from app.training import plans
    from worker.tasks import sync_training_reminders
    booking = make.booking(days=60, vehicle="Capsule C-9")
    t = make.training()
    plan = TrainingPlan(vehicle="Capsule C-9")
    db.session.add(plan)
    db.session.flush()
    plans.add_module(plan, t.classroom, 1)
    plans.publish_plan(plan, t.ops)
    db.session.info.pop("countdown_after_commit", None)  # the task is lost: the broker was down
    assert plan.id in plans.plans_to_plan() and not outbox(rule="training_deadline", subject_id=booking.id)
    sync_training_reminders()
    assert outbox(rule="training_deadline", subject_id=booking.id)
    db.session.refresh(plan)
    assert plan.reminders_planned_at is not None and plan.id not in plans.plans_to_plan()


def test_the_sessions_open_to_book_are_each_module_s_first_that_end_by_its_deadline(ctx, make):
    """``open_to_book`` (on PostgreSQL a lateral join per module, elsewhere a ranking) gives, per
    module, its first scheduled sessions by start (then id) that start after the booking cut-off
    and end by that module's deadline, with their places taken and waiting: as the rule says in
    Python, with two sessions at one moment, a cancelled one, one inside the cut-off, one ending
    after the deadline, more sessions than shown, and places booked, offered (live and lapsed)
    and waiting."""
    from app.models import PlaceState, SessionPlace, SessionStatus, TrainingSession

    t = make.training()
    from flask import current_app

    cutoff = timedelta(hours=current_app.config["TRAINING_CUTOFF_HOURS"])
    now = now_utc().replace(microsecond=0)
    base = (now + timedelta(days=3)).replace(minute=0, second=0)

    def session(module, days, hours=0):
        return session_service.create_sessions(SessionData(
            module_id=module.id, starts_at=base + timedelta(days=days, hours=hours), timezone="Europe/Berlin",
            place=f"Room {days}", capacity=3, instructor_ids=[t.instructor.id]))[0]

    made = [session(t.classroom, d) for d in (1, 2, 2, 3, 4, 5, 6, 30)] + [session(t.exam, d) for d in (2, 5, 9)]
    made[3].status = SessionStatus.CANCELLED
    inside = session_service.create_sessions(SessionData(
        module_id=t.classroom.id, starts_at=now + cutoff - timedelta(hours=1), timezone="UTC", place="Soon",
        capacity=3, instructor_ids=[t.instructor.id]))[0]
    for state, expires in ((PlaceState.BOOKED, None), (PlaceState.OFFERED, now + timedelta(hours=2)),
                           (PlaceState.OFFERED, now - timedelta(hours=2)), (PlaceState.WAITING, None),
                           (PlaceState.WAITING, None)):
        db.session.add(SessionPlace(session_id=made[1].id, user_id=make.user().id, state=state,
                                    offer_expires_at=expires))
    db.session.flush()
    deadlines = {t.classroom.id: base + timedelta(days=20), t.exam.id: base + timedelta(days=6)}

    got = session_service.open_to_book(deadlines, now, per_module=4)
    expected = {}
    for module_id, due in deadlines.items():
        sessions = sorted((s for s in db.session.scalars(select(TrainingSession).where(
            TrainingSession.module_id == module_id)) if s.status is SessionStatus.SCHEDULED
            and s.starts_at > now + cutoff and s.ends_at <= due), key=lambda s: (s.starts_at, s.id))[:4]
        counts = places.counts([s.id for s in sessions], now)
        expected[module_id] = [(s.id, s.module_id, s.starts_at, s.ends_at, s.timezone, s.place, s.capacity,
                                *counts[s.id]) for s in sessions]
    assert {m: [tuple(s) for s in ss] for m, ss in got.items()} == expected
    assert [s.id for s in got[t.classroom.id]] == [made[0].id, made[1].id, made[2].id, made[4].id]
    assert inside.id not in {s.id for ss in got.values() for s in ss}
    assert (got[t.classroom.id][1].taken, got[t.classroom.id][1].waiting) == (2, 2)
    assert [s.id for s in got[t.exam.id]] == [made[8].id, made[9].id]
    assert session_service.open_to_book({}, now, per_module=4) == {}
