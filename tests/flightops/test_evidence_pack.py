"""The evidence pack of a flown tourist: consent (version, language, hash) signed before the first
payment, the waiver, the 460.51 training with the instructors' sign-offs, the briefings, the
medical clearance valid on the launch date (status and dates only)."""

import io
from datetime import timedelta

from pypdf import PdfReader

from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.flightops import after
from app.models import Attendance, CaseState, DocumentKind, Result, Role
from app.payments import payments
from app.timeutil import now_utc
from app.training import places, signoff
from tests.conftest import login
from tests.medical.test_medical import GOOD


def _text(response) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())


def test_a_complete_pack_proves_every_requirement_with_its_times(app, make):
    ops = make.user(Role.OPERATIONS, name="Gene Kranz", timezone="UTC")
    medic = make.user(Role.MEDICAL)
    t = make.training(days_ahead=5, instructor=make.user(Role.INSTRUCTOR, name="Chris Hadfield"))
    tourist = make.user(name="Ada Lovelace")
    flight = make.flight(launch_at=now_utc() + timedelta(days=20), vehicle="Spaceplane SV-2", name="Kármán Dawn")
    document = make.consent_document(actor=ops)
    waiver = make.document(DocumentKind.WAIVER, actor=ops)
    briefing = make.document(DocumentKind.BRIEFING, flight=flight, actor=ops)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=document.id, signed_name="Ada Lovelace", ip_address="192.0.2.7",
                 user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), "4242424242424242")
    make.accept(booking, waiver)
    make.accept(booking, briefing)
    for session, score in ((t.classroom_session, None), (t.exam_session, 95)):
        place = places.book_place(session.id, booking, tourist)
        signoff.mark(place, t.instructor, attendance=Attendance.PRESENT, result=Result.PASSED, score=score,
                     now=session.ends_at)
    make.medical_case(tourist, make.questionnaire(), medic=medic, assessment=GOOD, decision=CaseState.CLEARED,
                      valid_days=365)
    flight.launch_at = now_utc() - timedelta(hours=1)
    flight.window_closes_at = flight.launch_at + timedelta(hours=3)
    with app.test_request_context():
        after.mark_flown(flight, flight.launch_at, flight.launch_at + timedelta(minutes=12), ops)
    db.session.commit()
    client = app.test_client()
    login(client, ops)
    response = client.get(f"/ops/flights/{flight.id}/evidence/{booking.reference}.pdf")
    assert response.mimetype == "application/pdf"
    text = _text(response)
    assert "Evidence pack of Ada Lovelace" in text and "Every requirement below is proven by the record." in text
    acceptance = consent.statuses([booking])[booking.id].signature
    assert acceptance.text_sha256 in text.replace(" ", "") or acceptance.text_sha256[:32] in text.replace(" ", "")
    assert "Signed by Ada Lovelace" in text and "192.0.2.7" in text
    assert "The informed consent signed before any payment (14 CFR 460.45): Proven" in text
    assert "Signed off by Chris Hadfield" in text and "Every 14 CFR 460.51 topic trained: Proven" in text
    assert "Medically cleared, valid on the launch date: Proven" in text
    assert "asthma" not in text and "120" not in text.split("Medically cleared")[1]  # no finding, no blood pressure


def test_a_pack_says_what_is_not_proven(app, make):
    ops = make.user(Role.OPERATIONS, timezone="UTC")
    booking = make.booking(days=10)  # confirmed without consent, training or clearance
    flight = booking.flight
    make.consent_document(actor=ops)
    flight.launch_at = now_utc() - timedelta(hours=1)
    with app.test_request_context():
        after.mark_flown(flight, flight.launch_at, flight.launch_at + timedelta(minutes=9), ops)
    db.session.commit()
    client = app.test_client()
    login(client, ops)
    text = _text(client.get(f"/ops/flights/{flight.id}/evidence/{booking.reference}.pdf"))
    assert "Not proven: " in text and "Medically cleared, valid on the launch date: Not proven" in text
    assert "No training plan applied to this flight." in text
    # Not flown, or of another flight: nothing.
    other = make.booking(days=30)
    db.session.commit()
    assert client.get(f"/ops/flights/{flight.id}/evidence/{other.reference}.pdf").status_code == 404
    assert client.get(f"/ops/flights/{other.flight_id}/evidence/{other.reference}.pdf").status_code == 404
