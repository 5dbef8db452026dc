"""Thin tasks: each takes ids, calls a service and commits."""

from __future__ import annotations

from celery import shared_task

from app.services import bookings, installments, messaging
from app.transactions import commit


@shared_task(name="countdown.expire_holds")
def expire_holds() -> int:
    """Free the seats of lapsed holds and offer them to the waiting list."""
    count = bookings.expire_holds()
    commit()
    return count


@shared_task(name="countdown.deliver_message", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def deliver_message(message_id: int) -> str | None:
    status = messaging.deliver(message_id)
    return status.value if status else None


@shared_task(name="countdown.deliver_queued_messages")
def deliver_queued_messages() -> int:
    """Deliver messages whose task was lost (broker down at commit time, worker died)."""
    messaging.fail_interrupted_deliveries()
    commit()
    ids = messaging.queued_message_ids()
    for message_id in ids:
        messaging.deliver(message_id)
    return len(ids)


@shared_task(name="countdown.charge_due_payments")
def charge_due_payments() -> int:
    """Send one charge task per balance payment or installment that is due."""
    ids = installments.due_payment_ids()
    for payment_id in ids:
        charge_payment.delay(payment_id)
    return len(ids)


@shared_task(name="countdown.charge_payment")
def charge_payment(payment_id: int) -> str:
    """One automatic attempt; the payment row stays locked while the provider is asked."""
    outcome = installments.charge(payment_id)
    commit()
    return outcome
