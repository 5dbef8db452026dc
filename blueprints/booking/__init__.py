"""Booking's pages: the catalog anyone browses (``catalog``), the tourist's bookings (``tourist``),
and operations' flights with their passengers and waiting list (``operations``)."""

from flask import Blueprint

from blueprints.booking import catalog, operations, tourist

bp = Blueprint("booking", __name__)
bp.register_blueprint(catalog.bp)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(operations.bp)
