"""The documents' pages: the tourist reads, signs or acknowledges, and asks (``tourist``);
operations keep the documents, publish versions, follow each flight and answer (``operations``)."""

from flask import Blueprint

from app.documents import labels
from blueprints.documents import operations, rendering, tourist

bp = Blueprint("documents", __name__)
bp.add_app_template_global(labels, "document_labels")
rendering.register(bp)  # document_cells
bp.register_blueprint(tourist.bp)
bp.register_blueprint(operations.bp)
