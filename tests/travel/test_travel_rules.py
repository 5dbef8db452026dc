"""Travel's rules: personal data encrypted at rest and read only by logistics and operations
(every read logged), manifests frozen and formula-safe, segments flagged when the launch moves,
reminders at the right time, the itinerary in the calendar feed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import func, select

from app.booking import flights as flight_service
from app.extensions import db
from app.models import Manifest, Role, Segment, TravelAccess
from app.timeutil import now_utc
from app.travel import details, itinerary, manifests
from tests.conftest import Factory, login, outbox, post_form
from tests.integration.support import separate_app
from tests.integration.test_medical_encryption import keys, raw_text_of_every_table

SECRETS = {
    "number": "ZX9SECRET41",
    "dietary": "No shellfish secret-dietary-D4",
    "accessibility": "Wheelchair on stairs secret-access-A7",
    "contact_name": "Secretia Contactova",
    "contact_phone": "+4915112345678",
    "companion": "Secretus Companionus",
    "notes": "Meet at door 3 secret-notes-N8",
    "name_as_printed": "SECRETA PRINTED-NAME",
}


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


def _write_everything(make: Factory):
    booking = make.booking()
    user = booking.user
    details.save_document(user, details.DocumentData(
        name_as_printed=SECRETS["name_as_printed"], nationality="DE", document_type="passport",
        number=SECRETS["number"], issuing_country="DE", expires_on=(now_utc() + timedelta(days=3000)).date(),
        date_of_birth=user.date_of_birth, sex="X"))
    details.save_needs(user, SECRETS["dietary"], SECRETS["accessibility"])
    details.add_contact(user, details.ContactData(SECRETS["contact_name"], "sister", SECRETS["contact_phone"]))
    details.add_companion(booking, details.CompanionData(SECRETS["companion"], "friend", "adult"))
    launch = booking.flight.launch_at.replace(tzinfo=None)
    itinerary.add_segment(booking, itinerary.SegmentData(
        kind="event", title="Suit fitting", starts_local=launch - timedelta(days=1), start_timezone="UTC",
        notes=SECRETS["notes"]), make.user(Role.LOGISTICS))
    manifests.make(booking.flight, make.user(Role.LOGISTICS))
    return booking


def test_the_database_holds_no_readable_document_number_contact_or_free_text(fresh_database_url, tmp_path):
    with separate_app(fresh_database_url, tmp_path / "instance",
                      MEDICAL_ENCRYPTION_KEYS=keys(Fernet.generate_key())) as app, app.app_context():
        upgrade()
        with app.test_request_context("/"):
            booking = _write_everything(Factory())
            db.session.commit()
            assert details.document_of(booking.user_id).number == SECRETS["number"]  # read back
            db.session.remove()
        leaks = [f"{table}: {secret!r}" for table, values in raw_text_of_every_table().items()
                 for value in values for secret in SECRETS.values() if secret.lower() in value.lower()]
        assert not leaks, "travel data stored readable:\n" + "\n".join(leaks)


#: Text columns of the travel tables stored readable, and why: codes, states, what a coordinator
#: plans (supplier names, places, times: not personal), and what the logs must show at a glance.
PLAIN_TEXT_COLUMNS = {
    "travel_documents": {"nationality", "document_type", "issuing_country", "sex"},
    "travel_arrivals": {"mode", "flight_number", "airport", "timezone"},
    "travel_companions": {"age_band"},
    "travel_segment_templates": {"kind", "status", "confirmation_code", "title", "carrier", "number", "from_place",
                                 "to_place", "address", "vehicle", "phone", "start_timezone", "end_timezone"},
    "travel_segments": {"kind", "status", "confirmation_code", "title", "carrier", "number", "from_place",
                        "to_place", "address", "vehicle", "phone", "start_timezone", "end_timezone", "flag"},
    "travel_itinerary_changes": {"kind", "segment_kind", "label", "fields"},
    "travel_manifests": {"sha256"},
    "travel_access_log": {"action", "what", "ip_address"},
}


def test_every_personal_text_column_of_the_travel_tables_is_encrypted():
    """A new text column on a travel table must be encrypted, or be added above with a reason."""
    from app.crypto import EncryptedJSON, EncryptedText

    plain = {}
    for table in db.metadata.sorted_tables:
        if table.name.startswith("travel_"):
            names = {c.name for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))
                     and not isinstance(c.type, (EncryptedText, EncryptedJSON))}
            if names:
                plain[table.name] = names
    assert plain == PLAIN_TEXT_COLUMNS


def test_a_manifest_is_frozen_versioned_formula_safe_and_every_export_logged(app, make):
    booking = make.booking()
    user = booking.user
    details.save_document(user, details.DocumentData(
        name_as_printed="=HYPERLINK(\"http://evil\")", nationality="DE", document_type="passport", number="C01X00T47",
        issuing_country="DE", expires_on=(now_utc() + timedelta(days=3000)).date(), date_of_birth=user.date_of_birth,
        sex="F"))
    details.add_contact(user, details.ContactData("@SUM(A1:A9)", "-2+3", "+493012345678"))
    from app.booking import bookings as booking_service
    from app.models import BookingState
    other = booking_service.hold_seat(booking.flight_id, make.user(name="Zed Zulu"))
    booking_service.transition(other, BookingState.CONFIRMED)
    details.save_document(other.user, details.DocumentData(
        name_as_printed="-2+3", nationality="FR", document_type="id_card", number="X4RTBPFW4", issuing_country="FR",
        expires_on=(now_utc() + timedelta(days=3000)).date(), date_of_birth=other.user.date_of_birth, sex="M"))
    details.decline_contacts(other.user)
    coordinator = make.user(Role.LOGISTICS)
    db.session.commit()
    client = app.test_client()
    login(client, coordinator)
    url = f"/logistics/flights/{booking.flight_id}"
    assert post_form(client, url + "/manifests", page=url).status_code == 302
    assert post_form(client, url + "/manifests", page=url).status_code == 302  # nothing changed: no new version
    first = db.session.scalars(select(Manifest)).one()
    assert first.version == 1 and first.row_count == 2
    response = client.get(f"/logistics/manifests/{first.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))}
    mine, theirs = rows[booking.reference], rows[other.reference]
    assert mine[1] == "'=HYPERLINK(\"http://evil\")"
    assert mine[9] == "'@SUM(A1:A9)" and mine[10] == "'+493012345678"
    assert theirs[1] == "'-2+3" and theirs[9] == "Declined to give one" and theirs[4] == "France"
    for cell in (c for row in rows.values() for c in row):
        assert not cell.startswith(("=", "+", "-", "@")), cell
    # A change after it was made: the first version stays as it was; making it again gives version 2.
    details.save_document(user, details.DocumentData(
        name_as_printed="GRETE WEBER", nationality="AT", document_type="passport", number="P1234567",
        issuing_country="AT", expires_on=(now_utc() + timedelta(days=3000)).date(), date_of_birth=user.date_of_birth,
        sex="F"))
    db.session.commit()
    assert "'=HYPERLINK" in client.get(f"/logistics/manifests/{first.id}.csv").data.decode("utf-8-sig")
    post_form(client, url + "/manifests", page=url)
    second = db.session.scalars(select(Manifest).where(Manifest.version == 2)).one()
    pdf = client.get(f"/logistics/manifests/{second.id}.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "GRETE WEBER" in text and "P1234567" in text and "Austria" in text
    # Each export is in the trail of each tourist it lists.
    exports = db.session.scalars(select(TravelAccess).where(TravelAccess.action == "export")).all()
    assert len(exports) == 12 and all(e.actor_id == coordinator.id and e.flight_id == booking.flight_id
                                      for e in exports)
    assert {e.subject_id for e in exports} == {user.id, other.user_id}


def test_a_launch_moved_by_three_days_flags_exactly_the_segments_that_no_longer_fit(ctx, make):
    booking = make.booking(days=40)
    launch = booking.flight.launch_at
    coordinator, ops = make.user(Role.LOGISTICS), make.user(Role.OPERATIONS)

    def add(kind, starts, ends=None, **kw):
        return itinerary.add_segment(booking, itinerary.SegmentData(
            kind=kind, status="confirmed", starts_local=starts.replace(tzinfo=None), start_timezone="UTC",
            ends_local=ends.replace(tzinfo=None) if ends else None, end_timezone="UTC" if ends else "", **kw),
            coordinator)

    inbound = add("flight", launch - timedelta(days=3, hours=3), launch - timedelta(days=3), carrier="AA",
                  number="AA 1", from_place="DFW", to_place="ABQ")
    briefing = add("event", launch - timedelta(days=2), title="Arrival briefing")
    hotel = add("hotel", launch - timedelta(days=3), launch + timedelta(days=1), title="Hotel", address="Main St")
    transfer = add("transfer", launch - timedelta(hours=4), from_place="Hotel lobby")
    home = add("flight", launch + timedelta(days=2), launch + timedelta(days=2, hours=3), carrier="AA",
               number="AA 2", from_place="ABQ", to_place="DFW")
    data = {key: getattr(booking.flight, key) for key in flight_service.FIELDS}
    flight_service.update_flight(booking.flight, {**data, "launch_at": launch + timedelta(days=3),
                                                  "window_closes_at": data["window_closes_at"] + timedelta(days=3)}, ops)
    flags = {s.id: s.flag for s in db.session.scalars(select(Segment))}
    assert flags == {inbound.id: "", briefing.id: "", hotel.id: "no_longer_spans",
                     transfer.id: "not_on_launch_day", home.id: "starts_before_launch"}
    # Nothing was changed or cancelled on its own, and the tourist was not told of a change yet.
    assert all(s.status.value == "confirmed" for s in db.session.scalars(select(Segment)))
    def told():
        """The changes the tourist was told of (one message per channel each)."""
        return {r.context["change_id"] for r in outbox(rule="itinerary_changed", subject_id=booking.id)}
    before = told()
    # The coordinator moves the return flight: the flag goes, the tourist is told.
    new_launch = booking.flight.launch_at
    changed = itinerary.SegmentData.of(home)
    changed.starts_local = (new_launch + timedelta(days=2)).replace(tzinfo=None)
    changed.ends_local = (new_launch + timedelta(days=2, hours=3)).replace(tzinfo=None)
    itinerary.update_segment(home, changed, coordinator)
    assert home.flag == "" and len(told() - before) == 1
    # The transfer still fits after all (the coordinator says so): the flag goes, nobody is told.
    itinerary.keep_segment(transfer)
    assert transfer.flag == "" and len(told() - before) == 1


def test_a_launch_moved_earlier_flags_what_now_comes_too_late_or_too_close(ctx, make):
    booking = make.booking(days=40)
    launch = booking.flight.launch_at
    coordinator, ops = make.user(Role.LOGISTICS), make.user(Role.OPERATIONS)

    def add(kind, starts, ends=None, **kw):
        return itinerary.add_segment(booking, itinerary.SegmentData(
            kind=kind, status="confirmed", starts_local=starts.replace(tzinfo=None), start_timezone="UTC",
            ends_local=ends.replace(tzinfo=None) if ends else None, end_timezone="UTC" if ends else "", **kw),
            coordinator)

    early = add("flight", launch - timedelta(days=6, hours=3), launch - timedelta(days=6), carrier="AA",
                number="AA 1", from_place="DFW", to_place="ABQ")
    inbound = add("flight", launch - timedelta(days=3, hours=3), launch - timedelta(days=3), carrier="AA",
                  number="AA 3", from_place="DFW", to_place="ABQ")
    briefing = add("event", launch - timedelta(days=2, hours=12), title="Arrival briefing")
    home = add("flight", launch + timedelta(days=2), launch + timedelta(days=2, hours=3), carrier="AA",
               number="AA 2", from_place="ABQ", to_place="DFW")
    details.save_arrival(booking, details.ArrivalData(
        mode="own", flight_number="UA 1", airport="ABQ", arrives_local=(launch - timedelta(days=2)).replace(
            tzinfo=None), timezone="UTC"))
    data = {key: getattr(booking.flight, key) for key in flight_service.FIELDS}
    flight_service.update_flight(booking.flight, {**data, "launch_at": launch - timedelta(days=3),
                                                  "window_closes_at": data["window_closes_at"] - timedelta(days=3)}, ops)
    flags = {s.id: s.flag for s in db.session.scalars(select(Segment))}
    assert flags == {early.id: "", inbound.id: "ends_after_launch", briefing.id: "ends_after_launch",
                     home.id: "later_than_planned"}
    # The tourist's own flight now lands after the launch: they are asked for their arrival again.
    from app.travel import status
    mine = status.status_of(booking)
    assert mine.arrival_too_late and "arrival" in [m.value for m in mine.tourist_missing]


def test_reminders_arrival_missing_document_expiring_and_pickup_tomorrow(ctx, make):
    from zoneinfo import ZoneInfo

    from app.messaging import reminders
    booking = make.booking(days=100)
    launch = booking.flight.launch_at
    reminders.sync(booking)
    due = {r.rule: r.send_at for r in outbox(subject_id=booking.id) if r.rule and r.rule.startswith("travel_")}
    assert due == {"travel_arrival_missing": launch - timedelta(days=30)}
    details.save_arrival(booking, details.ArrivalData(mode="operator"))
    details.save_document(booking.user, details.DocumentData(
        name_as_printed="A B", nationality="DE", document_type="passport", number="C01X00T47", issuing_country="DE",
        expires_on=(launch + timedelta(days=1)).date(), date_of_birth=booking.user.date_of_birth, sex="F"))
    pending = {r.rule: (r.send_at, r.status.value) for r in outbox(subject_id=booking.id)
               if r.rule and r.rule.startswith("travel_")}
    assert pending["travel_document_expiring"] == (launch - timedelta(days=90), "queued")
    assert pending["travel_arrival_missing"][1] == "dropped"
    pickup = itinerary.add_segment(booking, itinerary.SegmentData(
        kind="transfer", from_place="Hotel lobby", starts_local=(launch - timedelta(hours=5)).astimezone(
            ZoneInfo("America/Denver")).replace(tzinfo=None), start_timezone="America/Denver"), make.user(Role.LOGISTICS))
    # A seat taken ten days before launch: asked for the arrival a day after, not never.
    late = make.booking(days=10)
    due = {r.send_at for r in outbox(rule="travel_arrival_missing", subject_id=late.id)}
    assert due == {late.created_at + timedelta(days=1)}
    rows = outbox(rule="travel_pickup_tomorrow", subject_id=pickup.id)
    assert rows and len({r.send_at for r in rows}) == 1
    local = rows[0].send_at.astimezone(ZoneInfo("America/Denver"))
    assert local.hour == 18 and local.date() == pickup.starts_at.astimezone(ZoneInfo("America/Denver")).date() - \
        timedelta(days=1)


def test_the_itinerary_is_in_the_tourists_calendar_feed(app, make):
    from app.training import calendar
    booking = make.booking()
    segment = make.travel(booking)
    db.session.commit()
    feed = calendar.new_feed(booking.user)
    db.session.commit()
    body = app.test_client().get(f"/calendar/{calendar.token(feed)}.ics").get_data(as_text=True)
    assert f"travel-segment-{segment.id}@" in body and "Hotel Andaluz" in body and "STATUS:CONFIRMED" in body


ROLES = ("medical", "instructor", "logistics", "operations")


def test_only_logistics_and_operations_read_a_tourists_travel_data_and_every_read_is_logged(app, make):
    booking = make.booking()
    segment = make.travel(booking)
    other = make.user()
    template, _count = itinerary.add_template(booking.flight, itinerary.SegmentData(
        kind="event", title="Arrival briefing", starts_local=(booking.flight.launch_at - timedelta(days=1)).replace(
            tzinfo=None), start_timezone="UTC"), make.user(Role.LOGISTICS))
    manifest, _new = manifests.make(booking.flight, make.user(Role.LOGISTICS))
    staff = {name: make.user(Role(name)) for name in ROLES}
    db.session.commit()
    clients = {"anonymous": app.test_client(), "tourist": app.test_client(), "other tourist": app.test_client()}
    login(clients["tourist"], booking.user)
    login(clients["other tourist"], other)
    for name, user in staff.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    coordinators = {"logistics", "operations"}
    gets = {
        "/travel": ({"tourist", "other tourist"}, 403),
        "/logistics": (coordinators, 403),
        "/logistics/flights": (coordinators, 403),
        f"/logistics/flights/{booking.flight_id}": (coordinators, 403),
        f"/logistics/bookings/{booking.reference}": (coordinators, 403),
        f"/logistics/segments/{segment.id}": (coordinators, 403),
        f"/logistics/templates/{template.id}": (coordinators, 403),
        f"/logistics/manifests/{manifest.id}.csv": (coordinators, 403),
        f"/logistics/manifests/{manifest.id}.pdf": (coordinators, 403),
    }
    for path, (allowed, refused) in gets.items():
        for who, client in clients.items():
            before = db.session.scalar(select(func.count(TravelAccess.id)))
            code = client.get(path).status_code
            expected = 200 if who in allowed else 302 if who == "anonymous" else refused
            assert code == expected, (path, who, code)
            if code != 200:
                assert db.session.scalar(select(func.count(TravelAccess.id))) == before, (path, who)
    # The pages that show a document number write a row for each read, naming the reader.
    before = db.session.scalar(select(func.max(TravelAccess.id))) or 0
    for who in coordinators:
        body = clients[who].get(f"/logistics/bookings/{booking.reference}").get_data(as_text=True)
        assert "C01X00T47" in body
    rows = db.session.scalars(select(TravelAccess).where(TravelAccess.id > before)).all()
    assert {r.actor_id for r in rows} == {staff[w].id for w in coordinators}
    assert all(r.subject_id == booking.user_id and r.action == "view" for r in rows)
    # Nobody else's travel reaches another tourist, medical staff or an instructor.
    for who in ("other tourist", "medical", "instructor"):
        for path in ("/travel", f"/logistics/bookings/{booking.reference}"):
            assert "C01X00T47" not in clients[who].get(path).get_data(as_text=True)
    # Changes: a tourist's own only; a coordinator's only for coordinators.
    companion = details.add_companion(booking, details.CompanionData("Kim", "child", "teen"))
    contact = details.contacts_of(booking.user_id)[0]
    db.session.commit()
    tourist_posts = [f"/travel/bookings/{booking.reference}/arrival", f"/travel/bookings/{booking.reference}/companions",
                     f"/travel/bookings/{booking.reference}/companions/{companion.id}/remove"]
    own_posts = ["/travel/contacts", f"/travel/contacts/{contact.id}/remove", "/travel/contacts/decline",
                 "/travel/needs", "/travel/document"]
    coordinator_posts = [f"/logistics/bookings/{booking.reference}/segments", f"/logistics/segments/{segment.id}",
                         f"/logistics/segments/{segment.id}/keep", f"/logistics/segments/{segment.id}/remove",
                         f"/logistics/flights/{booking.flight_id}/templates", f"/logistics/templates/{template.id}",
                         f"/logistics/templates/{template.id}/remove", f"/logistics/flights/{booking.flight_id}/manifests"]
    tables = ("travel_segments", "travel_segment_templates", "travel_companions", "travel_emergency_contacts",
              "travel_documents", "travel_profiles", "travel_arrivals", "travel_manifests")

    def counts():
        return {t: db.session.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in tables}

    before = counts()
    for path in tourist_posts + own_posts + coordinator_posts:
        for who in ("anonymous", "other tourist", "medical", "instructor", "logistics", "operations", "tourist"):
            if (path in coordinator_posts and who in coordinators) or (path in tourist_posts + own_posts
                                                                       and who == "tourist"):
                continue
            code = post_form(clients[who], path, {}, page="/account" if who != "anonymous" else "/login").status_code
            if who == "anonymous":
                expected = 302
            elif path in own_posts:  # a tourist's own data: no other tourist's is reachable by its address
                expected = 403 if who in ROLES else (200, 302, 422)
            elif path in tourist_posts:
                expected = 404 if who == "other tourist" else 403
            else:
                expected = 403
            assert code in (expected if isinstance(expected, tuple) else (expected,)), (path, who, code)
    # The other tourist's posts to their own addresses changed only their own (empty) data.
    after = counts()
    assert {t: after[t] - before[t] for t in tables if after[t] != before[t]} in ({}, {"travel_profiles": 1}), after
    assert details.contacts_of(booking.user_id) and db.session.get(Segment, segment.id) is not None
