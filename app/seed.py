"""Demo data for ``flask seed-demo``: flights, a consent document and one account per role."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts import accounts
from app.booking import bookings as booking_service
from app.booking import flights as flights_service
from app.documents import consent
from app.errors import ServiceError
from app.extensions import db
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    DocumentEvent,
    DocumentEventKind,
    Flight,
    FlightStatus,
    Role,
    SlipCause,
    User,
)
from app.payments import installments, payments
from app.providers.payments import SandboxProvider
from app.seed_desk import seed_desk
from app.seed_privacy import seed_privacy
from app.seed_documents import seed_documents
from app.seed_flightops import seed_flightops
from app.seed_medical import seed_questionnaire
from app.seed_training import seed_training
from app.seed_travel import seed_travel
from app.timeutil import now_utc

DEMO_PASSWORD = "countdown-demo"

DEMO_USERS = [
    ("tourist@example.com", "Ada Lovelace", Role.TOURIST),
    ("medic@example.com", "Dr. Mae Jemison", Role.MEDICAL),
    ("instructor@example.com", "Chris Hadfield", Role.INSTRUCTOR),
    ("coordinator@example.com", "Valentina Rossi", Role.LOGISTICS),
    ("ops@example.com", "Gene Kranz", Role.OPERATIONS),
]

CONSENT_TITLE = "Informed consent: spaceflight participant risk disclosure"


def _paragraphs(text: str) -> str:
    """Join the lines of each paragraph: the page wraps the text to its own width."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n")) + "\n"


CONSENT_TEXT = _paragraphs("""\
Before you fly, and before we accept any payment from you, United States law (14 CFR 460.45)
requires us to tell you about the risks of this flight in writing, and to have your signed consent.

1. Known hazards. Launch and reentry are dangerous. You may be seriously injured or killed. Known
hazards include, among others: explosion or fire of the vehicle; loss of cabin pressure; failure of
the vehicle's structure, engines, parachutes or landing systems; high acceleration and deceleration
forces; exposure to noise, vibration and radiation; motion sickness; and injury during emergency
exit, landing or recovery.

2. Unknown hazards. There are hazards that are not known. Human spaceflight is new and the
experience with it is limited.

3. No government certification. The United States Government has not certified the launch
vehicle or any reentry vehicle as safe for carrying flight crew or spaceflight participants.

4. Safety record. The total number of people who have been on a suborbital or orbital space
flight, and the number who died or were seriously injured on those flights, are published and
kept up to date in the safety record attached to this disclosure. It also gives the number of
flights of this vehicle type, and any failures of this vehicle, including those without people
on board. Ask us for anything in it you would like explained.

5. Your questions. You may ask us any question about these risks, in writing, before you sign.
We will answer in writing, and you will see our answer here.

By signing you confirm that you have read and understood this disclosure, that you had the
opportunity to ask questions, and that you consent to take part in the flight.
""")

DEMO_FLIGHTS = [
    # name, vehicle, spaceport, days from now, window hours, seats, currency, price, deposit, non-refundable, balance days, description
    ("Kármán Dawn", "Suborbital spaceplane SV-2", "Spaceport America, New Mexico", 120, 72, 6, "USD",
     450_000_00, 150_000_00, 25_000_00, 90,
     "A suborbital flight above the Kármán line: about four minutes of weightlessness and the curve of the Earth."),
    ("Stratos Sunrise", "Stratospheric balloon Neptune", "Space Coast Spaceport, Florida", 75, 48, 8, "USD",
     125_000_00, 25_000_00, 5_000_00, 60,
     "A six-hour balloon ascent to 30 km to watch the sunrise over the curvature of the Earth."),
    ("Aurora Orbit 3", "Crew capsule Aurora", "Kennedy Space Center LC-39A, Florida", 240, 96, 4, "USD",
     55_000_000_00, 10_000_000_00, 1_000_000_00, 120,
     "Three days in low Earth orbit with a cupola for viewing."),
    ("Polar Light", "Stratospheric balloon Boreas", "Esrange Space Center, Sweden", 150, 72, 8, "EUR",
     110_000_00, 20_000_00, 4_000_00, 60,
     "A winter balloon flight into the polar night, under the aurora."),
    ("Kármán Twilight", "Suborbital spaceplane SV-2", "Spaceport America, New Mexico", 45, 72, 4, "USD",
     450_000_00, 150_000_00, 25_000_00, 30,
     "A dusk suborbital flight (four seats on this rotation)."),
]

