"""Paying: the deposit checkout (sandbox or Stripe), the return from it, receipts, and webhooks."""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import csrf, db, limiter
from app.models import Payment, PaymentStatus, Role
from app.providers.payments import PaymentError, SandboxProvider, WebhookError
from app.services import ServiceError
from app.services import payments as payment_service
from app.transactions import commit, rollback
from blueprints.access import own_or_404, roles_required
from blueprints.bookings.routes import own_booking
from blueprints.catalog.routes import ActionForm
from blueprints.payments.forms import SandboxCardForm

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)


def own_payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.booking.user_id != current_user.id:
        abort(404)
    return payment


@bp.post("/bookings/<reference>/deposit")
@roles_required(Role.TOURIST)
def pay_deposit(reference: str):
    booking = own_booking(reference)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        payment = payment_service.start_deposit(booking, current_user)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("bookings.detail", reference=reference))
    return redirect(url_for("payments.checkout", payment_id=payment.id))


@bp.get("/payments/<int:payment_id>/checkout")
@roles_required(Role.TOURIST)
def checkout(payment_id: int):
    payment = own_payment(payment_id)
    if payment.status is PaymentStatus.SUCCEEDED:
        return redirect(url_for("bookings.detail", reference=payment.booking.reference))
    provider = payment_service.provider()
    if isinstance(provider, SandboxProvider):
        return render_template("payments/sandbox_checkout.html", payment=payment,
                               booking=payment.booking, form=SandboxCardForm(formdata=None))
    try:
        intent = provider.retrieve_intent(payment.provider_payment_id)
    except PaymentError:
        flash(_("The payment service is not answering. Please try again in a minute."), "error")
        return redirect(url_for("bookings.detail", reference=payment.booking.reference))
    response = current_app.make_response(render_template(
        "payments/stripe_checkout.html", payment=payment, booking=payment.booking,
        client_secret=intent.client_secret,
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
    ))
    # Stripe's Payment Element runs Stripe's script and frames on this page only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' https://js.stripe.com; "
        "frame-src https://js.stripe.com https://hooks.stripe.com; connect-src 'self' https://api.stripe.com; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.stripe.com; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )
    return response


@bp.post("/payments/<int:payment_id>/sandbox")
@roles_required(Role.TOURIST)
@limiter.limit("30 per minute")
def sandbox_pay(payment_id: int):
    """The sandbox card form. The result reaches the payment through the same event handling as a
    Stripe webhook: the provider's intent changes, then an event says "look at it"."""
    payment = own_payment(payment_id)
    provider = payment_service.provider()
    if not isinstance(provider, SandboxProvider):
        abort(404)
    form = SandboxCardForm()
    if not form.validate_on_submit():
        return render_template("payments/sandbox_checkout.html", payment=payment,
                               booking=payment.booking, form=form), 422
    if payment.status is PaymentStatus.FAILED:
        payment.status = PaymentStatus.PENDING  # a new attempt
    intent = provider.pay(payment.provider_payment_id, form.card_number.data)
    event_type = "payment_intent.succeeded" if intent.succeeded else "payment_intent.payment_failed"
    payment_service.handle_event("sandbox", f"evt_sandbox_{secrets.token_hex(12)}", event_type, intent.id)
    commit()
    return redirect(url_for("payments.finished", payment_id=payment.id))


@bp.get("/payments/<int:payment_id>/return")
@roles_required(Role.TOURIST)
def finished(payment_id: int):
    """Where the checkout comes back to. With Stripe this races the webhook; both apply once."""
    payment = own_payment(payment_id)
    if payment.status is not PaymentStatus.SUCCEEDED and payment.provider == "stripe":
        try:
            payment_service.sync_payment(payment)
            commit()
        except PaymentError:
            rollback()
        db.session.refresh(payment)
    booking = payment.booking
    if payment.status is PaymentStatus.SUCCEEDED:
        if payment.refunded_minor >= payment.amount_minor:
            flash(_("Your payment arrived after the seat was taken; it has been refunded in full."), "warning")
        else:
            flash(_("Thank you: your payment went through and a receipt is on its way."), "success")
        return redirect(url_for("bookings.detail", reference=booking.reference))
    if payment.status is PaymentStatus.FAILED:
        flash(_("The payment did not go through: %(reason)s", reason=payment.last_error), "error")
        return redirect(url_for("payments.checkout", payment_id=payment.id))
    flash(_("Your payment is being processed. This page will show it once it is confirmed."), "info")
    return redirect(url_for("bookings.detail", reference=booking.reference))


@bp.get("/payments/<int:payment_id>/receipt")
@roles_required(Role.TOURIST, Role.OPERATIONS)
def receipt(payment_id: int):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    if current_user.role is Role.TOURIST:
        own_or_404(payment.booking)
    if payment.status is not PaymentStatus.SUCCEEDED:
        abort(404)
    return render_template("payments/receipt.html", payment=payment, booking=payment.booking)


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    provider = payment_service.provider()
    if provider.name != "stripe":
        abort(404)
    try:
        notice = provider.read_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
    except WebhookError as exc:
        log.warning("stripe webhook refused: %s", exc)
        return {"error": "invalid signature or payload"}, 400
    outcome = payment_service.handle_event("stripe", notice.id, notice.type, notice.object_id)
    commit()
    log.info("stripe webhook %s %s: %s", notice.type, notice.id, outcome)
    return {"received": True, "outcome": outcome}, 200
