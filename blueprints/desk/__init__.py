"""The customer service desk's pages: the tourist's conversations (``tourist``) and the staff
inbox, conversation, saved answers and weekly figures (``staff``)."""

from flask import Blueprint, request

from blueprints.desk import staff, tourist

bp = Blueprint("desk", __name__)
bp.register_blueprint(tourist.bp)
bp.register_blueprint(staff.bp)

#: The topic "Ask us" starts with, from the part of the app the tourist is in (by endpoint only,
#: so that the main navigation, written once per endpoint, stays the same for everyone).
_TOPIC_BY_PREFIX = (
    ("medical.", "medical"), ("training.", "training"), ("documents.", "documents"), ("travel.", "travel"),
    ("payments.", "booking"), ("booking.", "booking"), ("flightops.", "launch_day"),
)


def ask_context() -> dict[str, str]:
    endpoint = request.endpoint or ""
    topic = next((topic for prefix, topic in _TOPIC_BY_PREFIX if endpoint.startswith(prefix)), "")
    return {"topic": topic} if topic else {}


@bp.app_context_processor
def _ask_context() -> dict:
    return {"ask_context": ask_context}
