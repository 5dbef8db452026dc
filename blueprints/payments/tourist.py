"""The tourist pays: the deposit, the balance (a plan of installments on a saved card, or a part
by hand), receipts, and cancelling a booking with the refund its policy gives."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import throttle
from app.errors import ServiceError
from app.extensions import db
from app.models import BookingState, Payment, PaymentStatus, Role
from app.money import format_money
from app.payments import cancellations, installments
from app.payments import payments as payment_service
from app.providers.payments import PaymentError, SandboxProvider
from app.transactions import commit, rollback
from app.urls import external_url
from blueprints.access import own_booking, own_or_404, roles_required
from blueprints.forms import ActionForm, save
from blueprints.payments.forms import CancelForm, PlanForm, SandboxCardForm, SaveCardForm

bp = Blueprint("tourist", __name__)
log = logging.getLogger(__name__)


#: Stripe's Payment Element runs Stripe's script and frames, on its two pages only.
STRIPE_CSP = (
    "default-src 'self'; script-src 'self' https://js.stripe.com; "
    "frame-src https://js.stripe.com https://hooks.stripe.com; connect-src 'self' https://api.stripe.com; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.stripe.com; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


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
        return redirect(url_for("booking.tourist.detail", reference=reference))
    return redirect(url_for("payments.tourist.checkout", payment_id=payment.id))


@bp.get("/payments/<int:payment_id>/checkout")
@roles_required(Role.TOURIST)
def checkout(payment_id: int):
    payment = own_payment(payment_id)
    if payment.status is PaymentStatus.SUCCEEDED:
        flash(_("This payment is already paid."), "info")
        return redirect(url_for("booking.tourist.detail", reference=payment.booking.reference))
    if payment.status is PaymentStatus.CANCELLED:
        flash(_("This payment was cancelled: it is no longer owed."), "info")
        return redirect(url_for("booking.tourist.detail", reference=payment.booking.reference))
    provider = payment_service.provider()
    if isinstance(provider, SandboxProvider):
        return render_template("payments/tourist/sandbox_checkout.html", payment=payment,
                               booking=payment.booking, form=SandboxCardForm(formdata=None))
    try:
        intent = provider.retrieve_intent(payment.provider_payment_id)
    except PaymentError:
        flash(_("The payment service is not answering. Please try again in a minute."), "error")
        return redirect(url_for("booking.tourist.detail", reference=payment.booking.reference))
    if payment.automatic_attempt:
        payment.automatic_attempt = False  # from now on, the tourist pays this one by hand
        commit()
    response = current_app.make_response(render_template(
        "payments/tourist/stripe_checkout.html", payment=payment, booking=payment.booking,
        client_secret=intent.client_secret,
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
    ))
    response.headers["Content-Security-Policy"] = STRIPE_CSP
    return response


@bp.post("/payments/<int:payment_id>/sandbox")
@roles_required(Role.TOURIST)
def sandbox_pay(payment_id: int):
    """The sandbox card form. The result reaches the payment through the same event handling as a
    Stripe webhook: the provider's intent changes, then an event says "look at it"."""
    payment = own_payment(payment_id)
    provider = payment_service.provider()
    if not isinstance(provider, SandboxProvider):
        abort(404)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED):
        return redirect(url_for("payments.tourist.checkout", payment_id=payment.id))  # it says why
    form = SandboxCardForm()
    if form.is_submitted() and throttle.take(f"sandbox-pay:{current_user.id}", "30 per minute") is None:
        abort(429)
    if not form.validate_on_submit():
        return render_template("payments/tourist/sandbox_checkout.html", payment=payment,
                               booking=payment.booking, form=form), 422
    payment_service.pay_in_sandbox(payment, form.card_number.data)
    commit()
    return redirect(url_for("payments.tourist.finished", payment_id=payment.id))


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
        return redirect(url_for("booking.tourist.detail", reference=booking.reference))
    if payment.status is PaymentStatus.CANCELLED:
        if payment.refunded_minor:
            flash(_("This payment was no longer owed when it arrived; it has been refunded in full."), "warning")
        else:
            flash(_("This payment was cancelled: it is no longer owed."), "info")
        return redirect(url_for("booking.tourist.detail", reference=booking.reference))
    if payment.status is PaymentStatus.FAILED:
        flash(_("The payment did not go through: %(reason)s", reason=payment.last_error), "error")
        return redirect(url_for("payments.tourist.checkout", payment_id=payment.id))
    flash(_("Your payment is being processed. This page will show it once it is confirmed."), "info")
    return redirect(url_for("booking.tourist.detail", reference=booking.reference))


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
    return render_template("payments/tourist/receipt.html", payment=payment, booking=payment.booking)


# -- the balance: a plan, a saved card, and paying a part by hand ----------------------------------

