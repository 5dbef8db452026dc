"""Thin tasks: each takes ids, calls a service and commits."""

from __future__ import annotations

from celery import shared_task

from app.services import bookings, messaging
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
