"""Demo data: flight operations (``seed_flightops``). Kármán Twilight's readiness matrix shows every
state: Ivy Chen is ready for flight (everything signed, paid, cleared, trained and arranged), Yuri's
balance is deferred by agreement (operations overrode his "Paid in full" gate, with the reason),
Sally is still missing several things, and Mae Carter has only signed the consent and paid her
deposit (the flight is full: four seats). Kármán Prelude flew ten
days ago with the demo tourist and Yuri aboard: both have their certificate, Yuri answered the
survey, the demo tourist has it still to answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.booking import bookings as booking_service
from app.documents import documents
from app.extensions import db
from app.flightops import after
from app.models import (
    Attendance,
    Booking,
    BookingState,
    CaseState,
    Flight,
    FlightStatus,
    GateOverride,
    MedicalCase,
    PlaceState,
    Questionnaire,
    Result,
    Segment,
    SegmentStatus,
    SessionPlace,
    TrainingSession,
    User,
)
from app.payments import installments, payments
from app.providers.payments import SandboxProvider
from app.timeutil import now_utc
from app.training import progress
from app.travel import details

DEFERRED = "Balance deferred to after the flight by written agreement (contract addendum 2)."
PRELUDE = "Kármán Prelude"
IVY = ("ivy@example.com", "Ivy Chen")
MAE = ("mae@example.com", "Mae Carter")


def seed_flightops(ops: User, tourist: User, yuri: User | None, flights: dict[str, Flight], *,
                   medic: User, instructor: User, new_tourist, confirmed_booking) -> None:
    """``new_tourist(email, name)`` makes (or finds) a demo tourist; ``confirmed_booking(flight,
    user, ops)`` gives them a seat with the consent signed and the deposit paid."""
    _override(ops, yuri, flights)
    twilight = flights.get("Kármán Twilight")
    if twilight is not None and not db.session.scalar(select(Booking.id).where(
            Booking.flight_id == twilight.id, Booking.user_id == new_tourist(IVY[0], IVY[1]).id)):
        _ready_tourist(twilight, new_tourist(*IVY), ops, medic, instructor, confirmed_booking)
        confirmed_booking(twilight, new_tourist(*MAE), ops)
    if PRELUDE not in flights and yuri is not None:
        _flown_flight(ops, tourist, yuri)


def _override(ops: User, yuri: User | None, flights: dict[str, Flight]) -> None:
    twilight = flights.get("Kármán Twilight")
    if twilight is None or yuri is None:
        return
    booking = db.session.scalar(select(Booking).where(
        Booking.flight_id == twilight.id, Booking.user_id == yuri.id, Booking.state == BookingState.CONFIRMED))
    if booking is None or db.session.scalar(select(GateOverride.id).where(
            GateOverride.booking_id == booking.id, GateOverride.gate == "paid")):
        return
    db.session.add(GateOverride(booking_id=booking.id, gate="paid", reason=DEFERRED, actor_id=ops.id))
    db.session.flush()


def _flown_flight(ops: User, tourist: User, yuri: User) -> None:
    now = now_utc().replace(second=0, microsecond=0)
    flight = Flight(name=PRELUDE, vehicle="Suborbital spaceplane SV-2", spaceport="Spaceport America, New Mexico",
                    description="The first flight of the season: a sunrise launch over the Jornada del Muerto.",
                    launch_at=now + timedelta(days=1), window_closes_at=now + timedelta(days=1, hours=6), seat_count=6,
                    currency="USD", price_minor=450_000_00, deposit_minor=150_000_00,
                    deposit_nonrefundable_minor=25_000_00, balance_due_days=90, status=FlightStatus.SCHEDULED)
    db.session.add(flight)
    db.session.flush()
    bookings = []
    for user in (tourist, yuri):
        booking = booking_service.hold_seat(flight.id, user)
        booking_service.transition(booking, BookingState.CONFIRMED, actor=ops, reason="demo data: deposit recorded")
        bookings.append(booking)
    # Ten days on: it flew.
    flight.launch_at = now - timedelta(days=10)
    flight.window_closes_at = flight.launch_at + timedelta(hours=6)
    db.session.flush()
    after.mark_flown(flight, flight.launch_at + timedelta(minutes=7), flight.launch_at + timedelta(minutes=19), ops)
    after.answer(bookings[1], after.Answers(5, 10, "Weightlessness, and the silence at apogee.",
                                            "A second window seat would have been nice."))


def _ready_tourist(flight: Flight, user: User, ops: User, medic: User, instructor: User, confirmed_booking) -> None:
    """Ivy: every gate of the matrix passed, as the services would record it."""
    confirmed_booking(flight, user, ops)
    booking = db.session.scalar(select(Booking).where(Booking.flight_id == flight.id, Booking.user_id == user.id))
    for status in documents.statuses([booking])[booking.id]:
        if not status.done:
            documents.accept(booking, user, version_id=status.current.id, language=user.language,
                             signed_name=user.name if status.kind.signed else "", ip_address="127.0.0.1",
                             user_agent="countdown seed-demo")
    if isinstance(payments.provider(), SandboxProvider):
        for payment in installments.plan_balance(booking, user, 1).payments:
            payments.pay_in_sandbox(installments.start_payment_by_hand(payment, user), "4242424242424242")
    now = now_utc()
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.published_at.is_not(None))
                                      .order_by(Questionnaire.version.desc()))
    if questionnaire is not None:
        db.session.add(MedicalCase(user_id=user.id, questionnaire_id=questionnaire.id, state=CaseState.CLEARED,
                                   submitted_at=now - timedelta(days=20), decided_at=now - timedelta(days=18),
                                   decided_by_id=medic.id, valid_until=(now + timedelta(days=365)).date()))
    plan = progress.plans_for_flights([flight])[flight.id]
    for n, item in enumerate(plan.items if plan else []):
        module = item.module
        starts = now - timedelta(days=25 - n)
        session = TrainingSession(module=module, starts_at=starts,
                                  ends_at=starts + timedelta(minutes=module.duration_minutes),
                                  timezone="America/Denver", place="Spaceport America training centre",
                                  capacity=4, instructors=[instructor])
        db.session.add(session)
        db.session.flush()
        db.session.add(SessionPlace(session_id=session.id, user_id=user.id, booking_id=booking.id,
                                    state=PlaceState.BOOKED, attendance=Attendance.PRESENT, result=Result.PASSED,
                                    score=96 if module.pass_mark else None, signed_off_at=session.ends_at,
                                    signed_off_by_id=instructor.id))
    details.save_arrival(booking, details.ArrivalData(mode="operator"))
    details.add_contact(user, details.ContactData("Wen Chen", "brother", "+14155550123"))
    details.save_document(user, details.DocumentData(
        name_as_printed="IVY CHEN", nationality="US", document_type="passport", number="X12345678",
        issuing_country="US", expires_on=(now + timedelta(days=3000)).date(),
        date_of_birth=user.date_of_birth or (now - timedelta(days=365 * 35)).date(), sex="F"))
    for segment in db.session.scalars(select(Segment).where(Segment.booking_id == booking.id)):
        segment.status = SegmentStatus.CONFIRMED
    db.session.flush()
