"""Stripe tells us what happened to a payment: signed events, each handled once."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, request

from app.extensions import csrf
from app.payments import payments as payment_service
from app.providers.payments import PaymentError, WebhookError
from app.transactions import commit, rollback

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    provider = payment_service.provider()
    if provider.name != "stripe":
        abort(404)
    try:
        notice = provider.read_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
    except WebhookError as exc:
        log.warning("stripe webhook refused: %s", exc)
        return {"error": "invalid signature or payload"}, 400
    try:
        outcome = payment_service.handle_event("stripe", notice.id, notice.type, notice.object_id)
    except PaymentError as exc:
        # Stripe could not be asked about the event now: nothing is kept, and Stripe sends it
        # again later (it retries any answer but a 2xx).
        rollback()
        log.warning("stripe webhook %s %s deferred: %s", notice.type, notice.id, exc)
        return {"error": "try again later"}, 503
    commit()
    log.info("stripe webhook %s %s: %s", notice.type, notice.id, outcome)
    return {"received": True, "outcome": outcome}, 200
