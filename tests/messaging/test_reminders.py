"""The reminder engine: rows written by rules, moved with their subject, dropped when it is gone,
sent once, held through quiet hours, and claimed by one dispatcher only."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import pytz
import sqlalchemy as sa
import time_machine

from app.booking import bookings as booking_service
from app.booking import flights
from app.desk import conversations as desk
from app.documents import consent
from app.extensions import db
from app.messaging import delivery
from app.messaging import outbox as message_outbox
from app.messaging import preferences, reminders
from app.models import (
    BookingState,
    CaseState,
    Channel,
    DataExport,
    ErasureRequest,
    ExportState,
    FlightStatus,
    MedicalCase,
    MessageStatus,
    OutboundMessage,
    Questionnaire,
    Refund,
    RefundKind,
    Role,
    Topic,
)
from app.payments import cancellations, installments, payments
from app.timeutil import now_utc
from app.training import places as training_places
from tests.conftest import outbox

GOOD = "4242424242424242"
S = MessageStatus


@pytest.fixture
def ctx(app, db_session):
    # Midday UTC: outside everyone's default quiet hours (22:00-08:00 in their timezone).
    with time_machine.travel(datetime(2027, 1, 14, 12, 0, tzinfo=pytz.UTC), tick=True):
        with app.test_request_context("/"):
            yield


@pytest.fixture
def doc(ctx, make):
    return make.consent_document()


def confirmed_booking(make, doc, **user):
    tourist = make.user(**user)
    flight = make.flight(launch_at=now_utc() + timedelta(days=200), balance_due_days=90)
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
    return booking


def test_a_hold_plans_a_reminder_per_channel_and_confirming_drops_it(ctx, make, doc):
    tourist = make.user(phone="+447700900123")
    booking = booking_service.hold_seat(make.flight().id, tourist)
    planned = outbox(rule="hold_expiring")
    assert {r.channel for r in planned} == {Channel.EMAIL, Channel.SMS, Channel.IN_APP}
    assert all(r.send_at == booking.hold_expires_at - timedelta(minutes=5) for r in planned)
    assert all(r.status is S.QUEUED and r.user_id == tourist.id for r in planned)

    consent.sign(booking, tourist, version_id=doc.id, signed_name=tourist.name, ip_address="::1", user_agent="t")
    payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
    assert {r.status for r in outbox(rule="hold_expiring")} == {S.DROPPED}


def test_no_phone_no_sms(ctx, make):
    booking_service.hold_seat(make.flight().id, make.user(phone=None))
    assert {r.channel for r in outbox(rule="hold_expiring")} == {Channel.EMAIL, Channel.IN_APP}


def test_payment_due_reminders_move_with_the_launch_and_drop_with_the_booking(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    [payment] = installments.plan_balance(booking, booking.user, 1).payments
    due = {r.rule: r.send_at for r in outbox(subject_type="payment", subject_id=payment.id)}
    assert due == {"payment_due_7d": payment.due_at - timedelta(days=7),
                   "payment_due_1d": payment.due_at - timedelta(days=1)}

    flight = booking.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data["launch_at"] = flight.launch_at + timedelta(days=10)
    data["window_closes_at"] = flight.window_closes_at + timedelta(days=10)
    ops = make.user(Role.OPERATIONS)
    flights.update_flight(flight, data, ops)
    moved = {r.rule: r.send_at for r in outbox(subject_type="payment", subject_id=payment.id)}
    assert moved == {rule: at + timedelta(days=10) for rule, at in due.items()}
    # and the move itself is told at once, urgently, on every channel the tourist has
    notices = outbox(rule="flight_delayed")
    assert {r.channel for r in notices} == {Channel.EMAIL, Channel.IN_APP}
    assert all(r.urgent and r.send_at <= now_utc() for r in notices)

    cancellations.cancel_booking(booking, booking.user)
    assert {r.status for r in outbox(subject_type="payment", subject_id=payment.id)} == {S.DROPPED}
    assert {r.status for r in outbox(rule="flight_delayed")} == {S.DROPPED}


def test_the_same_occurrence_is_written_once(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    first = reminders.notify("flight_scrubbed", booking, occurrence="x")
    again = reminders.notify("flight_scrubbed", booking, occurrence="x")
    assert len(first) == 2 and again == []
    assert len(outbox(rule="flight_scrubbed")) == 2


def test_a_due_reminder_is_rendered_in_the_recipients_language_and_sent_once(ctx, make, doc):
    booking = confirmed_booking(make, doc, language="de", phone="+4915112345678")
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    assert [delivery.deliver(i) for i in ids] == [S.SENT] * 3
    assert [delivery.deliver(i) for i in ids] == [None] * 3  # never twice
    email, sms, in_app = (outbox(rule="flight_scrubbed", channel=c)[0] for c in (Channel.EMAIL, Channel.SMS, Channel.IN_APP))
    assert email.recipient == booking.user.email and booking.flight.name in email.subject
    assert email.body.startswith("Guten Tag") and "Koordinierte Weltzeit" in email.body  # German
    assert "<html" in email.html_body and 'lang="de"' in email.html_body
    assert sms.recipient == "+4915112345678" and sms.body.startswith("Countdown:") and "http" in sms.body
    assert in_app.subject == email.subject and "http" not in in_app.body and in_app.link_url
    assert all(m.attempts == 1 and m.sent_at for m in (email, sms, in_app))


def test_a_reminder_for_a_cancelled_subject_is_dropped_when_due(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    booking_service.transition(booking, booking.state.__class__.CANCELLED, reason="test")
    assert {db.session.get(OutboundMessage, i).status for i in ids} == {S.DROPPED}
    assert {delivery.deliver(i) for i in ids} == {None}  # nothing left to send


def test_quiet_hours_hold_a_message_until_morning_but_not_an_urgent_one(ctx, make, doc):
    berlin = pytz.timezone("Europe/Berlin")
    night = berlin.localize(datetime(2027, 1, 14, 23, 30))
    with time_machine.travel(night, tick=False):
        booking = confirmed_booking(make, doc, timezone="Europe/Berlin", quiet_hours=True)
        [payment] = installments.plan_balance(booking, booking.user, 1).payments
        payment.status = payment.status.__class__.FAILED
        [email, in_app] = reminders.notify("charge_failed", payment, occurrence="attempt-1")
        urgent = reminders.notify("flight_scrubbed", booking, occurrence="1")

        assert delivery.deliver(email) is S.QUEUED
        held = db.session.get(OutboundMessage, email)
        assert held.send_at == berlin.localize(datetime(2027, 1, 15, 8, 0)) and held.attempts == 0
        assert delivery.deliver(in_app) is S.SENT  # the app does not wake anyone
        assert {delivery.deliver(i) for i in urgent} == {S.SENT}

    with time_machine.travel(berlin.localize(datetime(2027, 1, 15, 7, 59)), tick=False):
        assert email not in delivery.claim_due()
    with time_machine.travel(berlin.localize(datetime(2027, 1, 15, 8, 0, 30)), tick=False):
        assert email in delivery.claim_due()
        assert delivery.deliver(email) is S.SENT


def test_quiet_hours_can_be_turned_off_or_changed(ctx, make):
    user = make.user(timezone="America/New_York", quiet_hours=True)
    ny = pytz.timezone("America/New_York")
    prefs = preferences.preferences_of(user)
    assert preferences.quiet_until(user, prefs, ny.localize(datetime(2027, 3, 1, 6, 0))) == ny.localize(datetime(2027, 3, 1, 8, 0))
    assert preferences.quiet_until(user, prefs, ny.localize(datetime(2027, 3, 1, 12, 0))) is None
    preferences.save_preferences(user, channels={}, quiet_enabled=True, quiet_starts=time(1, 0), quiet_ends=time(5, 0))
    prefs = preferences.preferences_of(user)
    assert preferences.quiet_until(user, prefs, ny.localize(datetime(2027, 3, 1, 23, 0))) is None
    assert preferences.quiet_until(user, prefs, ny.localize(datetime(2027, 3, 1, 2, 0))) == ny.localize(datetime(2027, 3, 1, 5, 0))
    preferences.save_preferences(user, channels={}, quiet_enabled=False, quiet_starts=None, quiet_ends=None)
    assert preferences.quiet_until(user, preferences.preferences_of(user), ny.localize(datetime(2027, 3, 1, 2, 0))) is None


def test_changing_channels_replans_pending_reminders(ctx, make):
    tourist = make.user(phone="+447700900123")
    booking_service.hold_seat(make.flight().id, tourist)
    preferences.save_preferences(tourist, channels={"bookings": {Channel.EMAIL}}, quiet_enabled=True,
                                 quiet_starts=time(22), quiet_ends=time(8))
    assert {(r.channel, r.status) for r in outbox(rule="hold_expiring")} == {
        (Channel.EMAIL, S.QUEUED), (Channel.SMS, S.DROPPED), (Channel.IN_APP, S.DROPPED)}
    # Turned back on, the dropped reminders come back at their time; none is written twice.
    preferences.save_preferences(tourist, channels={"bookings": {Channel.EMAIL, Channel.SMS, Channel.IN_APP}},
                                 quiet_enabled=False, quiet_starts=None, quiet_ends=None)
    rows = outbox(rule="hold_expiring")
    assert sorted((r.channel.value, r.status) for r in rows) == [
        ("email", S.QUEUED), ("in_app", S.QUEUED), ("sms", S.QUEUED)]
    assert len({r.send_at for r in rows}) == 1


def test_a_notice_dropped_with_every_channel_off_comes_back_when_one_is_turned_on(ctx, make):
    tourist = make.user(phone="+447700900123")
    booking = booking_service.hold_seat(make.flight().id, tourist)
    preferences.save_preferences(tourist, channels={"bookings": set()}, quiet_enabled=False,
                                 quiet_starts=None, quiet_ends=None)
    assert {r.status for r in outbox(rule="hold_expiring")} == {S.DROPPED}
    preferences.save_preferences(tourist, channels={"bookings": {Channel.SMS}}, quiet_enabled=False,
                                 quiet_starts=None, quiet_ends=None)
    assert [(r.channel, r.status) for r in outbox(rule="hold_expiring", status=S.QUEUED)] == [(Channel.SMS, S.QUEUED)]
    [pending] = [p for p in reminders.pending_for(booking) if p.rule == "hold_expiring"]
    assert pending.send_at == reminders.RULES["hold_expiring"].when(booking)


def test_a_category_turned_off_on_every_channel_gets_nothing(ctx, make):
    tourist = make.user(phone="+447700900123")
    preferences.save_preferences(tourist, channels={"bookings": set()}, quiet_enabled=False,
                                 quiet_starts=None, quiet_ends=None)
    booking_service.hold_seat(make.flight().id, tourist)
    assert outbox(rule="hold_expiring") == []
    assert preferences.channels_for(tourist, "bookings") == []
    assert preferences.channels_for(tourist, "flight_updates") == [Channel.EMAIL, Channel.SMS, Channel.IN_APP]


def test_an_opted_out_number_gets_no_sms(ctx, make, doc):
    booking = confirmed_booking(make, doc, phone="+447700900123")
    preferences.record_opt_out("+447700900123", "STOP")
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    results = {db.session.get(OutboundMessage, i).channel: delivery.deliver(i) for i in ids}
    assert results == {Channel.EMAIL: S.SENT, Channel.SMS: S.DROPPED, Channel.IN_APP: S.SENT}
    [sms] = outbox(rule="flight_scrubbed", channel=Channel.SMS)
    assert "STOP" in sms.note


def test_a_hold_reminder_after_the_hold_ran_out_is_dropped(ctx, make):
    booking = booking_service.hold_seat(make.flight().id, make.user())
    [email, _in_app] = [r.id for r in outbox(rule="hold_expiring")]
    with time_machine.travel(booking.hold_expires_at + timedelta(minutes=1), tick=False):
        assert delivery.deliver(email) is S.DROPPED


def test_a_dated_reminder_due_early_is_moved_when_its_date_moved(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    [payment] = installments.plan_balance(booking, booking.user, 1).payments
    [seven_days, *_] = outbox(rule="payment_due_7d")
    payment.due_at += timedelta(days=30)  # moved without anyone calling sync
    db.session.flush()
    with time_machine.travel(seven_days.send_at + timedelta(seconds=5), tick=False):
        assert delivery.deliver(seven_days.id) is S.QUEUED
    assert seven_days.send_at == payment.due_at - timedelta(days=7)


def test_dispatchers_never_claim_the_same_row_and_stale_claims_come_back(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    first = delivery.claim_due()
    assert set(ids) <= set(first) and delivery.claim_due() == []
    assert {r.status for r in outbox(rule="flight_scrubbed")} == {S.CLAIMED}
    assert delivery.recover_stale(lease=timedelta(minutes=5)) == 0
    later = now_utc() + timedelta(minutes=6)
    assert delivery.recover_stale(now=later, lease=timedelta(minutes=5)) == len(first)
    assert delivery.claim_due() == first


def test_a_material_change_asks_those_who_signed_an_older_version_again(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    make.consent_document(resign_required=False)  # a correction asks nobody
    assert outbox(rule="document_published") == []
    make.consent_document(resign_required=True)
    planned = outbox(rule="document_published")
    assert {r.user_id for r in planned} == {booking.user_id} and len(planned) == 2
    assert {delivery.deliver(r.id) for r in planned} == {S.SENT}
    [email] = outbox(rule="document_published", channel=Channel.EMAIL)
    assert email.subject.startswith("Please read") and "again" in email.body


def test_cancelling_a_flight_tells_everyone_at_once(ctx, make, doc):
    booking = confirmed_booking(make, doc, phone="+14155550100")
    flight = booking.flight
    data = {k: getattr(flight, k) for k in flights.FIELDS}
    data["status"] = FlightStatus.CANCELLED
    flights.update_flight(flight, data, make.user(Role.OPERATIONS))
    sent = outbox(rule="flight_cancelled")
    assert {r.channel for r in sent} == {Channel.EMAIL, Channel.SMS, Channel.IN_APP}
    assert all(r.urgent for r in sent)
    assert {delivery.deliver(r.id) for r in sent} == {S.SENT}
    [email] = outbox(rule="flight_cancelled", channel=Channel.EMAIL)
    assert "150,000.00" in email.body  # the deposit, refunded in full


@pytest.mark.parametrize("language", ["en", "de", "es", "pt", "fr", "it"])
def test_every_rule_renders_on_every_channel_in_every_language(ctx, make, doc, language):
    booking = confirmed_booking(make, doc, language=language, phone="+33612345678")
    [payment] = installments.plan_balance(booking, booking.user, 1).payments
    payment.status = payment.status.__class__.FAILED
    payment.last_error = "Your card was declined."
    questionnaire = Questionnaire(version=1, title="Health questionnaire")
    db.session.add(questionnaire)
    db.session.flush()
    case = MedicalCase(user_id=booking.user_id, questionnaire_id=questionnaire.id,
                       state=CaseState.INFO_REQUESTED)
    db.session.add(case)
    db.session.flush()
    training = make.training(vehicle=booking.flight.vehicle)
    place = training_places.book_place(training.classroom_session.id, booking, booking.user)
    refund = Refund(payment=payment, amount_minor=100, reason="goodwill", kind=RefundKind.OPERATOR,
                    idempotency_key="countdown-refund-test-1", status="succeeded")
    db.session.add(refund)
    db.session.flush()
    make.travel(booking)  # a hotel: the tourist is told of the change
    from app.travel import itinerary  # noqa: PLC0415 - travel's own helpers, for its subjects
    transfer = itinerary.add_segment(booking, itinerary.SegmentData(
        kind="transfer", from_place="Hotel Encanto lobby", vehicle="Coach", phone="+15055550140",
        starts_local=(booking.flight.launch_at - timedelta(hours=5)).replace(tzinfo=None), start_timezone="UTC"),
        make.user(Role.LOGISTICS))
    change_id = itinerary.changes_of([booking.id])[booking.id][0].id
    asked = desk.start(booking.user, topic=Topic.BOOKING, subject="Balance", body="When is my balance due?")
    answer = desk.reply(asked, make.user(Role.OPERATIONS), "Ninety days before the launch.")
    export = DataExport(user_id=booking.user_id, salt="0" * 32, state=ExportState.READY,
                        expires_at=now_utc() + timedelta(days=3))
    request = ErasureRequest(user_id=booking.user_id, due_at=now_utc(), decision_reason="A refund is pending.")
    db.session.add_all([export, request])
    db.session.flush()
    subjects = {"booking": booking, "payment": payment, "medical_case": case, "refund": refund,
                "training_place": place, "travel_segment": transfer, "conversation": asked,
                "data_export": export, "erasure_request": request}
    for rule in reminders.RULES.values():
        obj = subjects[rule.subject]
        context = {"previous_launch_at": now_utc().isoformat(), "version": 2, "refund_minor": 100,
                   "previous_starts_at": now_utc().isoformat(), "previous_place": "Room 0",
                   "reason": "Instructor ill", "module_ids": [training.exam.id], "change_id": change_id,
                "message_id": answer.id}
        variables = {**rule.context(obj, context), "url": "http://countdown.test/x"}
        subject, text, html = message_outbox.render_email(rule.template, booking.user, **variables)
        sms = message_outbox.render_sms(rule.template, booking.user, **variables)
        in_app = message_outbox.render_sms(rule.template, booking.user, **variables, in_app=True)
        assert subject and "\n" not in subject and len(subject) < 200, rule.name
        assert booking.user.name in text.splitlines()[0], rule.name  # the greeting
        assert "http://countdown.test/x" in text and "http://countdown.test/x" in html, rule.name
        assert sms.startswith("Countdown") and len(sms) <= 320, (rule.name, sms)
        assert "http" not in in_app, rule.name


def test_a_batch_is_delivered_once_and_a_broken_message_does_not_hold_up_the_rest(ctx, make, doc, monkeypatch):
    booking = confirmed_booking(make, doc, phone="+447700900123")
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    broken = reminders.notify("flight_delayed", booking, occurrence="2")
    real_render = message_outbox.render_sms

    def render_sms(template, user, **variables):
        if template == "reminder_flight_delayed":
            raise KeyError("a bug in a template")
        return real_render(template, user, **variables)

    monkeypatch.setattr(message_outbox, "render_sms", render_sms)
    result = delivery.deliver_batch(ids + broken)
    assert [result[i] for i in ids] == [S.SENT] * 3
    email, sms, in_app = (db.session.get(OutboundMessage, i) for i in broken)
    assert email.status is S.SENT  # the email needs no SMS text
    assert sms.status is S.FAILED and "KeyError" in sms.error and in_app.status is S.FAILED
    assert delivery.deliver_batch(ids + broken) == {}  # nothing is sent twice
    assert all(db.session.get(OutboundMessage, i).attempts == 1 for i in ids + broken)


def _batch_of(make, doc, tourists: int) -> tuple[list[int], dict[int, MessageStatus]]:
    """Due scrubbed-launch reminders of ``tourists`` bookings, each tourist with a phone: the
    first tourist's number replied STOP and the last one's booking was cancelled since. Returns
    their ids and the status each should end with."""
    ids, expected = [], {}
    bookings = [confirmed_booking(make, doc, phone=f"+4477009001{n:02d}", language=("de", "fr", "en")[n % 3])
                for n in range(tourists)]
    preferences.record_opt_out("+447700900100", "STOP")
    for n, booking in enumerate(bookings):
        for message_id in reminders.notify("flight_scrubbed", booking, occurrence="batch"):
            channel = db.session.get(OutboundMessage, message_id).channel
            dropped = n == tourists - 1 or (n == 0 and channel is Channel.SMS)
            ids.append(message_id)
            expected[message_id] = S.DROPPED if dropped else S.SENT
    bookings[-1].state = BookingState.CANCELLED  # since written, and not re-planned yet
    db.session.commit()
    return ids, expected


def test_a_batch_is_checked_and_written_in_as_many_statements_whatever_its_size(ctx, make, doc):
    """A send task loads its batch's subjects, users, preferences and opt-outs together and
    writes the results in one statement: no statement per message."""
    from tests.core.test_queries import count_queries

    counts = []
    for tourists in (2, 6):
        ids, expected = _batch_of(make, doc, tourists)
        with count_queries() as statements:
            result = delivery.deliver_batch(ids)
        assert result == expected
        counts.append(len(statements))
        for message_id, status in expected.items():
            message = db.session.get(OutboundMessage, message_id)
            db.session.refresh(message)
            assert message.status is status and message.attempts == 1
            if status is S.SENT:
                assert message.recipient and message.body and message.sent_at and message.provider
    assert counts[0] == counts[1], counts
    assert delivery.deliver_batch(ids) == {}  # nothing is sent twice


def test_a_batch_whose_lease_ran_out_leaves_the_rest_to_the_worker_that_took_them(ctx, make, doc, monkeypatch):
    """A slow provider: while this worker is still sending its batch, the lease runs out, the
    rest is put back and another worker claims it (one more attempt). This worker sends only what
    is still its own, so nothing goes out twice."""
    booking = confirmed_booking(make, doc, phone="+447700900123")
    ids = reminders.notify("flight_scrubbed", booking, occurrence="1")
    email_id, sms_id, in_app_id = ids
    sent: list[int] = []

    class SlowProvider:
        name, external = "slow", True

        def send(self, message):
            sent.append(message.id)
            if message.id == email_id:  # meanwhile: recovered, and claimed by another worker
                db.session.execute(
                    sa.update(OutboundMessage).where(OutboundMessage.id == sms_id)
                    .values(attempts=OutboundMessage.attempts + 1, claimed_at=now_utc())
                    .execution_options(synchronize_session=False)
                )
            return f"provider-{message.id}"

        def find_sent(self, message):
            return None

    real = delivery.provider_for
    monkeypatch.setattr(delivery, "provider_for",
                        lambda app, channel: real(app, channel) if channel is Channel.IN_APP else SlowProvider())
    result = delivery.deliver_batch(ids)
    assert sent == [email_id]  # the SMS was no longer this worker's
    assert result[email_id] is S.SENT and result[in_app_id] is S.SENT
    sms = db.session.get(OutboundMessage, sms_id)
    db.session.refresh(sms)
    assert sms.status is S.SENDING and sms.attempts == 2 and sms.sent_at is None


def test_a_failed_reminder_resent_after_its_booking_was_cancelled_is_dropped(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    ops = make.user(Role.OPERATIONS)
    [email_id, _in_app] = reminders.notify("flight_delayed", booking, occurrence="9",
                                           context={"previous_launch_at": now_utc().isoformat()})
    failed = db.session.get(OutboundMessage, email_id)
    failed.status, failed.error = S.FAILED, "the mail server refused it"
    copy = delivery.resend(failed, ops)
    assert copy.rule == "flight_delayed" and copy.status is S.QUEUED
    preferences.save_preferences(booking.user, channels={"flight_updates": {Channel.EMAIL, Channel.IN_APP}},
                                 quiet_enabled=False, quiet_starts=None, quiet_ends=None)
    assert [r.key for r in outbox() if r.key and r.key.startswith("resend")] == [f"resend:{failed.id}"]
    cancellations.cancel_booking(booking, booking.user)
    assert copy.status is S.DROPPED  # dropped as the booking was cancelled
    assert delivery.deliver(copy.id) is None and copy.sent_at is None


def test_a_resent_reminder_keeps_its_text_and_is_sent_once(ctx, make, doc):
    booking = confirmed_booking(make, doc)
    ops = make.user(Role.OPERATIONS)
    [email_id, _in_app] = reminders.notify("flight_delayed", booking, occurrence="9",
                                           context={"previous_launch_at": now_utc().isoformat()})
    assert delivery.deliver(email_id) is S.SENT
    failed = db.session.get(OutboundMessage, email_id)
    failed.status, failed.error = S.FAILED, "the mail server bounced it"  # a bounce, reported later
    copy = delivery.resend(failed, ops)
    assert delivery.deliver(copy.id) is S.SENT
    assert copy.recipient == booking.user.email and booking.flight.name in copy.body
    assert (copy.subject, copy.body) == (failed.subject, failed.body)
    assert delivery.deliver(copy.id) is None


def test_message_dates_are_spelled_out_in_the_recipients_language(ctx, make, doc):
    """"June 1, 2026" for an English reader, "1. Juni 2026" for a German one: never "6/1/26",
    which a reader outside the US takes for January 6 (and "01.06.26" is no better)."""
    texts = {}
    for language in ("en", "de"):
        booking = confirmed_booking(make, doc, language=language, phone="+4915112345678")
        booking.flight.launch_at = datetime(2027, 6, 1, 15, 0, tzinfo=pytz.UTC)
        [payment] = installments.plan_balance(booking, booking.user, 1).payments
        payment.due_at = datetime(2027, 2, 28, 10, 0, tzinfo=pytz.UTC)
        rendered = []
        for rule in reminders.RULES.values():
            obj = {"booking": booking, "payment": payment}.get(rule.subject)
            if obj is None:
                continue
            stored = {"previous_launch_at": datetime(2027, 5, 20, 15, 0, tzinfo=pytz.UTC).isoformat(),
                      "version": 2, "refund_minor": 100}
            variables = {**rule.context(obj, stored), "url": "http://countdown.test/x"}
            subject, text, _html = message_outbox.render_email(rule.template, booking.user, **variables)
            sms = message_outbox.render_sms(rule.template, booking.user, **variables)
            rendered += [subject, text, sms]
        texts[language] = "\n".join(rendered)
    for language, text in texts.items():
        numeric = re.findall(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b", text)
        assert not numeric, (language, numeric)
    assert "February 28, 2027" in texts["en"] and "June 1, 2027" in texts["en"]
    assert "28. Februar 2027" in texts["de"] and "1. Juni 2027" in texts["de"]
    assert "February" not in texts["de"]
