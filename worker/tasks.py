"""Thin tasks: each takes ids, calls a service and commits."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from app import throttle
from app.accounts import accounts
from app.booking import bookings
from app.desk import escalation as desk_escalation
from app.documents import documents
from app.extensions import db
from app.medical import uploads as medical_uploads
from app.messaging import delivery
from app.models import User
from app.payments import installments
from app.privacy import erasure, exports, retention
from app.training import places as training_places
from app.training import plans as training_plans
from app.transactions import commit, rollback

log = logging.getLogger(__name__)


@shared_task(name="countdown.expire_holds")
def expire_holds() -> int:
    """Free the seats of lapsed holds and offer them to the waiting list."""
    count = bookings.expire_holds()
    commit()
    return count


@shared_task(name="countdown.expire_training_offers")
def expire_training_offers() -> int:
    """Training places offered from a waiting list and not taken in time pass to the next in line."""
    count = training_places.expire_offers()
    commit()
    return count


@shared_task(name="countdown.sync_training_reminders")
def sync_training_reminders(plan_id: int | None = None) -> int:
    """A training plan was published: plan the deadline reminders of the bookings it applies to,
    a batch per transaction, then mark the plan done. Without a plan (the beat's sweep): every
    published plan not marked done yet. Returns how many batches."""
    batches = 0
    for one in [plan_id] if plan_id is not None else training_plans.plans_to_plan():
        after = 0
        while (last := training_plans.sync_plan_reminders(one, after)) is not None:
            commit()
            batches, after = batches + 1, last
        training_plans.reminders_planned(one)
        commit()
    return batches


@shared_task(name="countdown.notify_document_version")
def notify_document_version(version_id: int | None = None) -> int:
    """A material version of a document was published: tell the tourists it asks and re-plan
    their reminders, a batch per transaction, then mark it done. Without a version (the beat's
    sweep): every material version not marked done yet. Returns how many batches."""
    batches = 0
    for one in [version_id] if version_id is not None else documents.versions_to_notify():
        after = 0
        while (last := documents.notify_version(one, after)) is not None:
            commit()
            batches, after = batches + 1, last
        documents.version_notified(one)
        commit()
    return batches


@shared_task(name="countdown.deliver_messages", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def deliver_messages(message_ids: list[int]) -> int:
    """Send a batch of claimed (or just written) messages; each is sent at most once."""
    return len(delivery.deliver_batch(message_ids))


@shared_task(name="countdown.deliver_message")
def deliver_message(message_id: int) -> int:
    """Kept for tasks queued before deliver_messages existed."""
    return deliver_messages([message_id])


#: Claimed messages go to send tasks in chunks of this many.
CHUNK = 50


@shared_task(name="countdown.dispatch_due_messages")
def dispatch_due_messages() -> int:
    """Claim what is due, in batches, and hand it to send tasks (beat runs this every few seconds).

    Before claiming, anything a dead worker left behind is put back or reconciled."""
    delivery.recover_stale()
    commit()
    batch = current_app.config["MESSAGE_BATCH_SIZE"]
    # Claims not yet sent count against the budget: with a backlog, rows are claimed as fast as
    # they are sent, and no claim waits in the queue long enough for its lease to run out.
    budget = current_app.config["MESSAGE_MAX_IN_FLIGHT"] - delivery.claimed_count()
    claimed = 0
    while budget > 0:
        want = min(batch, budget)
        ids = delivery.claim_due(limit=want)
        commit()
        for start in range(0, len(ids), CHUNK):
            deliver_messages.delay(ids[start:start + CHUNK])
        claimed += len(ids)
        budget -= len(ids)
        if len(ids) < want:
            break
    return claimed


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


@shared_task(name="countdown.remove_orphan_uploads")
def remove_orphan_uploads() -> int:
    """Delete upload files no row names (left by a process killed before its commit), once they
    are an hour old."""
    return medical_uploads.remove_orphans()


@shared_task(name="countdown.purge_sessions_and_attempts")
def purge_sessions_and_attempts() -> int:
    """Delete ended log-in sessions and counted attempts older than any throttle window."""
    count = accounts.purge_sessions() + throttle.purge()
    commit()
    return count


@shared_task(name="countdown.escalate_desk_breaches")
def escalate_desk_breaches() -> int:
    """Conversations waiting past their response target: operations (and the topic's staff) told,
    once per wait."""
    count = desk_escalation.sweep()
    commit()
    return count


@shared_task(name="countdown.build_data_export")
def build_data_export(export_id: int) -> bool:
    """Build a tourist's data export and tell them it is ready."""
    built = exports.build(export_id) is not None
    commit()
    return built


@shared_task(name="countdown.erase_personal_data")
def erase_personal_data(request_id: int) -> int:
    """Carry out a confirmed erasure, a part per transaction (each part with its record of being
    done), then close the request. Returns how many parts this run erased."""
    count = 0
    while erasure.erase_next(request_id) is not None:
        commit()
        count += 1
    erasure.finish(request_id)
    commit()
    return count


@shared_task(name="countdown.apply_retention")
def apply_retention(actor_id: int | None = None) -> int:
    """Remove what is past its retention period, a batch per transaction; a run killed half-way is
    finished by this one. Returns how many rows the run removed in all."""
    run_id = retention.current_run(db.session.get(User, actor_id) if actor_id else None).id
    commit()
    while (key := retention.next_kind(run_id)) is not None:
        try:
            retention.step(run_id)
            commit()
        except Exception:  # one kind's error does not hold up the others; the next run tries again
            rollback()
            log.exception("retention: removing %s failed", key)
            retention.skip(run_id, key)
            commit()
    finished = retention.finish(run_id)
    commit()
    return finished.total if finished is not None else 0


@shared_task(name="countdown.privacy_sweep")
def privacy_sweep() -> int:
    """Exports past their time expire; an export or an erasure whose task was lost is done now.
    One that fails is logged and left for the next sweep; the others go on."""
    count = exports.expire()
    commit()
    for task, ids in ((build_data_export, exports.to_build()), (erase_personal_data, erasure.to_carry_out())):
        for one in ids:
            try:
                count += int(task(one))
            except Exception:
                rollback()
                log.exception("privacy sweep: %s(%s) failed; the next sweep tries again", task.name, one)
    return count
