"""The coordinator's lists filter and count in SQL (app.travel.status's clauses, app.travel.day):
they must say, booking by booking, exactly what the travel status computed in Python says (the
tourist's page, the journey's gate and a tourist's file read that one), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Booking, Role, Segment, SegmentStatus, TravelProfile
from app.timeutil import UTC
from app.travel import day, details, itinerary, labels, status
from tests.conftest import Factory, utc


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def _document(booking: Booking, expires_on) -> None:
    user = booking.user
    details.save_document(user, details.DocumentData(
        name_as_printed=user.name, nationality="DE", document_type="passport", number="C01X00T47",
        issuing_country="DE", expires_on=expires_on, date_of_birth=user.date_of_birth, sex="F"))


def _segment(make: Factory, booking: Booking, *, kind="hotel", status_="confirmed", days_before=2, days_after=1):
    launch = booking.flight.launch_at.replace(tzinfo=None)
    fields = {"title": "Hotel Andaluz", "address": "125 2nd St NW"} if kind == "hotel" else {
        "carrier": "Lufthansa", "number": "LH 400", "from_place": "FRA", "to_place": "ABQ"}
    return itinerary.add_segment(booking, itinerary.SegmentData(
        kind=kind, status=status_, starts_local=launch - timedelta(days=days_before), start_timezone="UTC",
        ends_local=launch + timedelta(days=days_after), end_timezone="UTC", **fields), make.user(Role.LOGISTICS))


def _world(make: Factory) -> dict[str, Booking]:
    """A booking per way of owing something, or nothing, all on flights in the next 90 days."""
    cases: dict[str, Booking] = {}

    def booking(name: str, days: int = 30) -> Booking:
        cases[name] = make.booking(days=days)
        return cases[name]

    booking("nothing given")
    make.travel(booking("all confirmed"))
    make.travel(booking("hotel pending"), confirmed=False)
    b = booking("flagged")
    segment = make.travel(b)
    segment.flag = "ends_after_launch"
    b = booking("only a cancelled segment")
    make.travel(b)
    db.session.scalars(select(Segment).where(Segment.booking_id == b.id)).one().status = SegmentStatus.CANCELLED
    b = booking("lands after the launch")  # given before the launch moved earlier
    make.travel(b)
    details.save_arrival(b, details.ArrivalData(
        mode="own", flight_number="UA 1", airport="ABQ", timezone="UTC",
        arrives_local=(b.flight.launch_at - timedelta(hours=3)).astimezone(UTC).replace(tzinfo=None)))
    b.flight.launch_at -= timedelta(hours=4)
    b = booking("lands before the launch")
    make.travel(b)
    details.save_arrival(b, details.ArrivalData(
        mode="own", flight_number="UA 1", airport="ABQ", timezone="UTC",
        arrives_local=(b.flight.launch_at - timedelta(days=1)).astimezone(UTC).replace(tzinfo=None)))
    b = booking("declined a contact")
    make.travel(b)
    for contact in details.contacts_of(b.user_id):
        details.remove_contact(b.user, contact.id)
    details.decline_contacts(b.user)
    b = booking("no contact")
    make.travel(b)
    for contact in details.contacts_of(b.user_id):
        details.remove_contact(b.user, contact.id)
    db.session.add(TravelProfile(user_id=b.user_id, dietary="vegan"))  # a profile, but no decline
    # The document against the return: the window's close, or a later segment's end.
    b = booking("document expires the day before the window closes")
    make.travel(b)
    _document(b, b.flight.window_closes_at.astimezone(UTC).date() - timedelta(days=1))
    b = booking("document expires the day the window closes")
    make.travel(b)
    _document(b, b.flight.window_closes_at.astimezone(UTC).date())
    b = booking("document expires before the last segment ends")
    make.travel(b)
    _segment(make, b, days_before=1, days_after=6)
    _document(b, b.flight.launch_at.astimezone(UTC).date() + timedelta(days=4))
    b = booking("document outlives a cancelled late segment")
    make.travel(b)
    late = _segment(make, b, days_before=1, days_after=20)
    late.status = SegmentStatus.CANCELLED
    _document(b, b.flight.launch_at.astimezone(UTC).date() + timedelta(days=4))
    b = booking("a flight in, pending")
    make.travel(b)
    _segment(make, b, kind="flight", status_="pending", days_before=3, days_after=-2)
    booking("held, nothing given", days=40)
    db.session.flush()
    return cases


def test_the_sql_lists_say_what_each_travel_status_says(ctx, make):
    cases = _world(make)
    bookings = list(cases.values())
    python = status.statuses(bookings)
    names = {b.id: name for name, b in cases.items()}
    in_python = {names[i] for i, s in python.items() if s.tourist_missing}
    # Every case is told apart from its neighbour (the world tests the boundaries it names).
    assert in_python == {"nothing given", "lands after the launch", "no contact",
                         "document expires the day before the window closes",
                         "document expires before the last segment ends", "held, nothing given"}
    owed, count = day.still_owed()
    assert {names[s.booking_id] for s in owed} == in_python
    # ... and what each owes, in the same order.
    assert {s.booking_id: s.tourist_missing for s in owed} == {
        i: s.tourist_missing for i, s in python.items() if s.tourist_missing}
    assert count == len(in_python)
    # The soonest launches first, a page of them, the count over all.
    first, count = day.still_owed(limit=2)
    assert [s.booking_id for s in first] == [s.booking_id for s in owed[:2]] and count == len(in_python)

    confirmed = {names[i] for i, s in python.items() if s.confirmed}
    assert confirmed == {"all confirmed", "lands before the launch", "declined a contact",
                         "document expires the day the window closes", "document outlives a cancelled late segment"}
    flights = {b.flight_id: names[b.id] for b in bookings}
    counts = day.confirmed_counts(list(flights))
    assert {flights[f] for f, (total, ready) in counts.items() if ready} == confirmed
    assert all(total == 1 for total, _ready in counts.values())

    # The journey's gate reads a summary of the same, in one query.
    summaries = status.summaries(bookings)
    assert {i: (s.tourist_missing, s.confirmed, s.live, s.unconfirmed, s.flagged) for i, s in summaries.items()} == {
        i: (s.tourist_missing, s.confirmed, len(s.live_segments), len(s.unconfirmed), len(s.flagged))
        for i, s in python.items()}

    to_arrange = {seg.id for seg in day.to_arrange()[0]}
    assert to_arrange == {seg.id for s in python.values() for seg in s.live_segments
                          if seg.status is not SegmentStatus.CONFIRMED or seg.flag}
    assert {names[seg.booking_id] for seg in day.to_arrange()[0]} == {"hotel pending", "flagged", "a flight in, pending"}


def test_lists_keep_to_the_next_90_days_or_the_chosen_flight(ctx, make):
    soon, later = make.booking(days=20), make.booking(days=120)
    make.travel(soon, confirmed=False)
    make.travel(later, confirmed=False)
    assert [s.booking_id for s in day.still_owed()[0]] == []
    assert [seg.booking_id for seg in day.to_arrange()[0]] == [soon.id]
    assert [seg.booking_id for seg in day.to_arrange(later.flight_id)[0]] == [later.id]
    assert [f.id for f in day.upcoming_flights() if f.id in (soon.flight_id, later.flight_id)] == [
        soon.flight_id, later.flight_id]  # the filter offers every flight still to launch, soonest first


def test_a_page_that_read_the_tourists_details_gets_the_same_statuses(ctx, make):
    """The tourist's page gives the statuses what it read already (document, profile, contacts)."""
    cases = _world(make)
    for name in ("declined a contact", "no contact", "document expires before the last segment ends", "nothing given"):
        booking = cases[name]
        user = booking.user
        known = status.Known(user.id, details.document_of(user.id), details.profile_of(user),
                             len(details.contacts_of(user.id)))
        full, given = status.statuses([booking])[booking.id], status.statuses([booking], known)[booking.id]
        assert (given.missing, given.contacts, given.declined, given.document) == (
            full.missing, full.contacts, full.declined, full.document), name


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_travel_gate_says_for_each_booking_what_its_summary_says(app, db_session, make, language):
    """The gate translates its words once per page: each cell must still read, in the reader's
    language, what its own booking's summary says (and link to its own file)."""
    from flask import url_for
    from flask_babel import gettext, refresh

    from app.readiness import Audience, GateStatus, readiness_for

    with app.test_request_context("/", headers={"Accept-Language": language}):
        refresh()
        cases = _world(make)
        _segment(make, make.booking(days=30), status_="pending")  # "0 of 1 segments confirmed"
        bookings = [b for b in db_session.scalars(select(Booking)) if b.holds_seat()]
        summaries = status.summaries(bookings)
        staff = readiness_for(bookings, Audience.STAFF)
        tourist = readiness_for(bookings, Audience.TOURIST)
        said = set()
        for booking in bookings:
            mine = summaries[booking.id]
            items = ", ".join(str(labels.MISSING[m]) for m in mine.tourist_missing)
            staff_gate, tourist_gate = staff[booking.id].gate("travel"), tourist[booking.id].gate("travel")
            assert staff_gate.label == tourist_gate.label == gettext("Travel confirmed")
            assert language == "en" or staff_gate.label != "Travel confirmed"
            assert staff_gate.url == url_for("travel.logistics.booking", reference=booking.reference)
            assert tourist_gate.url == url_for("travel.tourist.index")
            if mine.confirmed:
                expected = (GateStatus.DONE, gettext("Itinerary confirmed; details on file."),
                            gettext("Your itinerary is confirmed and your details are on file."))
            elif mine.tourist_missing:
                expected = (GateStatus.ACTION, gettext("The tourist has still to give: %(items)s.", items=items),
                            gettext("Still to give: %(items)s.", items=items))
            elif not mine.live:
                expected = (GateStatus.WAITING, gettext("Itinerary to build."),
                            gettext("Thank you for your details. Your coordinator is building your itinerary."))
            else:
                done = mine.live - mine.unconfirmed
                expected = (GateStatus.WAITING,
                            gettext("%(done)s of %(count)s segments confirmed.", done=done, count=mine.live),
                            gettext("Your coordinator is confirming your itinerary: %(done)s of %(count)s "
                                    "confirmed.", done=done, count=mine.live))
            assert (staff_gate.status, staff_gate.reason, tourist_gate.reason) == expected
            said.add(staff_gate.reason)
        assert len(said) >= 5 and len(cases) > 5  # every wording, several lists of what is missing


