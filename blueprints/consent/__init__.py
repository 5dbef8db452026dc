"""Consent's pages: the tourist signs and asks (``tourist``); operations publish and answer
(``operations``)."""

from flask import Blueprint

from blueprints.consent import operations, tourist

bp = Blueprint("consent", __name__)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(operations.bp)
