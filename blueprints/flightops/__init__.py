"""Flight operations' pages: every tourist of a flight against every gate, operations' overrides
(``readiness``); moving a launch with its impact report, scrubs (``schedule``); launch-day updates
and the read-only launch page (``launch``); after the flight: marking it flown, certificates, the
survey (``after``)."""

from flask import Blueprint

from blueprints.flightops import after, launch, readiness, schedule

bp = Blueprint("flightops", __name__)
bp.register_blueprint(readiness.bp)
bp.register_blueprint(schedule.bp)
bp.register_blueprint(launch.bp)
bp.register_blueprint(after.bp)
