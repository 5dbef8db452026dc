"""Training's pages, by who they are for: the tourist's training (``tourist``), the instructor's
roster and sign-off (``instructor``), operations' modules, plans, sessions and who is behind
(``operations``), and private calendar feeds (``feeds``)."""

from flask import Blueprint

from app.training import labels
from blueprints.training import feeds, instructor, operations, rendering, tourist

bp = Blueprint("training", __name__)
# The names of training states in the reader's language, on every page of the four audiences.
bp.add_app_template_global(labels, "training_labels")
rendering.register(bp)  # roster_rows
bp.register_blueprint(tourist.bp)
bp.register_blueprint(instructor.bp)
bp.register_blueprint(operations.bp)
bp.register_blueprint(feeds.bp)
