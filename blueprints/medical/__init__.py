"""The medical domain's pages, by who they are for: the tourist's questionnaire, status and
self-certification (``tourist``), medical staff's review (``staff``), and the questionnaire editor
(``editor``)."""

from flask import Blueprint

from app.medical.questionnaires import title_of
from blueprints.medical import editor, staff, tourist

bp = Blueprint("medical", __name__)
# A questionnaire's title in the reader's language, on every page of the three audiences.
bp.add_app_template_global(title_of)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(staff.bp)
bp.register_blueprint(editor.bp)
