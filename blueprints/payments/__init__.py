"""Payments' pages: the tourist pays, plans and cancels (``tourist``); operations see a booking's
payments and refund them (``operations``); Stripe's events (``webhooks``)."""

from flask import Blueprint

from blueprints.payments import operations, tourist, webhooks

bp = Blueprint("payments", __name__)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(operations.bp)
bp.register_blueprint(webhooks.bp)