def test_the_next_days_with_arrivals_are_counted_per_local_day_soonest_first(ctx, make):
    """Read in arrival order and only as far as the days shown: a day's count must still be whole."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    start = datetime.combine(utc(2030, 1, 1).date(), time(0), tzinfo=UTC)
    # Late on the 3rd in UTC is the 4th in Tokyo; given out of order; one after the window.
    for hours in (70, 49, 2, 50, 23, 75, 90 * 24 + 1):
        booking = make.booking(days=4000)
        details.save_arrival(booking, details.ArrivalData(
            mode="own", flight_number="LH 1", airport="HND", timezone="UTC",
            arrives_local=(start + timedelta(hours=hours)).replace(tzinfo=None)))
    details.save_arrival(make.booking(days=4000), details.ArrivalData(mode="operator", timezone="UTC"))
    db.session.flush()
    first = start.date()
    assert day.arrival_days(start, "UTC") == [(first, 2), (first + timedelta(days=2), 3),
                                              (first + timedelta(days=3), 1)]
    assert day.arrival_days(start, "UTC", limit=2) == [(first, 2), (first + timedelta(days=2), 3)]
    tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
    assert day.arrival_days(start, "Asia/Tokyo") == [(tokyo.date(), 1), (tokyo.date() + timedelta(days=1), 1),
                                                     (tokyo.date() + timedelta(days=2), 2),
                                                     (tokyo.date() + timedelta(days=3), 2)]


def test_the_lists_medical_column_says_what_the_medical_status_says(ctx, make):
    """The coordinator's lists read each booking's medical status as a column of their own query
    (medicine's SQL): it must say what the statuses worked out in Python say, newest case first."""
    from datetime import datetime, time

    from app.medical import cases as medical
    from app.models import CaseState, Flight, MedicalCase
    from blueprints.travel.logistics import medical_status

    questionnaire = make.questionnaire()
    bookings: dict[str, Booking] = {}

    def booking(name: str, *states: tuple[CaseState, int | None], days: int = 30) -> None:
        """A booking whose tourist has these cases, oldest first: a state, and a clearance's last day
        counted from the launch's day (0: the launch's day)."""
        b = bookings[name] = make.booking(days=days)
        launch_day = b.flight.launch_at.astimezone(UTC).date()
        for state, until in states:
            db.session.add(MedicalCase(user_id=b.user_id, questionnaire_id=questionnaire.id, state=state,
                                       valid_until=None if until is None else launch_day + timedelta(days=until)))
            db.session.flush()

    S = CaseState
    booking("no case")
    booking("answering", (S.ANSWERING, None))
    booking("waiting for review", (S.SUBMITTED, None))
    booking("information requested", (S.INFO_REQUESTED, None))
    booking("cleared through the launch day", (S.CLEARED, 0))
    booking("cleared, ends the day before", (S.CLEARED, -1))
    booking("restricted, valid", (S.RESTRICTED, 10))
    booking("restricted, ends before", (S.RESTRICTED, -5))
    booking("cleared without an end", (S.CLEARED, None))
    booking("not cleared", (S.NOT_CLEARED, None))
    booking("renewing after a clearance", (S.CLEARED, 100), (S.ANSWERING, None))
    booking("cleared after a refusal", (S.NOT_CLEARED, None), (S.CLEARED, 3))
    booking("refused after a clearance", (S.CLEARED, 3), (S.NOT_CLEARED, None))
    booking("a later launch, cleared", (S.CLEARED, 0), days=45)
    # Launching late in the day in UTC: the launch's day is the UTC one.
    late = make.booking(days=20)
    late.flight.launch_at = datetime.combine(late.flight.launch_at.date(), time(23, 30), tzinfo=UTC)
    db.session.add(MedicalCase(user_id=late.user_id, questionnaire_id=questionnaire.id, state=S.CLEARED,
                               valid_until=late.flight.launch_at.date()))
    bookings["cleared through a late launch's day"] = late
    db.session.flush()

    column = medical.launch_clearance_sql(Booking.user_id, Flight.launch_at)
    ids = [b.id for b in bookings.values()]
    in_sql = dict(db.session.execute(select(Booking.id, column).join(Booking.flight).where(Booking.id.in_(ids))).all())
    in_python = medical_status(list(bookings.values()))
    names = {b.id: name for name, b in bookings.items()}
    assert {names[i]: s for i, s in in_sql.items()} == {names[i]: s for i, s in in_python.items()}
    assert {names[i] for i, s in in_sql.items() if s == "cleared"} == {
        "cleared through the launch day", "restricted, valid", "cleared after a refusal", "a later launch, cleared",
        "cleared through a late launch's day"}
    assert {names[i] for i, s in in_sql.items() if s == "not_cleared"} == {"not cleared", "refused after a clearance"}


def test_the_tourists_own_details_in_one_statement_are_what_each_reader_gives(ctx, make):
    """The tourist's page reads their document, needs and contacts in one statement: the same as
    the three readers give, with no contact, one, or several (a row each), with or without the rest."""
    nobody = make.user()
    everything = make.booking(days=30)
    make.travel(everything)  # a document and a contact
    for n in range(2):
        details.add_contact(everything.user, details.ContactData(f"Friend {n}", "friend", f"+1505555010{n + 1}"))
    details.save_needs(everything.user, "vegan", "")
    declined = make.user()
    details.decline_contacts(declined)
    db.session.flush()
    for user in (nobody, everything.user, declined):
        db.session.expire_all()
        document, profile, contacts = details.own_details(user.id)
        assert (document, profile, contacts) == (details.document_of(user.id), details.profile_of(user),
                                                 details.contacts_of(user.id))
    assert len(details.own_details(everything.user.id)[2]) == 3
    assert details.own_details(nobody.id) == (None, None, [])


def test_the_next_days_with_arrivals_say_what_each_days_arrivals_say(ctx, make):
    """The arrival days' statement works each arrival out in SQL: it must count, day by day, the
    arrivals the day's list works out in Python (the last itinerary flight landing before the
    launch, or else the own inbound flight), on awkward itineraries."""
    from datetime import datetime, time

    from app.models import BookingState

    coordinator = make.user(Role.LOGISTICS)
    today = datetime.combine(make.booking(days=1).flight.launch_at.date(), time(0), tzinfo=UTC)

    def trip(own_days=None, flights=(), days=12, state=None):
        booking = make.booking(days=days)
        launch = booking.flight.launch_at
        if own_days is not None:
            details.save_arrival(booking, details.ArrivalData(
                mode="own", flight_number="UA 1", airport="ABQ", timezone="UTC",
                arrives_local=(today + timedelta(days=own_days, hours=9)).replace(tzinfo=None)))
        for lands_days, status_ in flights:  # days from today (negative: before today)
            lands = today + timedelta(days=lands_days, hours=15)
            itinerary.add_segment(booking, itinerary.SegmentData(
                kind="flight", status=status_, carrier="Air", number="AB 1", from_place="FRA", to_place="ABQ",
                starts_local=(lands - timedelta(hours=8)).replace(tzinfo=None), start_timezone="UTC",
                ends_local=lands.replace(tzinfo=None), end_timezone="UTC"), coordinator)
        if state is not None:
            booking.state = state
        assert launch > today
        return booking

    trip(own_days=2)                                          # own arrival only
    trip(own_days=3, flights=[(5, "confirmed")])              # the itinerary flight wins over the own one
    trip(own_days=4, flights=[(-2, "confirmed")])             # ... even when it lands before the window
    trip(own_days=4, flights=[(6, "cancelled")])              # a cancelled flight does not count
    trip(own_days=6, flights=[(20, "pending")])               # a flight after the launch: the own arrival
    trip(flights=[(7, "pending"), (8, "confirmed")])          # connecting flights: the last one
    trip(flights=[(9, "confirmed")], own_days=None)           # a flight only
    trip(own_days=9, state=BookingState.CANCELLED)            # not live
    trip(own_days=200, days=300)                              # after the window
    db.session.flush()
    counted = dict(day.arrival_days(today, "UTC", limit=100))
    listed = {}
    for offset in range(0, 30):
        start = today + timedelta(days=offset)
        arrivals, _departures = day.movements(start, start + timedelta(days=1))
        if arrivals:
            listed[start.date()] = len(arrivals)
    assert counted == listed
    assert counted == {(today + timedelta(days=d)).date(): 1 for d in (2, 4, 5, 6, 8, 9)}
    # The day's page reads them with the flights its filter offers, in one statement.
    flights, days = day.navigation(today, "UTC", limit=100)
    assert days == list(counted.items())
    assert [(f.id, f.name, f.launch_at) for f in flights] == [(f.id, f.name, f.launch_at) for f in day.upcoming_flights()]


def test_the_tourists_page_reads_the_same_bookings_arrivals_companions_and_changes_in_one_statement(ctx, make):
    """``details.trips`` says what ``holding_seats``, ``arrival_of``, ``segments_of``,
    ``companions_of`` and ``changes_of`` say, on awkward data: bookings with and without an arrival, several companions
    and none, changes on one booking only, a hold run out, a cancelled booking, a flown flight."""
    from app.booking import bookings as booking_service
    from app.models import BookingState, FlightStatus
    from tests.core.test_queries import count_queries

    tourist = make.user()
    first = make.booking(tourist, days=40)
    second = make.booking(tourist, days=90)
    held = make.booking(tourist, days=120, confirmed=False)
    make.travel(first)
    details.save_arrival(held, details.ArrivalData(mode="operator"))
    for name, band in (("Ann", "adult"), ("Tim", "child"), ("Zoë", "teen")):
        details.add_companion(second, details.CompanionData(name, "family", band, ""))
    details.add_companion(held, details.CompanionData("Bo", "friend", "adult", "+49 30 1234567"))
    _segment(make, second)  # changes on both (make.travel adds a segment too), none on the held one
    expired = make.booking(tourist, days=60, confirmed=False)
    expired.hold_expires_at = utc(2020, 1, 1)
    cancelled = make.booking(tourist, days=70)
    booking_service.transition(cancelled, BookingState.CANCELLED)
    flown = make.booking(tourist, days=80)
    flown.flight.status = FlightStatus.FLOWN
    make.booking(days=50)  # someone else's
    db.session.flush()
    tourist_id = tourist.id
    db.session.expire_all()

    with count_queries() as statements:
        trips = details.trips(tourist_id)
    assert len(statements) == 2  # the bookings with arrivals and segments; the companions
    bookings = booking_service.holding_seats(tourist.id)
    ids = [b.id for b in bookings]
    assert [b.id for b in trips.bookings] == ids == [first.id, second.id, held.id]
    assert trips.arrivals == {b: a for b in ids if (a := details.arrival_of(b)) is not None}
    assert set(trips.arrivals) == {first.id, held.id}
    assert {b: [c.id for c in cs] for b, cs in trips.companions.items()} == {
        b: [c.id for c in cs] for b, cs in details.companions_of(ids).items()}
    assert [c.name for c in trips.companions[second.id]] == ["Ann", "Tim", "Zoë"]
    assert trips.changed == [b for b, changes in itinerary.changes_of(ids).items() if changes] == [first.id, second.id]
    assert trips.bookings[0].flight.id == first.flight_id
    assert {b: [s.id for s in segs] for b, segs in trips.segments.items()} == {
        b: [s.id for s in segs] for b, segs in itinerary.segments_of(ids).items()}
    assert [len(trips.segments[b]) for b in ids] == [1, 1, 0]
    known = status.Known(tourist.id, details.document_of(tourist.id), details.profile_of(tourist),
                         len(details.contacts_of(tourist.id)), trips.arrivals, trips.segments)
    full, given = status.statuses(bookings), status.statuses(trips.bookings, known)
    assert {b: (s.missing, s.arrival) for b, s in given.items()} == {b: (s.missing, s.arrival) for b, s in full.items()}
    assert details.trips(make.user().id) == details.Trips([], {}, {}, {}, [])
    lone = make.booking(days=30).user_id
    db.session.flush()
    with count_queries() as statements:
        alone = details.trips(lone)
    assert len(statements) == 1 and list(alone.companions.values()) == [[]]  # none: not read
