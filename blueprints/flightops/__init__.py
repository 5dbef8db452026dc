"""Flight operations' pages: every tourist of a flight against every gate, operations' overrides
(``readiness``); moving a launch with its impact report (``schedule``)."""

from flask import Blueprint

from blueprints.flightops import readiness, schedule

bp = Blueprint("flightops", __name__)
bp.register_blueprint(readiness.bp)
bp.register_blueprint(schedule.bp)
