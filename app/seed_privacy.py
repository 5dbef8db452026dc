"""Demo data: privacy (``seed_privacy``). Nora, a tourist without a booking, asked 25 days ago
for her data to be erased: operations must answer within five days. Otto's request was refused,
with the reason he was given. The demo tourist downloaded her data export last week, and
retention has run. Made once."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from app.extensions import db
from app.models import ErasureRequest, ExportState, PrivacyLogKind, RetentionRun, User
from app.privacy import erasure, exports, log, retention
from app.timeutil import now_utc


def seed_privacy(ops: User, tourist: User, new_tourist: Callable[[str, str], User]) -> None:
    if db.session.scalar(select(ErasureRequest.id).limit(1)) is not None:
        return
    now = now_utc()
    nora = new_tourist("nora@example.com", "Nora Lindqvist")
    erasure.request_erasure(nora, "I have decided not to fly, and I would like my data deleted.", agreed=True,
                            now=now - timedelta(days=25))
    otto = new_tourist("otto@example.com", "Otto Brenner")
    refused = erasure.request_erasure(otto, "", agreed=True, now=now - timedelta(days=12))
    erasure.refuse(refused.id, ops, "Your refund of 3 November is still being processed by your bank; we must keep "
                                    "the payment records until it is settled. Please ask again once it has arrived.")

    if exports.latest(tourist) is None:
        export = exports.request_export(tourist, now=now - timedelta(days=7))
        export.state, export.ready_at = ExportState.DOWNLOADED, now - timedelta(days=7)
        export.downloaded_at = now - timedelta(days=6)
        log.write(PrivacyLogKind.EXPORT_READY, subject_id=tourist.id, rows=57)
        log.write(PrivacyLogKind.EXPORT_DOWNLOADED, actor=tourist, subject_id=tourist.id)
    if db.session.scalar(select(RetentionRun.id).limit(1)) is None:
        run = retention.current_run()
        while retention.step(run.id):
            pass
        retention.finish(run.id)
    db.session.flush()


