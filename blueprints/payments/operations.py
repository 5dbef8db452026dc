"""Operations and a booking's money: one booking as operations see it (its history, every
payment, its consent and medical status) and the refunds they make from it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.documents import consent
from app.extensions import db
from app.medical import cases as medical
from app.models import Booking, Payment, PaymentEvent, User
from app.money import format_money
from app.payments import payments as payment_service
from blueprints.access import ops_only
from blueprints.forms import save
from blueprints.payments.forms import RefundForm

bp = Blueprint("operations", __name__, url_prefix="/ops")


@bp.get("/bookings/<reference>")
@ops_only
def booking(reference: str):
    """One booking as operations sees it: its history, every payment, and refunds."""
    return booking_page(reference)


def booking_page(reference: str, *, refund_forms: dict | None = None, status: int = 200):
    """The booking's page; ``refund_forms`` by payment id: a refund refused, with its errors."""
    booking = db.session.scalar(
        select(Booking).where(Booking.reference == reference)
        .options(selectinload(Booking.events), selectinload(Booking.user))
    ) or abort(404)
    ledger = payment_service.ledgers([booking])[booking.id]
    payment_events = list(db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.payment_id.in_([p.id for p in ledger.payments]))
        .order_by(PaymentEvent.id)
    )) if ledger.payments else []
    actor_ids = {r.actor_id for p in ledger.payments for r in p.refunds if r.actor_id is not None}
    refund_actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} \
        if actor_ids else {}
    return render_template(
        "payments/operations/booking.html", booking=booking, ledger=ledger, payment_events=payment_events,
        refund_actors=refund_actors, refundable=payment_service.refundable_minor,
        refund_form=RefundForm(formdata=None), refund_forms=refund_forms or {},
        consent_status=consent.statuses([booking])[booking.id],
        medical_status=medical.clearance_statuses([booking])[booking.id],  # the status alone, no details
    ), status


@bp.post("/payments/<int:payment_id>/refund")
@ops_only
def refund(payment_id: int):
    payment = db.session.get(Payment, payment_id) or abort(404)
    form = RefundForm()
    form.payment = payment
    if form.validate_on_submit():
        amount = form.amount_minor()
        saved, _refund = save(form, lambda: payment_service.refund_payment(
            payment, amount, reason=form.reason.data, actor=current_user))
        if saved:
            flash(_("Refunded %(amount)s.", amount=format_money(amount, payment.currency, str(get_locale()))), "success")
            return redirect(url_for("payments.operations.booking", reference=payment.booking.reference))
    # The booking's page again, with what was typed and every error at its field.
    payment = db.session.get(Payment, payment_id)
    return booking_page(payment.booking.reference, refund_forms={payment.id: form}, status=422)
