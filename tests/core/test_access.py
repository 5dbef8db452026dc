"""Every route against every role: who may see what."""

import pytest

from app.booking import bookings as booking_service
from app.extensions import db
from app.flightops import updates
from app.models import Role
from app.privacy import erasure, exports
from tests.conftest import login

ANON, TOURIST, OTHER_TOURIST = "anonymous", "tourist", "other tourist"
STAFF = {
    "medical": Role.MEDICAL, "instructor": Role.INSTRUCTOR, "logistics": Role.LOGISTICS,
    "operations": Role.OPERATIONS,
}
WHO = [ANON, TOURIST, OTHER_TOURIST, *STAFF]

# path -> who gets 200; everyone else gets the code in the third column
# (302 = sent to log in, 403 = role not allowed, 404 = not theirs)
ROUTES = [
    ("/flights", set(WHO), None),
    ("/flights/{flight}", set(WHO), None),
    ("/healthz", set(WHO), None),
    ("/journey", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/bookings/{booking}", {TOURIST}, {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/documents", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/bookings/{booking}/documents/{document}", {TOURIST}, {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/account", set(WHO) - {ANON}, {ANON: 302}),
    # Privacy: a tourist's own data; operations answer requests and see the log.
    ("/account/privacy", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/account/privacy/erasure", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/account/privacy/exports/{export}/{export_token}", {TOURIST},
     {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/ops/privacy", {"operations"}, None),
    ("/ops/privacy/log", {"operations"}, None),
    ("/ops/privacy/erasure/{erasure}", {"operations"}, None),
    ("/ops/flights", {"operations"}, None),
    ("/ops/flights/new", {"operations"}, None),
    ("/ops/flights/{flight}", {"operations"}, None),
    ("/ops/flights/{flight}/edit", {"operations"}, None),
    ("/ops/documents", {"operations"}, None),
    ("/ops/documents/{document}", {"operations"}, None),
    ("/ops/documents/versions/{version}", {"operations"}, None),
    ("/ops/flights/{flight}/documents", {"operations"}, None),
    ("/ops/flights/{flight}/readiness", {"operations"}, None),
    ("/ops/flights/{flight}/readiness?show=blocked", {"operations"}, None),
    ("/ops/flights/{flight}/readiness.csv", {"operations"}, None),
    ("/ops/flights/{flight}/readiness/{booking}/gates/paid", {"operations"}, None),
    ("/ops/flights/{flight}/move", {"operations"}, None),
    ("/ops/flights/{flight}/scrub", {"operations"}, None),
    ("/ops/flights/{flight}/launch", {"operations"}, None),
    ("/launch/{launch}", set(WHO), None),
    ("/ops/flights/{flight}/flown", {"operations"}, None),
    ("/ops/flights/{flight}/feedback", {"operations"}, None),
    ("/ops/flights/{flight}/evidence/{booking}.pdf", set(), {"operations": 404}),  # not flown yet
    # Not flown yet: the certificate and the survey do not exist for anyone.
    ("/bookings/{booking}/certificate.pdf", set(), {ANON: 302, TOURIST: 404, OTHER_TOURIST: 404,
                                                    **{s: 403 for s in STAFF}}),
    ("/bookings/{booking}/feedback", set(), {ANON: 302, TOURIST: 404, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/launch/{launch}/live", set(WHO), None),
    ("/ops/acceptances/{acceptance}", {"operations"}, None),
    ("/ops/acceptances/{acceptance}.pdf", {"operations"}, None),
    ("/ops/questions", set(), {"operations": 301}),  # questions are answered at the desk now
    # The desk: a tourist's own conversations; staff see the topics they handle (a 404 for others').
    ("/conversations", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/conversations/new", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/conversations/new?topic=medical&booking={booking}", {TOURIST, OTHER_TOURIST},
     {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/conversations/{conversation}", {TOURIST}, {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/conversations/{conversation}/files/{attachment}", {TOURIST},
     {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/conversations/{conversation}/files/{note_attachment}", set(),
     {ANON: 302, TOURIST: 404, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/desk", set(STAFF), None),
    ("/desk?view=unmatched&owner=me&topic=travel&flight={flight}", set(STAFF), None),
    ("/desk/{conversation}", {"operations"}, {ANON: 302, "medical": 404, "instructor": 404, "logistics": 404}),
    ("/desk/{conversation}/files/{attachment}", {"operations"},
     {ANON: 302, "medical": 404, "instructor": 404, "logistics": 404}),
    ("/desk/{conversation}/files/{note_attachment}", {"operations"},
     {ANON: 302, "medical": 404, "instructor": 404, "logistics": 404}),
    ("/desk/{medical_conversation}", {"medical"}, {ANON: 302, "operations": 404, "instructor": 404, "logistics": 404}),
    ("/desk/{travel_conversation}", {"logistics", "operations"}, {ANON: 302, "medical": 404, "instructor": 404}),
    ("/desk/{training_conversation}", {"instructor", "operations"}, {ANON: 302, "medical": 404, "logistics": 404}),
    ("/desk/{medical_conversation}/files/{medical_attachment}", {"medical"},
     {ANON: 302, "operations": 404, "instructor": 404, "logistics": 404}),
    ("/conversations/{medical_conversation}/files/{medical_attachment}", {TOURIST},
     {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/desk/{unmatched}", {"operations"}, {ANON: 302, "medical": 404, "instructor": 404, "logistics": 404}),
    ("/conversations/{unmatched}", set(), {ANON: 302, TOURIST: 404, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/desk/answers", set(STAFF), None),
    ("/desk/answers/new", {"operations"}, None),
    ("/desk/answers/{answer}", {"operations"}, None),
    ("/desk/report", {"operations"}, None),
    ("/ops/users", {"operations"}, None),
    ("/outbox", {"operations"}, None),
    ("/ops/bookings/{booking}", {"operations"}, None),
    ("/bookings/{booking}/card", {TOURIST}, {ANON: 302, OTHER_TOURIST: 404, **{s: 403 for s in STAFF}}),
    ("/training", {TOURIST, OTHER_TOURIST}, {ANON: 302, **{s: 403 for s in STAFF}}),
    ("/instructor", {"instructor"}, None),
    ("/instructor/sessions/{session}", {"instructor"}, None),
    ("/ops/training", {"operations"}, None),
    ("/ops/training?flight={flight}", {"operations"}, None),
    ("/ops/training/modules", {"operations"}, None),
    ("/ops/training/modules/new", {"operations"}, None),
    ("/ops/training/modules/{module}", {"operations"}, None),
    ("/ops/training/plans", {"operations"}, None),
    ("/ops/training/plans/{plan}", {"operations"}, None),
    ("/ops/training/sessions", {"operations"}, None),
    ("/ops/training/sessions/new", {"operations"}, None),
    ("/ops/training/sessions/{session}", {"operations"}, None),
]


@pytest.fixture
def world(app, make):
    tourist, other = make.user(), make.user()
    staff = {name: make.user(role) for name, role in STAFF.items()}
    flight = make.flight()
    booking = booking_service.hold_seat(flight.id, tourist)
    version = make.consent_document()
    acceptance = make.accept(booking, version)
    training = make.training(vehicle=flight.vehicle, instructor=staff["instructor"])
    desk = make.desk(tourist, booking, staff)
    with app.test_request_context():
        export = exports.build(exports.request_export(tourist).id)
        export_token = exports.token(export)
        asked = erasure.request_erasure(make.user(), "", agreed=False).id  # a tourist not logged in here
    db.session.info.pop("countdown_after_commit", None)
    db.session.commit()
    users = {TOURIST: tourist, OTHER_TOURIST: other, **staff}
    clients = {ANON: app.test_client()}
    for name, user in users.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    with app.test_request_context():
        launch = updates.link_token(flight)
    return {"clients": clients, "flight": flight.id, "booking": booking.reference, "launch": launch,
            "session": training.classroom_session.id, "module": training.classroom.id, "plan": training.plan.id,
            "document": version.document_id, "version": version.id, "acceptance": acceptance.id,
            "export": export.id, "export_token": export_token, "erasure": asked, **desk}


def test_route_access_table(world):
    # One test for the whole table: logging seven users in for every row would be slow.
    wrong = []
    for path, allowed, others in ROUTES:
        url = path.format(**{key: value for key, value in world.items() if key != "clients"})
        for who in WHO:
            response = world["clients"][who].get(url)
            if who in allowed:
                expected = 200
            elif others and who in others:
                expected = others[who]
            else:
                expected = 302 if who == ANON else 403
            if response.status_code != expected:
                wrong.append(f"{who} GET {url}: {response.status_code}, expected {expected}")
            elif expected == 302 and not response.headers["Location"].startswith("/login"):
                wrong.append(f"{who} GET {url}: redirected to {response.headers['Location']}")
    assert not wrong, "\n".join(wrong)


def test_another_tourists_booking_reveals_nothing(world):
    from app.models import Booking

    booking = db.session.query(Booking).filter_by(reference=world["booking"]).one()
    for path in (f"/bookings/{booking.reference}", f"/bookings/{booking.reference}/documents/{world['document']}",
                 "/documents", f"/bookings/{booking.reference}/consent"):
        body = world["clients"][OTHER_TOURIST].get(path, follow_redirects=True).get_data(as_text=True)
        assert booking.user.name not in body and booking.flight.name not in body
    # The other tourist's own page lists no signature of the first's.
    assert "badge-done" not in world["clients"][OTHER_TOURIST].get("/documents").get_data(as_text=True)
