"""Privacy: a tourist's export holds every domain's data of theirs and none of another's; erasure
leaves none of their personal data in any table but the evidence a rule keeps; a run killed
half-way (erasure or retention) is finished by the next without doing anything twice."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import personal_data
from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.medical import uploads
from app.messaging import outbox
from app.models import (
    Acceptance,
    Booking,
    BookingState,
    Conversation,
    DataExport,
    EmergencyContact,
    ErasureRequest,
    ErasureState,
    ErasureStep,
    ExportState,
    Feedback,
    GateOverride,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    OutboundMessage,
    PrivacyLog,
    PrivacyLogKind,
    Question,
    QuestionKind,
    Questionnaire,
    RetentionRun,
    Role,
    SmsOptOut,
    TravelDocument,
    User,
)
from app.payments import payments
from app.privacy import erasure, exports, retention
from app.timeutil import now_utc
from app.training import places
from app.travel import details
from app.transactions import commit
from tests.core.test_queries import count_queries
from worker import tasks

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ctx(app, db_session):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def committed(app, committed_db):
    """Real commits: a worker killed half-way loses only its open transaction, as in production."""
    with app.test_request_context("/"):
        yield


def full_tourist(make, *, name: str, phone: str, passport: str, days: int = 200):
    born = {"Ada Lovelace": date(1979, 3, 14)}.get(name, date(1981, 12, 9))
    """A tourist with data in every domain: a paid booking (consent signed, deposit paid), a
    conversation with a file, a medical case with an upload, a training place, travel details, a
    survey answer and messages."""
    tourist = make.user(name=name, phone=phone, date_of_birth=born)
    document = consent.current_document() or make.consent_document()
    flight = make.flight(launch_at=now_utc() + timedelta(days=days))
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=document.id, signed_name=tourist.name, ip_address="198.51.100.7",
                 user_agent="Firefox")
    deposit = payments.start_deposit(booking, tourist)
    payments.pay_in_sandbox(deposit, "4242424242424242")
    staff = {"operations": make.user(Role.OPERATIONS)}
    make.desk(tourist, booking, staff)
    questionnaire = db.session.scalar(select(Questionnaire))
    if questionnaire is None:
        questionnaire = make.questionnaire()
        questionnaire.questions.append(Question(position=3, key="ecg", text="Upload your ECG",
                                                kind=QuestionKind.FILE, required=False))
        db.session.flush()
    ecg = next(q for q in questionnaire.questions if q.key == "ecg")
    case = make.medical_case(tourist, questionnaire, {"heart": "no", "medicines": f"Aspirin for {name}"},
                             submit=False)
    uploads.store_upload(case, ecg, FileStorage(io.BytesIO(PNG), f"ecg-{name}.png"), tourist)
    training = make.training(vehicle=flight.vehicle, days_ahead=days - 20)
    places.book_place(training.classroom_session.id, booking, tourist)
    document_travel = make.travel(booking)
    db.session.get(TravelDocument, tourist.id).number = passport
    db.session.add(Feedback(booking_id=booking.id, flight_id=flight.id, overall=5, recommend=9,
                            best=f"The view, said {name}", improve=""))
    # Messages no account is named on: to a companion (they name the tourist), a code to their number.
    companion = details.add_companion(booking, details.CompanionData(f"Companion of {name}", "friend", "adult",
                                                                      "+4930111" + phone[-4:]))
    outbox.queue_sms("companion_launch_update", companion.phone, f"Countdown: {name}'s launch is go.",
                     key=f"companion_launch_update:{companion.id}:1")
    outbox.queue_sms("phone_code", phone, "Countdown: your code is 123456.", key=f"phone-code:{tourist.id}:{phone}:1")
    # Operations waived a requirement, with a reason about her; an earlier request was refused.
    db.session.add(GateOverride(booking_id=booking.id, gate="paid", reason=f"Wire transfer agreed with {name}",
                                actor_id=staff["operations"].id))
    refused = erasure.request_erasure(tourist, f"First try, {name}", agreed=True)
    erasure.refuse(refused.id, staff["operations"], f"The refund for {name} is on its way")
    db.session.flush()
    return tourist, booking, document_travel


def _zip(export: DataExport) -> dict[str, bytes]:
    content = exports.archive(export.user, now_utc())[0]
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_an_export_holds_every_domain_and_nothing_of_another_tourist(ctx, make):
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    other, other_booking, _ = full_tourist(make, name="Grace Hopper", phone="+4915187654321", passport="P2GRACE02")
    export = exports.request_export(tourist)
    built = exports.build(export.id)
    assert built.state is ExportState.READY and built.size > 0

    files = _zip(built)
    parts = {p.key for p in personal_data.parts() if p.export is not None}
    assert {f"{key}.json" for key in parts} <= set(files) and "summary.html" in files
    data = {key: json.loads(files[f"{key}.json"]) for key in parts}
    assert data["account"]["profile"]["email"] == tourist.email
    assert [b["reference"] for b in data["bookings"]["bookings"]] == [booking.reference]
    signed = data["documents"]["signed_and_acknowledged"]
    assert signed and signed[0]["signed_name"] == "Ada Lovelace" and "Known hazards" in signed[0]["text"]
    assert data["payments"]["payments"][0]["status"] == "succeeded"
    assert any(m["channel"] == "email" for m in data["messages"]["messages"])
    assert {c["subject"] for c in data["conversations"]} >= {"My balance", "Pills"}
    assert "See the scan." not in files["conversations.json"].decode()  # internal notes are staff's
    assert data["medical"][0]["answers"][1]["value"] == "Aspirin for Ada Lovelace"
    assert any(name.startswith("medical/") and content == PNG for name, content in files.items())
    assert any(name.startswith("conversations/") for name in files)
    assert data["training"]["places"][0]["state"] == "booked"
    assert data["travel"]["travel_document"]["number"] == "P1ADA0001"
    assert data["travel"]["emergency_contacts"][0]["name"] == "Ada Contact"
    assert data["after_the_flight"][0]["best"] == "The view, said Ada Lovelace"
    waived = data["bookings"]["bookings"][0]["requirements_waived"]
    assert waived[0]["reason"] == "Wire transfer agreed with Ada Lovelace"
    assert [r["decision_reason"] for r in data["privacy"]["erasure_requests"]] == ["The refund for Ada Lovelace is on its way"]
    assert data["travel"]["companions"][0]["name"] == "Companion of Ada Lovelace"
    assert any(m["recipient"] == "+4915112345678" and "123456" in m["body"] for m in data["messages"]["messages"])
    summary = files["summary.html"].decode()
    assert "Ada Lovelace" in summary and "P1ADA0001" in summary

    everything = b"\n".join(files.values()).decode("utf-8", "replace")
    for theirs in ("Grace Hopper", other.email, "+4915187654321", "P2GRACE02", other_booking.reference):
        assert theirs not in everything


def test_the_export_link_works_once_for_its_owner_and_is_logged(app, client, make):
    from tests.conftest import login, post_form

    tourist, other = make.user(), make.user()
    make.booking(tourist)
    db.session.commit()
    login(client, tourist)
    assert post_form(client, "/account/privacy/export", page="/account/privacy").status_code == 302
    export = db.session.scalars(select(DataExport)).one()
    db.session.expire_all()  # the task sent after the commit built it (tasks run eagerly here)
    assert export.state is ExportState.READY
    ready = [m for m in db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "privacy_export_ready"))]
    assert ready and any(exports.token(export) in (m.body or "") for m in ready if m.channel.value == "email")
    page = client.get("/account/privacy").get_data(as_text=True)
    url = f"/account/privacy/exports/{export.id}/{exports.token(export)}"
    assert url in page

    stranger = app.test_client()
    login(stranger, other)
    assert stranger.get(url).status_code == 404
    assert client.get(f"/account/privacy/exports/{export.id}/wrong").status_code == 302
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.data)).read("account.json")
    again = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "downloaded already" in again
    db.session.expire_all()
    assert db.session.get(DataExport, export.id).content == ""
    kinds = [e.kind for e in db.session.scalars(select(PrivacyLog).order_by(PrivacyLog.id))]
    assert kinds == [PrivacyLogKind.EXPORT_REQUESTED, PrivacyLogKind.EXPORT_READY, PrivacyLogKind.EXPORT_DOWNLOADED]


def test_an_export_expires_unused(ctx, make):
    tourist = make.user()
    export = exports.build(exports.request_export(tourist).id)
    assert exports.expire(now_utc() + timedelta(hours=71)) == 0
    assert exports.expire(now_utc() + timedelta(hours=73)) == 1
    db.session.expire_all()
    assert db.session.get(DataExport, export.id).state is ExportState.EXPIRED
    with pytest.raises(Exception, match="expired"):
        exports.download(tourist, export.id, exports.token(export))


def _text_of_every_table() -> dict[str, str]:
    """Every row of every table, as plain SQL returns it (encrypted columns as ciphertext)."""
    found = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.text(f"SELECT * FROM {table.name}")).all()
        found[table.name] = "\n".join(repr(tuple(row)) for row in rows)
    return found


def _money_and_seats(flight_id: int):
    bookings_ = list(db.session.scalars(select(Booking).where(Booking.flight_id == flight_id)))
    ledger = payments.ledgers(bookings_)
    money = payments.flight_money("USD", bookings_, ledger)
    flight = bookings_[0].flight
    seats = booking_service.seat_counts([flight])[flight.id]
    flown = sum(1 for b in bookings_ if b.state is BookingState.FLOWN)
    return money.collected_minor, money.refunded_minor, seats, flown


def _erase(request_id: int) -> None:
    tasks.erase_personal_data.run(request_id)
    db.session.expire_all()


def test_after_erasure_no_table_holds_the_tourists_data_but_the_kept_evidence(ctx, make):
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    other, other_booking, _ = full_tourist(make, name="Grace Hopper", phone="+4915187654321", passport="P2GRACE02")
    booking_service.transition(booking, BookingState.FLOWN)  # she flew: the law keeps more of her file
    email = tourist.email
    ops = make.user(Role.OPERATIONS)
    commit()
    totals = _money_and_seats(booking.flight_id)
    other_before = (exports.archive(other, now_utc())[0], other.email)

    request = erasure.request_erasure(tourist, "Please forget me", agreed=True)
    erasure.confirm(request.id, ops)
    commit()
    _erase(request.id)

    request = db.session.get(ErasureRequest, request.id)
    assert request.state is ErasureState.DONE and request.reason == ""
    tables = _text_of_every_table()
    allowed = {"Ada Lovelace": {"document_acceptances"}}  # the name as signed: consent evidence
    for secret in ("Ada Lovelace", email, "+4915112345678", "1979-03-14", "198.51.100.7", "+49301115678"):
        holding = {name for name, text in tables.items() if secret in text}
        expected = allowed.get(secret, {"document_acceptances"} if secret == "198.51.100.7" else set())
        assert holding == expected, (secret, holding)
    user = db.session.get(User, tourist.id)
    assert user.email.endswith("@erased.invalid") and not user.active and user.phone is None
    # Encrypted data: the rows themselves are gone, except what a rule keeps (she flew).
    assert db.session.scalar(select(func.count()).select_from(Conversation).where(Conversation.user_id == tourist.id)) == 0
    assert db.session.get(TravelDocument, tourist.id) is None
    assert not db.session.scalars(select(EmergencyContact).where(EmergencyContact.user_id == tourist.id)).all()
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.user_id == tourist.id)) == 0
    assert db.session.scalars(select(MedicalCase).where(MedicalCase.user_id == tourist.id)).all()  # medical policy
    assert db.session.get(Feedback, db.session.scalar(select(Feedback.id).where(
        Feedback.booking_id == booking.id))).best == ""
    kept = {item["rule"] for step in request.steps for item in step.kept}
    assert {"consent_evidence", "financial_records", "booking_records", "medical_records"} <= kept
    assert kept <= set(personal_data.rules())
    # Figures, and the other tourist, untouched.
    assert _money_and_seats(booking.flight_id) == totals
    db.session.expire_all()
    other = db.session.get(User, other.id)
    assert (exports.archive(other, now_utc())[0] != b"") and other.email == other_before[1]
    assert db.session.get(TravelDocument, other.id).number == "P2GRACE02"
    assert db.session.scalars(select(Conversation).where(Conversation.user_id == other.id)).all()
    done = db.session.scalars(select(PrivacyLog).where(PrivacyLog.kind == PrivacyLogKind.ERASURE_DONE)).one()
    assert done.rows > 0 and done.detail["kept"]["consent_evidence"] >= 1


def test_a_live_booking_is_shown_then_cancelled_under_the_policy(ctx, make):
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    ops = make.user(Role.OPERATIONS)
    preview = erasure.preview(tourist)
    assert len(preview.warnings) == 2  # the booking is cancelled; training places are given up
    assert booking.reference in preview.warnings[0].text
    with pytest.raises(Exception, match="understand"):
        erasure.request_erasure(tourist, "", agreed=False)
    request = erasure.request_erasure(tourist, "", agreed=True)
    assert request.live_bookings == 1  # the booking (its training places are given up with it)
    erasure.confirm(request.id, ops)
    commit()
    _erase(request.id)
    booking = db.session.get(Booking, booking.id)
    assert booking.state is BookingState.CANCELLED
    quote_refund = sum(r.amount_minor for p in payments.ledgers([booking])[booking.id].payments for r in p.refunds)
    assert quote_refund == 125_000_00  # the deposit less its non-refundable part, 200 days out
    # Never flew: the medical case and the training record are gone with the rest.
    assert not db.session.scalars(select(MedicalCase).where(MedicalCase.user_id == tourist.id)).all()


def test_a_killed_erasure_resumes_without_doing_anything_twice(committed, make_committed, monkeypatch):
    make = make_committed
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    ops = make.user(Role.OPERATIONS)
    request = erasure.request_erasure(tourist, "", agreed=True)
    erasure.confirm(request.id, ops)
    db.session.info.pop("countdown_after_commit")  # the task is run below, by hand, as a worker would
    request_id, tourist_id, booking_id = request.id, tourist.id, booking.id
    commit()
    calls: dict[str, int] = {}
    original = {p.key: p.erase for p in personal_data.parts()}

    def counting(key):
        def erase(user, actor):
            calls[key] = calls.get(key, 0) + 1
            outcome = original[key](user, actor)
            if key == "travel" and calls[key] == 1:
                raise SystemExit("the worker was killed")  # after its work, before the commit
            return outcome
        return erase

    patched = {key: dataclasses.replace(part, erase=counting(key)) for key, part in personal_data._PARTS.items()}
    monkeypatch.setattr(personal_data, "_PARTS", patched)

    db.session.close()  # the worker has its own session; SQLite lets one writer at a time
    with pytest.raises(SystemExit):
        tasks.erase_personal_data.run(request_id)
    db.session.rollback()  # the worker died: its open transaction is lost
    done = set(db.session.scalars(select(ErasureStep.part).where(ErasureStep.request_id == request_id)))
    assert "travel" not in done and {"payments", "bookings", "documents", "medical", "training"} <= done
    assert db.session.get(TravelDocument, tourist_id) is not None  # rolled back with its transaction
    db.session.close()

    _erase(request_id)
    assert db.session.get(ErasureRequest, request_id).state is ErasureState.DONE
    assert calls == {**{key: 1 for key in patched}, "travel": 2}
    assert db.session.get(TravelDocument, tourist_id) is None
    booking = db.session.get(Booking, booking_id)
    refunds = [r for p in payments.ledgers([booking])[booking_id].payments for r in p.refunds]
    assert booking.state is BookingState.CANCELLED and len(refunds) == 1  # cancelled, and refunded, once
    assert db.session.scalar(select(func.count()).select_from(ErasureStep).where(
        ErasureStep.request_id == request_id)) == len(patched)


def test_retention_removes_what_is_past_its_period_and_a_killed_run_is_finished(app, committed, make_committed,
                                                                                monkeypatch):
    make = make_committed
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    fresh, fresh_booking, _ = full_tourist(make, name="Grace Hopper", phone="+4915187654321", passport="P2GRACE02")
    long_ago = now_utc() - timedelta(days=4000)
    booking.flight.launch_at = long_ago
    booking.flight.window_closes_at = long_ago + timedelta(days=1)
    booking_service.transition(booking, BookingState.FLOWN)
    db.session.flush()
    db.session.execute(sa.update(Booking).where(Booking.id == booking.id).values(updated_at=long_ago))
    db.session.execute(sa.update(MedicalCase).where(MedicalCase.user_id == tourist.id).values(updated_at=long_ago))
    db.session.execute(sa.update(OutboundMessage).where(OutboundMessage.user_id == tourist.id)
                       .values(created_at=long_ago, status="sent"))
    # What she gave for her travel was last changed long ago too (a passport given recently stays).
    db.session.execute(sa.update(TravelDocument).where(TravelDocument.user_id == tourist.id).values(updated_at=long_ago))
    db.session.execute(sa.update(EmergencyContact).where(EmergencyContact.user_id == tourist.id)
                       .values(created_at=long_ago))
    # A tourist who gave their passport before booking anything keeps it.
    early = make.user(name="Eve Early")
    details.save_document(early, details.DocumentData(
        name_as_printed="Eve Early", nationality="FR", document_type="passport", number="E4RLY0001",
        issuing_country="FR", expires_on=date(2035, 1, 1), date_of_birth=date(1990, 5, 5), sex="F"))
    # Access logs go by their own period, the oldest first; a recent entry stays.
    db.session.add_all([MedicalAccess(action="view", what="case 1: answers", at=long_ago),
                        MedicalAccess(action="view", what="case 1: answers", at=now_utc())])
    upload_files = [uploads.upload_dir() / u.stored_name for u in db.session.scalars(
        select(MedicalUpload).join(MedicalCase).where(MedicalCase.user_id == tourist.id))]
    assert upload_files and all(p.exists() for p in upload_files)
    tourist_id, fresh_id, early_id = tourist.id, fresh.id, early.id
    commit()
    acceptances = db.session.scalar(select(func.count()).select_from(Acceptance).where(Acceptance.user_id == tourist_id))
    assert acceptances == 1
    app.config["RETENTION_BATCH_SIZE"] = 1

    real = personal_data._RETENTIONS["messages"]
    state = {"batches": 0}

    def dying(cutoff, limit):
        state["batches"] += 1
        removed = real.apply(cutoff, limit)
        if state["batches"] == 2:
            raise SystemExit("the worker was killed")
        return removed

    monkeypatch.setitem(personal_data._RETENTIONS, "messages", dataclasses.replace(real, apply=dying))
    db.session.close()
    with pytest.raises(SystemExit):
        tasks.apply_retention.run()
    db.session.rollback()
    run = db.session.scalars(select(RetentionRun)).one()
    assert run.finished_at is None and run.removed["messages"] == 1
    monkeypatch.setitem(personal_data._RETENTIONS, "messages", real)
    db.session.close()

    tasks.apply_retention.run()
    db.session.expire_all()
    run = db.session.scalars(select(RetentionRun)).one()  # the same run, finished
    assert run.finished_at is not None
    old_messages = run.removed["messages"]
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.user_id == tourist_id)) == 0
    assert old_messages >= 2  # each counted once, across both runs' batches
    assert run.removed["consent_evidence"] >= 2 and run.removed["financial_records"] == 1
    assert db.session.scalar(select(func.count()).select_from(Acceptance).where(Acceptance.user_id == tourist_id)) == 0
    assert not db.session.scalars(select(MedicalCase).where(MedicalCase.user_id == tourist_id)).all()
    assert not any(p.exists() for p in upload_files)  # the files went with their rows
    assert db.session.get(TravelDocument, tourist_id) is None
    # The other tourist's bookings are live: nothing of theirs went.
    assert db.session.get(TravelDocument, fresh_id) is not None
    assert db.session.get(TravelDocument, early_id) is not None
    assert db.session.scalar(select(func.count()).select_from(MedicalAccess).where(MedicalAccess.at < now_utc()
                                                                                   - timedelta(days=2190))) == 0
    assert run.removed["medical_access_log"] >= 1
    assert db.session.scalar(select(func.count()).select_from(MedicalAccess)) >= 1
    assert db.session.scalar(select(func.count()).select_from(Acceptance).where(Acceptance.user_id == fresh_id)) == 1
    assert db.session.scalars(select(MedicalCase).where(MedicalCase.user_id == fresh_id)).all()
    log = db.session.scalars(select(PrivacyLog).where(PrivacyLog.kind == PrivacyLogKind.RETENTION)).one()
    assert log.rows == run.total
    # Run again: nothing left to remove.
    db.session.close()
    assert tasks.apply_retention.run() == 0


def test_evidence_cannot_be_deleted_outside_retention(ctx, make):
    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    commit()
    with pytest.raises(sa.exc.DatabaseError, match="never changed or deleted"):
        db.session.execute(sa.delete(Acceptance).where(Acceptance.user_id == tourist.id))
        db.session.flush()
    db.session.rollback()


def test_a_kind_of_data_whose_removal_fails_does_not_hold_up_the_others(app, committed, make_committed, monkeypatch):
    make = make_committed
    tourist = make.user()
    outbox.queue_email("password_reset", user=tourist, url="https://example.com/reset")
    db.session.info.pop("countdown_after_commit", None)
    db.session.execute(sa.update(OutboundMessage).values(created_at=now_utc() - timedelta(days=4000), status="sent"))
    commit()

    def broken(cutoff, limit):
        raise RuntimeError("a bug in one domain's retention")

    real = personal_data._RETENTIONS["consent_evidence"]  # the first kind a run takes
    monkeypatch.setitem(personal_data._RETENTIONS, "consent_evidence", dataclasses.replace(real, apply=broken))
    db.session.close()
    assert tasks.apply_retention.run() == 1  # the old message went all the same
    run = db.session.scalars(select(RetentionRun)).one()
    assert run.finished_at is not None and run.failed == ["consent_evidence"] and run.removed == {"messages": 1}
    log = db.session.scalars(select(PrivacyLog).where(PrivacyLog.kind == PrivacyLogKind.RETENTION)).one()
    assert log.detail["failed"] == ["consent_evidence"]


def test_the_facts_say_whether_a_request_is_open_and_a_shared_fact_is_asked_once(ctx, make):
    """The erasure page reads whether a request is open from the preview's facts (as
    has_open_request says); a fact two parts ask with the same expression is one column."""
    from app import personal_data

    tourist, _booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    facts = erasure.facts_about(tourist)
    assert facts["privacy"]["open_request"] is False is erasure.has_open_request(tourist)
    assert facts["medical"]["flew"] == facts["training"]["flew"]
    statement, columns = personal_data._facts_statement(tuple(p.key for p in personal_data.parts()))
    assert len(statement.selected_columns) == len(set(columns)) < len(columns)
    request = erasure.request_erasure(tourist, "Goodbye", agreed=True)
    assert erasure.facts_about(tourist)["privacy"]["open_request"] is True is erasure.has_open_request(tourist)
    request.state = ErasureState.REFUSED
    db.session.flush()
    assert erasure.facts_about(tourist)["privacy"]["open_request"] is False is erasure.has_open_request(tourist)


def test_the_facts_on_a_bookings_flight_read_its_launch_as_the_rows_do(ctx, make):
    """"flew" and "to_cancel" look the flight's launch up per booking (booking's LAUNCH): the same
    answers as the bookings and flights say, for a flight to come, one launched, and one flown."""
    from app.payments import privacy as payments_privacy

    tourist = make.user()

    def facts():
        found = erasure.facts_about(tourist)
        return found["medical"]["flew"], found["payments"]["to_cancel"]

    assert facts() == (False, False)
    coming = make.booking(tourist, days=30)
    assert facts() == (False, True) and payments_privacy._to_cancel(tourist) == [coming]
    launched = make.booking(tourist, days=60)
    launched.flight.launch_at = now_utc() - timedelta(hours=2)  # confirmed, launched, not yet marked flown
    db.session.flush()
    assert facts() == (True, True) and payments_privacy._to_cancel(tourist) == [coming]
    booking_service.transition(coming, BookingState.CANCELLED)
    assert facts() == (True, False) and payments_privacy._to_cancel(tourist) == []
    booking_service.transition(launched, BookingState.FLOWN)
    assert facts() == (True, False)


def test_the_preview_asks_every_parts_facts_in_one_statement(ctx, make):
    """What erasure would mean: one statement for every part's facts, then only the rows a
    preview names (a held seat; a booking to cancel with its refund quote)."""
    nobody = make.user()
    with count_queries() as statements:
        quiet = erasure.preview(nobody)
    assert len(statements) == 1
    assert [part.key for part, _found in quiet.parts] == ["account", "messages"] and not quiet.warnings

    tourist, booking, _ = full_tourist(make, name="Ada Lovelace", phone="+4915112345678", passport="P1ADA0001")
    held = make.booking(tourist, confirmed=False, days=90)
    db.session.add(SmsOptOut(phone=tourist.phone, keyword="STOP"))
    db.session.flush()
    with count_queries() as statements:
        found = erasure.preview(tourist)
    # The facts; the seat held; the booking to cancel, and its quote's payments and launch moves.
    assert len(statements) == 5
    texts = {part.key: [c.text for c in consequences] for part, consequences in found.parts}
    assert held.flight.name in texts["bookings"][0] and booking.reference in texts["payments"][0]
    assert "training sessions still to come" in texts["training"][0]
    assert "mobile number stays on our list" in texts["messages"][1]
    assert {"documents", "medical", "conversations", "travel", "after_the_flight"} <= set(texts)
    assert len(found.warnings) == 3  # the held seat released, the booking cancelled, the training given up

    # Two more bookings to cancel: quoted together, not a quote's queries each.
    more = [make.booking(tourist, days=days) for days in (120, 150)]
    with count_queries() as statements:
        found = erasure.preview(tourist)
    assert len(statements) == 5
    texts = {part.key: [c.text for c in consequences] for part, consequences in found.parts}
    assert all(any(b.reference in text for text in texts["payments"]) for b in [booking, *more])
