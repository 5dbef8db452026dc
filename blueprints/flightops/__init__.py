"""Flight operations' pages: every tourist of a flight against every gate, operations' overrides
(``readiness``)."""

from flask import Blueprint

from blueprints.flightops import readiness

bp = Blueprint("flightops", __name__)
bp.register_blueprint(readiness.bp)
