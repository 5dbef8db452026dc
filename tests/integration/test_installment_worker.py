"""Installments charged by a real Celery worker, from a card the tourist saved, through Redis.

The beat task ``countdown.charge_due_payments`` finds the due installments and sends one
``countdown.charge_payment`` per payment; the worker charges the saved sandbox card and commits.
Like test_celery_worker.py: a second app over the suite's database, not eager, a worker thread on
a queue of this run's own, everything committed and the tables emptied after each test. The test
closes its session before waiting (on SQLite an open transaction would hold the worker up).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.models import (
    Booking,
    BookingState,
    Channel,
    MessageStatus,
    OutboundMessage,
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
)
from app.payments import installments, payments
from app.timeutil import now_utc
from app.transactions import commit
from tests.conftest import Factory
from tests.integration import test_celery_worker as celery_worker
from tests.integration.support import wait_for

# The worker of test_celery_worker.py: ``redis_app`` calls require_service("Redis", ...) first, so
# without Redis these tests skip (or fail under CI=true).
redis_app = celery_worker.redis_app
worker_app = celery_worker.worker_app
task_runs = celery_worker.task_runs
send, emailed = celery_worker.send, celery_worker.emailed

pytestmark = pytest.mark.redis

GOOD, DECLINED = "4242424242424242", "4000000000000002"


def booking_with_a_due_installment(app, card: str) -> dict:
    """A confirmed booking (deposit paid through the sandbox), ``card`` saved, a 2-installment
    plan whose first installment is due a minute ago; committed. Returns the ids."""
    make = Factory()
    with app.test_request_context("/"):
        document = make.consent_document()
        tourist = make.user()
        flight = make.flight(launch_at=now_utc() + timedelta(days=200), balance_due_days=90)
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, version_id=document.id, signed_name=tourist.name,
                     ip_address="127.0.0.1", user_agent="test")
        payments.pay_in_sandbox(payments.start_deposit(booking, tourist), GOOD)
        assert booking.state is BookingState.CONFIRMED
        token, last4 = payments.provider().save_card(card)
        installments.save_card(booking, tourist, token=token, last4=last4)
        first, second = installments.plan_balance(booking, tourist, 2).payments
        first.due_at = now_utc() - timedelta(minutes=1)
        ids = {"booking": booking.id, "reference": booking.reference, "user": tourist.id,
               "first": first.id, "second": second.id, "amount": first.amount_minor}
        commit()  # also sends the deposit receipt's delivery task to the worker
    db.session.remove()
    return ids


def events(payment_id: int, kind: str) -> int:
    return db.session.scalar(select(func.count(PaymentEvent.id)).where(
        PaymentEvent.payment_id == payment_id, PaymentEvent.kind == kind))


def mail(user_id: int, kind: str, channel: Channel = Channel.EMAIL) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.user_id == user_id, OutboundMessage.kind == kind,
        OutboundMessage.channel == channel,
    ).order_by(OutboundMessage.id)))


def test_the_worker_charges_a_due_installment_from_the_saved_card(worker_app, task_runs):
    ids = booking_with_a_due_installment(worker_app, GOOD)
    assert installments.due_payment_ids() == [ids["first"]]
    db.session.remove()

    send(worker_app, "countdown.charge_due_payments")

    def charged():
        first = db.session.get(Payment, ids["first"])
        receipt = next((m for m in mail(ids["user"], "payment_receipt")
                        if f"{ids['reference']}-{ids['first']}" in m.body), None)
        if first.status is PaymentStatus.SUCCEEDED and receipt and receipt.status is MessageStatus.SENT:
            return first, receipt

    first, receipt = wait_for(charged, what="the installment to be charged and its receipt sent")
    assert task_runs.wait("countdown.charge_due_payments") == [1]
    assert task_runs.wait("countdown.charge_payment", ids["first"]) == ["charged"]
    assert first.kind is PaymentKind.INSTALLMENT and first.sequence == 1
    assert first.attempts == 0 and first.paid_at is not None and first.last_error == ""
    assert first.provider_payment_id and first.provider_charge_id == f"ch_{first.provider_payment_id}"
    second = db.session.get(Payment, ids["second"])
    assert second.status is PaymentStatus.SCHEDULED and second.provider_payment_id is None
    assert events(ids["first"], "charge_attempt") == 1
    assert events(ids["first"], "succeeded") == 1
    assert events(ids["second"], "charge_attempt") == 0
    assert receipt.recipient == db.session.get(Booking, ids["booking"]).user.email
    assert "$150,000.00" in receipt.subject
    assert receipt.attempts == 1 and receipt.id in emailed(worker_app)
    ledger = payments.ledgers([db.session.get(Booking, ids["booking"])])[ids["booking"]]
    assert ledger.paid_minor == 150_000_00 + ids["amount"] and ledger.outstanding_minor == 150_000_00
    db.session.remove()
    assert installments.due_payment_ids() == []  # nothing more to charge today
    db.session.remove()


def test_a_declined_installment_is_retried_tomorrow_and_the_tourist_told(worker_app, task_runs):
    ids = booking_with_a_due_installment(worker_app, DECLINED)
    before = now_utc()

    send(worker_app, "countdown.charge_due_payments")

    # A failed charge is the reminder rule "charge_failed", told on each channel the tourist
    # chose for payments: email and in the app by default (no phone number, so no SMS).
    def failed():
        first = db.session.get(Payment, ids["first"])
        [notice] = mail(ids["user"], "reminder_charge_failed") or [None]
        [in_app] = mail(ids["user"], "reminder_charge_failed", Channel.IN_APP) or [None]
        sent = all(m is not None and m.status is MessageStatus.SENT for m in (notice, in_app))
        if first.status is PaymentStatus.FAILED and sent:
            return first, notice, in_app

    first, notice, in_app = wait_for(failed, what="the declined installment and its notices")
    after = now_utc()
    assert task_runs.wait("countdown.charge_due_payments") == [1]
    assert task_runs.wait("countdown.charge_payment", ids["first"]) == ["declined"]
    assert first.attempts == 1 and first.last_error == "Your card was declined."
    assert before + timedelta(days=1) <= first.next_attempt_at <= after + timedelta(days=1)
    assert db.session.get(Payment, ids["second"]).status is PaymentStatus.SCHEDULED
    assert events(ids["first"], "charge_attempt") == 1 and events(ids["first"], "failed") == 1
    assert events(ids["first"], "succeeded") == 0
    assert f"http://countdown.test/payments/{ids['first']}/checkout" in notice.body
    assert "Your card was declined." in notice.body
    assert notice.attempts == 1 and notice.id in emailed(worker_app)
    assert (notice.rule, notice.subject_type, notice.subject_id) == ("charge_failed", "payment", ids["first"])
    assert "did not go through" in notice.subject
    assert in_app.attempts == 1 and in_app.provider == "in_app" and in_app.id not in emailed(worker_app)
    assert mail(ids["user"], "reminder_charge_failed", Channel.SMS) == []
    assert db.session.get(Booking, ids["booking"]).payment_overdue_at is None  # retries are left
    db.session.remove()
    assert installments.due_payment_ids() == []  # not again before tomorrow
    assert installments.due_payment_ids(now_utc() + timedelta(days=1, minutes=1)) == [ids["first"]]
    db.session.remove()


def test_two_charge_tasks_for_one_payment_charge_it_once(worker_app, task_runs):
    ids = booking_with_a_due_installment(worker_app, GOOD)

    # The same payment twice at once, as a broker redelivery or two beat runs would send it.
    send(worker_app, "countdown.charge_payment", ids["first"])
    send(worker_app, "countdown.charge_payment", ids["first"])

    assert sorted(task_runs.wait("countdown.charge_payment", ids["first"], count=2)) == [
        "charged", "not due"
    ]
    db.session.remove()
    assert db.session.get(Payment, ids["first"]).status is PaymentStatus.SUCCEEDED
    assert events(ids["first"], "charge_attempt") == 1
    assert events(ids["first"], "succeeded") == 1
    receipts = [m for m in mail(ids["user"], "payment_receipt") if f"{ids['reference']}-{ids['first']}" in m.body]
    assert len(receipts) == 1
    db.session.remove()
