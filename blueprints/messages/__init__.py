"""The message engine's pages: everyone's notifications and settings (``inbox``), operations' list of
every message sent (``outbox``), and Twilio's callbacks (``webhooks``)."""

from flask import Blueprint

from blueprints.messages import inbox, outbox, webhooks

bp = Blueprint("messages", __name__)
bp.register_blueprint(inbox.bp)
bp.register_blueprint(outbox.bp)
bp.register_blueprint(webhooks.bp)
