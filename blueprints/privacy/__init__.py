"""Privacy's pages: the tourist's own data (``tourist``: export, erasure, what is kept and why) and
operations' requests, retention and log (``operations``)."""

from flask import Blueprint

from blueprints.privacy import operations, rendering, tourist

bp = Blueprint("privacy", __name__)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(operations.bp)
rendering.register(bp)  # the rows of operations' page