#: The demo flights' descriptions in German (the others show the English).
GERMAN_DESCRIPTIONS = {
    "Kármán Dawn": "Ein suborbitaler Flug über die Kármán-Linie: etwa vier Minuten Schwerelosigkeit und die "
                   "Krümmung der Erde.",
    "Stratos Sunrise": "Ein sechsstündiger Ballonaufstieg auf 30 km, um den Sonnenaufgang über der Erdkrümmung "
                       "zu sehen.",
    "Aurora Orbit 3": "Drei Tage im niedrigen Erdorbit, mit einer Kuppel für den Ausblick.",
    "Polar Light": "Ein Ballonflug im Winter in die Polarnacht, unter dem Polarlicht.",
    "Kármán Twilight": "Ein suborbitaler Flug in der Abenddämmerung (vier Plätze in diesem Umlauf).",
}

SEAT_FILLERS = [
    ("yuri@example.com", "Yuri Tanaka"),
    ("sally@example.com", "Sally Rivera"),
]


def _user(email: str, name: str, role: Role) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, role=role, phone="+12025550100",
            date_of_birth=date(1985, 6, 1) if role is Role.TOURIST else None,
        )
    return user


def _confirmed_booking(flight: Flight, user: User, ops: User) -> None:
    """A booking whose consent was signed and whose deposit was paid (in the sandbox, as a
    tourist would; with a real provider the deposit is only recorded on the booking). Made once:
    a booking the tourist or operations later cancelled is not made again."""
    ever_booked = db.session.scalar(select(func.count(Booking.id)).where(
        Booking.flight_id == flight.id, Booking.user_id == user.id))
    if ever_booked:
        return
    booking = booking_service.hold_seat(flight.id, user)
    version = consent.current_document()
    text = version.text_in(user.language)
    db.session.add(Acceptance(
        booking_id=booking.id, user_id=user.id, document_id=version.document_id, version_id=version.id,
        version=version.version, language=text.language, text_sha256=text.sha256,
        signed_name=user.name, ip_address="127.0.0.1", user_agent="countdown seed-demo",
    ))
    db.session.add(DocumentEvent(booking_id=booking.id, document_id=version.document_id, version_id=version.id,
                                 language=text.language, kind=DocumentEventKind.SIGNED, actor_id=user.id))
    db.session.flush()
    if isinstance(payments.provider(), SandboxProvider):
        payments.pay_in_sandbox(payments.start_deposit(booking, user), "4242424242424242")
    else:
        booking_service.transition(booking, BookingState.CONFIRMED, actor=ops, reason="demo data: deposit recorded")


def _demo_notifications(flight: Flight, tourist: User, ops: User) -> None:
    """A balance plan (so reminders are scheduled) and a launch that slipped by a day for the
    weather (so the tourist is told at once, by email and in the app, and the flight's schedule
    history shows it), as happens to real flights."""
    booking = booking_service.live_booking(flight.id, tourist.id)
    if booking is None or booking.state is not BookingState.CONFIRMED:
        return
    installments.plan_balance(booking, tourist, 1)
    flights_service.move_launch(
        flight, flight.launch_at + timedelta(days=1), flight.window_closes_at + timedelta(days=1), SlipCause.WEATHER,
        "High-altitude winds over the range: the launch moves by a day.", ops)


class _Skipped(list):
    def attempt(self, what: str, action) -> None:
        """Make one piece of demo data in a savepoint. If a rule refuses it now (the demo was used:
        a flight cancelled or full, a seat given up), leave that piece out and say so."""
        try:
            with db.session.begin_nested():
                action()
        except ServiceError as exc:
            self.append(f"{what}: {exc.message}")


