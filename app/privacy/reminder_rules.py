"""Privacy's messages to a tourist: their export is ready (with its link), and operations' answer
to their request for erasure. Sent at once, on every channel the tourist has, at any hour (a locked
category; an erasure would delete what waited for the morning)."""

from __future__ import annotations

from flask_babel import format_datetime

from app.messaging.reminders import Rule, Subject, register, register_subject
from app.models import DataExport, ErasureRequest
from app.privacy import exports
from app.urls import external_url


def _privacy_url(_subject) -> str:
    return external_url("privacy.tourist.page")


def _export_url(export: DataExport) -> str:
    return external_url("privacy.tourist.download", export_id=export.id, token=exports.token(export))


register_subject(Subject("data_export", DataExport))
register_subject(Subject("erasure_request", ErasureRequest))

register(Rule(
    "privacy_export_ready", "data_export", "privacy", "privacy_export_ready", resolvable=False, urgent=True,
    recipient=lambda e: e.user, link=_export_url,
    context=lambda e, stored: {"expires": format_datetime(e.expires_at, "medium")},
))
register(Rule(
    "privacy_erasure_confirmed", "erasure_request", "privacy", "privacy_erasure_confirmed", resolvable=False, urgent=True,
    recipient=lambda r: r.user, link=lambda r: external_url("core.index"), context=lambda r, stored: {"request": r},
))
register(Rule(
    "privacy_erasure_refused", "erasure_request", "privacy", "privacy_erasure_refused", resolvable=False, urgent=True,
    recipient=lambda r: r.user, link=_privacy_url, context=lambda r, stored: {"request": r},
))
