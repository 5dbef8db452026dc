"""Travel's pages, by who they are for: the tourist's travel page (``tourist``) and the logistics
coordinator's work, which operations share (``logistics``)."""

from flask import Blueprint

from app.travel import labels
from blueprints.travel import logistics, rendering, tourist

bp = Blueprint("travel", __name__)
# The names of travel kinds and states in the reader's language, on the pages of both audiences.
bp.add_app_template_global(labels, "travel_labels")
rendering.register(bp)  # at_place, segment_status, segment_what and the day's rows and flight filter
bp.register_blueprint(tourist.bp)
bp.register_blueprint(logistics.bp)