def seed_demo() -> str:
    """Load what is missing of the demo data; safe to run again, whatever the demo was used for."""
    skipped = _Skipped()
    users = {email: _user(email, name, role) for email, name, role in DEMO_USERS}
    ops = users["ops@example.com"]
    seed_questionnaire(users["medic@example.com"])
    if consent.current_document() is None:
        consent.publish_document(
            title=CONSENT_TITLE, body=CONSENT_TEXT, resign_required=True,
            change_summary="First version.", actor=ops,
        )
    created = 0
    if not db.session.scalar(select(func.count(Flight.id))):
        now = now_utc().replace(minute=0, second=0, microsecond=0)
        for (name, vehicle, port, days, window_h, seats, cur, price, dep, nonref, due, desc) in DEMO_FLIGHTS:
            launch = (now + timedelta(days=days)).replace(hour=15)
            db.session.add(Flight(
                name=name, vehicle=vehicle, spaceport=port, description=desc, launch_at=launch,
                window_closes_at=launch + timedelta(hours=window_h), seat_count=seats, currency=cur,
                price_minor=price, deposit_minor=dep, deposit_nonrefundable_minor=nonref,
                balance_due_days=due, status=FlightStatus.SCHEDULED,
                texts={"de": {"description": GERMAN_DESCRIPTIONS[name]}} if name in GERMAN_DESCRIPTIONS else {},
            ))
            created += 1
        db.session.flush()
    flights = {f.name: f for f in db.session.scalars(select(Flight))}
    if "Kármán Dawn" in flights:
        tourist = users["tourist@example.com"]
        skipped.attempt("the demo tourist's seat on Kármán Dawn",
                        lambda: _confirmed_booking(flights["Kármán Dawn"], tourist, ops))
        if created:
            skipped.attempt("the demo balance plan and delay",
                            lambda: _demo_notifications(flights["Kármán Dawn"], tourist, ops))
    if "Kármán Twilight" in flights:
        for email, name in SEAT_FILLERS:
            filler = _user(email, name, Role.TOURIST)
            skipped.attempt(f"{name}'s seat on Kármán Twilight",
                            lambda: _confirmed_booking(flights["Kármán Twilight"], filler, ops))
    fillers = [u for u in (accounts.find_by_email(email) for email, _name in SEAT_FILLERS) if u is not None]
    trained = seed_training(users["instructor@example.com"], ops, users["tourist@example.com"], fillers, flights)
    seed_documents(ops, users["tourist@example.com"], fillers)
    skipped.attempt("the demo itineraries", lambda: seed_travel(
        users["coordinator@example.com"], users["tourist@example.com"], fillers, flights))
    skipped.attempt("the readiness matrix's tourists and the flown flight", lambda: seed_flightops(
        ops, users["tourist@example.com"], accounts.find_by_email("yuri@example.com"), flights,
        medic=users["medic@example.com"], instructor=users["instructor@example.com"],
        new_tourist=lambda email, name: _user(email, name, Role.TOURIST),
        confirmed_booking=_confirmed_booking))
    skipped.attempt("the desk's conversations", lambda: seed_desk(
        ops, users["tourist@example.com"], medic=users["medic@example.com"],
        instructor=users["instructor@example.com"], coordinator=users["coordinator@example.com"]))
    skipped.attempt("the privacy requests", lambda: seed_privacy(
        ops, users["tourist@example.com"], new_tourist=lambda email, name: _user(email, name, Role.TOURIST)))
    bookings = db.session.scalar(select(func.count(Booking.id)))
    summary = (f"Demo data ready: {len(users)} role accounts (password {DEMO_PASSWORD!r}), "
               f"{created} new flights, {bookings} bookings" + (", documents, training modules, plans and sessions." if trained else "."))
    if skipped:
        summary += " Left as the demo was used: " + "; ".join(skipped) + "."
    return summary
