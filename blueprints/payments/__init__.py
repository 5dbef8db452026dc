"""Payments' pages: the tourist pays, plans and cancels (``tourist``); Stripe's events (``webhooks``).
Operations refund from a booking's page (``blueprints.booking.operations``)."""

from flask import Blueprint

from blueprints.payments import tourist, webhooks

bp = Blueprint("payments", __name__)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(webhooks.bp)