@bp.post("/bookings/<reference>/balance")
@roles_required(Role.TOURIST)
def plan_balance(reference: str):
    booking = own_booking(reference)
    most = installments.max_installments(booking)
    form = PlanForm(most=most)
    if not form.validate_on_submit():
        if form.installments.errors and form.installments.data is not None:
            flash(installments.count_error(most), "error")  # more installments than fit
        else:
            flash(_("Choose how to pay the balance."), "error")
        return redirect(url_for("booking.tourist.detail", reference=reference))
    try:
        plan = installments.plan_balance(booking, current_user, form.installments.data)
        commit()
    except ServiceError as exc:
        rollback()
        if exc.field == "card":
            # Not a mistake: saving a card is the next step, and the card page says why.
            flash(exc.message, "info")
            return redirect(url_for("payments.tourist.save_card", reference=reference, installments=form.installments.data))
        flash(exc.message, "error")
        return redirect(url_for("booking.tourist.detail", reference=reference))
    flash(ngettext("Your balance is planned in %(num)d payment.", "Your balance is planned in %(num)d payments.",
                   len(plan.payments)), "success")
    return redirect(url_for("booking.tourist.detail", reference=reference) + "#ledger-title")


@bp.route("/bookings/<reference>/card", methods=["GET", "POST"])
@roles_required(Role.TOURIST)
def save_card(reference: str):
    """Save a card for automatic charges of the balance, with the tourist's explicit agreement."""
    booking = own_booking(reference)
    provider = payment_service.provider()
    installments_wanted = request.args.get("installments", 0, type=int)
    if isinstance(provider, SandboxProvider):
        form = SaveCardForm()
        if form.validate_on_submit():
            token, last4 = provider.save_card(form.card_number.data)
            return _card_saved(booking, token, last4, installments_wanted)
        return render_template("payments/tourist/save_card.html", booking=booking, form=form,
                               installments_wanted=installments_wanted), 422 if request.method == "POST" else 200
    customer = provider.ensure_customer(current_user.email, current_user.name, current_user.stripe_customer_id)
    current_user.stripe_customer_id = customer
    setup_id, client_secret = provider.start_card_setup(customer, booking.id)
    commit()
    response = current_app.make_response(render_template(
        "payments/tourist/stripe_card.html", booking=booking, client_secret=client_secret,
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        return_url=external_url("payments.tourist.card_saved", reference=reference, installments=installments_wanted),
    ))
    response.headers["Content-Security-Policy"] = STRIPE_CSP
    return response


@bp.get("/bookings/<reference>/card/return")
@roles_required(Role.TOURIST)
def card_saved(reference: str):
    booking = own_booking(reference)
    provider = payment_service.provider()
    setup_id = request.args.get("setup_intent", "")
    try:
        result = provider.finish_card_setup(setup_id) if setup_id and not isinstance(provider, SandboxProvider) else None
    except PaymentError as exc:
        log.warning("card setup %s could not be checked: %s", setup_id[:40], exc)
        result = None
    if result is None:
        flash(_("The card was not saved. Please try again."), "error")
        return redirect(url_for("booking.tourist.detail", reference=reference))
    return _card_saved(booking, result[0], result[1], request.args.get("installments", 0, type=int))


def _card_saved(booking, token: str, last4: str, installments_wanted: int):
    """Keep the saved card and, when the tourist came here choosing installments, make the plan."""
    installments.save_card(booking, current_user, token=token, last4=last4)
    planned = None
    if installments_wanted > 1:  # the plan checks how many fit, and says so
        try:
            planned = installments.plan_balance(booking, current_user, installments_wanted)
        except ServiceError as exc:
            flash(exc.message, "error")
    commit()
    flash(_("Your card ending in %(last4)s is saved for this booking.", last4=last4), "success")
    if planned is not None:
        flash(ngettext("Your balance is planned in %(num)d payment.", "Your balance is planned in %(num)d payments.",
                       len(planned.payments)), "success")
    return redirect(url_for("booking.tourist.detail", reference=booking.reference) + "#ledger-title")


@bp.post("/payments/<int:payment_id>/pay")
@roles_required(Role.TOURIST)
def pay_now(payment_id: int):
    payment = own_payment(payment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        installments.start_payment_by_hand(payment, current_user)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("booking.tourist.detail", reference=payment.booking.reference))
    return redirect(url_for("payments.tourist.checkout", payment_id=payment.id))


# -- cancelling and refunds -----------------------------------------------------------------------

@bp.route("/bookings/<reference>/cancel", methods=["GET", "POST"])
@roles_required(Role.TOURIST)
def cancel(reference: str):
    booking = own_booking(reference)
    form = CancelForm()
    if booking.state is not BookingState.CONFIRMED:
        flash(_("Only a confirmed booking can be cancelled; a held seat can be released."), "error")
        return redirect(url_for("booking.tourist.detail", reference=reference))
    if form.validate_on_submit():
        saved, result = save(form, lambda: cancellations.cancel_booking(booking, current_user, form.reason.data or ""))
        if saved:
            flash(_("Booking %(ref)s is cancelled. Refund: %(amount)s.", ref=reference,
                    amount=format_money(result.refund_minor, result.currency, str(get_locale()))), "info")
            return redirect(url_for("journey.index"))
    return render_template(
        "payments/tourist/cancel.html", booking=booking, form=form, quote=cancellations.quote(booking),
        tiers=cancellations.tiers(),
    ), 422 if request.method == "POST" else 200
