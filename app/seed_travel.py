"""Demo data: travel (``seed_travel``). On Kármán Twilight (six weeks out) the coordinator has set
up the group transfer, the arrival briefing and the launch-day transfer for everyone; Yuri comes
on his own flight and has given everything, his hotel confirmed; Sally's inbound flight is booked
by the operator, but she has given no emergency contact and her hotel is not confirmed yet. The
demo tourist, on Kármán Dawn, has given an emergency contact but not yet their arrival or travel
document; their hotel was planned before the launch slipped a day, and is flagged for the
coordinator."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, BookingState, Flight, Segment, User
from app.travel import details, itinerary

ZONE = "America/Denver"


def _local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)


def _day(launch: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time in New Mexico, ``days`` from the launch's local date."""
    local = launch.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=days)
    return datetime(local.year, local.month, local.day, hour, minute)


def _data(**kw) -> itinerary.SegmentData:
    kw.setdefault("start_timezone", ZONE)
    if kw.get("ends_local"):
        kw.setdefault("end_timezone", ZONE)
    return itinerary.SegmentData(**kw)


def _booking(flight: Flight, user: User) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.flight_id == flight.id, Booking.user_id == user.id,
                                                   Booking.state == BookingState.CONFIRMED))


def _passport(user: User, name: str, nationality: str, number: str, launch: datetime, years: int = 6) -> None:
    details.save_document(user, details.DocumentData(
        name_as_printed=name, nationality=nationality, document_type="passport", number=number,
        issuing_country=nationality, expires_on=(launch + timedelta(days=365 * years)).date(),
        date_of_birth=user.date_of_birth or datetime(1985, 6, 1).date(), sex="X"))


def seed_travel(coordinator: User, tourist: User, fillers: list[User], flights: dict[str, Flight]) -> bool:
    """Load the demo itineraries, once."""
    if db.session.scalar(select(func.count(Segment.id))):
        return False
    twilight, dawn = flights.get("Kármán Twilight"), flights.get("Kármán Dawn")
    if twilight is not None:
        launch = twilight.launch_at
        for data in (
            _data(kind="transfer", status="confirmed", from_place="Albuquerque Sunport (ABQ), arrivals hall",
                  to_place="Hotel Encanto, Las Cruces", vehicle="Coach, Zia Shuttles", phone="+15055550140",
                  confirmation_code="ZIA-2231", starts_local=_day(launch, -3, 16, 30)),
            _data(kind="event", status="confirmed", title="Arrival briefing and suit fitting",
                  from_place="Spaceport America, Gateway building", starts_local=_day(launch, -2, 10),
                  ends_local=_day(launch, -2, 13)),
            _data(kind="transfer", status="confirmed", from_place="Hotel Encanto lobby",
                  to_place="Spaceport America", vehicle="Coach, Zia Shuttles", phone="+15055550140",
                  confirmation_code="ZIA-2232", starts_local=_local(launch - timedelta(hours=5))),
        ):
            itinerary.add_template(twilight, data, coordinator)
        by_email = {u.email: u for u in fillers}
        yuri, sally = by_email.get("yuri@example.com"), by_email.get("sally@example.com")
        if yuri is not None and (booking := _booking(twilight, yuri)) is not None:
            details.save_arrival(booking, details.ArrivalData(
                mode="own", flight_number="UA 2261", airport="Albuquerque Sunport (ABQ)",
                arrives_local=_day(launch, -3, 14, 20), timezone=ZONE))
            details.add_contact(yuri, details.ContactData("Valentina Gagarina", "wife", "+79161234567",
                                                          "valentina@example.com"))
            _passport(yuri, "YURI GAGARIN", "RU", "753912840", launch)
            details.save_needs(yuri, "Vegetarian", "")
            itinerary.add_segment(booking, _data(
                kind="hotel", status="confirmed", title="Hotel Encanto", address="705 S Telshor Blvd, Las Cruces",
                confirmation_code="ENC-88412", starts_local=_day(launch, -3, 15), ends_local=_day(launch, 1, 11)),
                coordinator)
        if sally is not None and (booking := _booking(twilight, sally)) is not None:
            details.save_arrival(booking, details.ArrivalData(mode="operator"))
            _passport(sally, "SALLY RIDE", "US", "564738291", launch)
            itinerary.add_segment(booking, _data(
                kind="flight", status="confirmed", carrier="American Airlines", number="AA 1528",
                from_place="Dallas/Fort Worth (DFW)", to_place="Albuquerque Sunport (ABQ)", confirmation_code="QX7R2L",
                starts_local=_day(launch, -3, 11, 5), start_timezone="America/Chicago",
                ends_local=_day(launch, -3, 12, 10)), coordinator)
            itinerary.add_segment(booking, _data(
                kind="hotel", status="pending", title="Hotel Encanto", address="705 S Telshor Blvd, Las Cruces",
                starts_local=_day(launch, -3, 15), ends_local=_day(launch, 1, 11)), coordinator)
    if dawn is not None and (booking := _booking(dawn, tourist)) is not None:
        details.add_contact(tourist, details.ContactData("Jordan Rivers", "spouse", "+12025550188"))
        # Planned around the launch as first announced; it slipped a day since (see the seed's delay).
        planned = dawn.launch_at - timedelta(days=1)
        itinerary.add_template(dawn, _data(
            kind="hotel", status="on_hold", title="Hotel Encanto (block)", address="705 S Telshor Blvd, Las Cruces",
            confirmation_code="ENC-BLOCK-7", starts_local=_day(planned, -2, 15), ends_local=_day(planned, 0, 11)),
            coordinator)
        itinerary.flag_moved(dawn, planned)
    db.session.flush()
    return True
