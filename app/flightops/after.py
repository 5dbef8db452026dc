"""After the flight: operations mark it flown with its actual times; each confirmed booking becomes
flown (a hold still open is released), pending reminders are dropped, and each tourist is told,
with their certificate (a PDF with their name, the flight, the vehicle and the date) and a short
survey whose answers operations read per flight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.booking import bookings as booking_service
from app.booking import flights as flight_service
from app.errors import Problems, ServiceError
from app.extensions import db
from app.i18n import gettext as _
from app.messaging import reminders
from app.models import Booking, BookingState, Feedback, Flight, FlightOutcome, FlightStatus, User
from app.timeutil import now_utc

#: How long after its planned launch a flight can lift off (a window of a fortnight at most, and
#: scrubs): anything later is a typing error.
LATEST_AFTER_PLAN = timedelta(days=60)
#: The longest answer of the survey's two questions in words.
ANSWER_MAX = 2000


def mark_flown(flight: Flight, lifted_off_at: datetime, landed_at: datetime, actor: User) -> int:
    """Record that the flight flew: its actual liftoff and landing, the flight "flown", each
    confirmed booking "flown" (told, with the certificate and the survey), each open hold
    released. Returns how many tourists flew. The caller commits."""
    flight = booking_service.lock_flight(flight.id)  # two operators at once: the second is refused
    if flight.status in (FlightStatus.FLOWN, FlightStatus.CANCELLED):
        raise ServiceError(_("This flight is already flown or was cancelled."))
    now = now_utc()
    problems = Problems()
    if lifted_off_at > now:
        problems.add(_("The liftoff must have happened: give a time in the past."), "lifted_off_at")
    elif lifted_off_at > flight.launch_at + LATEST_AFTER_PLAN or lifted_off_at < flight.launch_at - timedelta(days=1):
        problems.add(_("Check the date: the flight was planned to launch on %(date)s.",
                       date=flight.launch_at.date().isoformat()), "lifted_off_at")
    if landed_at <= lifted_off_at:
        problems.add(_("The landing comes after the liftoff."), "landed_at")
    elif landed_at > now:
        problems.add(_("The landing must have happened: give a time in the past."), "landed_at")
    problems.raise_any()
    data = {key: getattr(flight, key) for key in flight_service.FIELDS}
    data["status"] = FlightStatus.FLOWN
    flight_service.update_flight(flight, data, actor)
    db.session.add(FlightOutcome(flight_id=flight.id, lifted_off_at=lifted_off_at, landed_at=landed_at,
                                 recorded_by_id=actor.id, recorded_at=now))
    flew = 0
    for booking in db.session.scalars(select(Booking).where(
            Booking.flight_id == flight.id, Booking.state.in_([BookingState.HELD, BookingState.CONFIRMED]))
            .order_by(Booking.id)).all():
        if booking.state is BookingState.CONFIRMED:
            booking_service.transition(booking, BookingState.FLOWN, actor=actor, reason="flight flown")
            reminders.notify("flight_flown", booking, context={})
            flew += 1
        else:
            booking_service.transition(booking, BookingState.CANCELLED, actor=actor, reason="flight flown")
        reminders.sync(booking)  # what was still to come for this booking is dropped
    db.session.flush()
    return flew


def outcome_of(flight_id: int) -> FlightOutcome | None:
    return db.session.get(FlightOutcome, flight_id)


# -- the survey -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answers:
    overall: int | None
    recommend: int | None
    best: str
    improve: str


def answer(booking: Booking, answers: Answers) -> Feedback:
    """The tourist's answers to the survey of their flown booking, once. The caller commits."""
    if booking.state is not BookingState.FLOWN:
        raise ServiceError(_("The survey opens once your flight has flown."))
    if db.session.scalar(select(Feedback.id).where(Feedback.booking_id == booking.id)):
        raise ServiceError(_("You have answered the survey already: thank you."))
    problems = Problems()
    if answers.overall is None or not 1 <= answers.overall <= 5:
        problems.add(_("Choose from 1 to 5."), "overall")
    if answers.recommend is None or not 0 <= answers.recommend <= 10:
        problems.add(_("Choose from 0 to 10."), "recommend")
    for name, text in (("best", answers.best), ("improve", answers.improve)):
        if len(text or "") > ANSWER_MAX:
            problems.add(_("Keep it under %(count)s characters.", count=ANSWER_MAX), name)
    problems.raise_any()
    feedback = Feedback(booking_id=booking.id, flight_id=booking.flight_id, overall=answers.overall,
                        recommend=answers.recommend, best=(answers.best or "").strip(),
                        improve=(answers.improve or "").strip(), created_at=now_utc())
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError:  # the same answers sent twice at once: the first stands
        raise ServiceError(_("You have answered the survey already: thank you.")) from None
    return feedback


def feedback_of(booking_id: int) -> Feedback | None:
    return db.session.scalar(select(Feedback).where(Feedback.booking_id == booking_id))


@dataclass(frozen=True)
class Summary:
    """A flight's answers: how many of how many flown, the average rating, the net promoter score
    (promoters, 9 and 10, less detractors, 0 to 6, as a share of all), and the answers."""

    answered: int
    flown: int
    average: float | None
    nps: int | None
    answers: list[tuple[Feedback, Booking]]


def summary(flight: Flight) -> Summary:
    rows = db.session.execute(
        select(Feedback, Booking).join(Booking, Booking.id == Feedback.booking_id)
        .where(Feedback.flight_id == flight.id).options(selectinload(Booking.user))
        .order_by(Feedback.created_at.desc())).all()
    flown = db.session.scalar(select(func.count(Booking.id)).where(
        Booking.flight_id == flight.id, Booking.state == BookingState.FLOWN)) or 0
    answers = [(f, b) for f, b in rows]
    if not answers:
        return Summary(0, flown, None, None, [])
    scores = [f.recommend for f, _b in answers]
    nps = round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores))
    return Summary(len(answers), flown, sum(f.overall for f, _b in answers) / len(answers), nps, answers)
