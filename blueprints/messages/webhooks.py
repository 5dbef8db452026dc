"""Twilio's webhooks: delivery reports for our SMS, and messages people send us.

Both are form POSTs signed by Twilio with the account's auth token (``X-Twilio-Signature``). The
signature covers the URL Twilio called, which is ``BASE_URL`` plus the path and query string: the
app usually sits behind a proxy, so the URL it sees itself may differ. A request that is not
signed, or not signed right, gets a 403 and changes nothing."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.extensions import csrf
from app.messaging import sms
from app.transactions import commit

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def called_url() -> str:
    """The URL Twilio called, as it signed it."""
    base = current_app.config["BASE_URL"].rstrip("/")
    query = request.query_string.decode("utf-8", "replace")
    return base + request.path + (f"?{query}" if query else "")


def require_twilio_signature() -> None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not RequestValidator(token).validate(called_url(), request.form, signature):
        log.warning("Twilio webhook %s refused: %s", request.path,
                    "no auth token configured" if not token else "missing or invalid signature")
        abort(403)


@bp.post("/webhooks/twilio/status")
@csrf.exempt
def status():
    require_twilio_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    state = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not sid or len(sid) > 64:
        return {"error": "MessageSid is missing or malformed"}, 400
    outcome = sms.record_status(sid, state[:32], (request.form.get("ErrorCode") or "")[:16] or None)
    commit()
    log.info("Twilio status %s for %s: %s", state, sid, outcome)
    return "", 204


@bp.post("/webhooks/twilio/inbound")
@csrf.exempt
def inbound():
    require_twilio_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    if not sid or len(sid) > 64:
        return {"error": "MessageSid is missing or malformed"}, 400
    media = request.form.get("NumMedia", "0")
    reply = sms.handle_inbound(sid, request.form.get("From", ""), request.form.get("Body", ""),
                               media=int(media) if media.isascii() and media.isdigit() and len(media) < 3 else 0)
    commit()
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), status=200, content_type="text/xml; charset=utf-8")
