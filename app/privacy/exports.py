"""A tourist's data export: asked for on their privacy page, built by a task into a ZIP (a JSON
file per part of :mod:`app.personal_data`, the files the parts hold, and ``summary.html`` to read
it all in a browser), told to the tourist when ready, downloaded once within
``PRIVACY_EXPORT_HOURS``. Every step is in the privacy log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import zipfile
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from app import personal_data
from app.errors import ServiceError
from app.extensions import db
from app.messaging import reminders
from app.messaging.outbox import recipient_locale
from app.models import DataExport, ExportState, PrivacyLogKind, User
from app.privacy import log
from app.privacy.erasure import lock_user
from app.timeutil import now_utc
from app.transactions import after_commit

E = ExportState
BUILD_TASK = "countdown.build_data_export"


def token(export: DataExport) -> str:
    message = f"privacy-export:{export.id}:{export.salt}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()[:40]


def token_matches(export: DataExport, given: str) -> bool:
    return hmac.compare_digest(token(export), given or "")


def owner_of(export_id: int) -> int | None:
    return db.session.scalar(select(DataExport.user_id).where(DataExport.id == export_id))


def latest(user: User) -> DataExport | None:
    return db.session.scalar(select(DataExport).where(DataExport.user_id == user.id)
                             .order_by(DataExport.id.desc()).limit(1))


def request_export(user: User, now: datetime | None = None) -> DataExport:
    """Ask for an export; one being built or ready to download is the answer to a second ask."""
    now = now or now_utc()
    lock_user(user)  # two submissions at once: the second finds the first
    current = latest(user)
    # One asked for over an hour ago and still not built has failed: a new one may be asked for.
    building = current is not None and current.state is E.QUEUED and current.requested_at > now - timedelta(hours=1)
    if building or (current is not None and current.state is E.READY and current.expires_at
                    and current.expires_at > now):
        raise ServiceError(_("Your data export is already being prepared or ready to download."))
    export = DataExport(user_id=user.id, state=E.QUEUED, salt=secrets.token_hex(16), requested_at=now)
    db.session.add(export)
    db.session.flush()
    log.write(PrivacyLogKind.EXPORT_REQUESTED, actor=user, subject_id=user.id)
    after_commit(BUILD_TASK, export.id)
    return export


def to_build(now: datetime | None = None) -> list[int]:
    """Exports asked for a while ago and not built (their task was lost): the sweep builds them."""
    since = (now or now_utc()) - timedelta(minutes=10)
    return list(db.session.scalars(select(DataExport.id).where(
        DataExport.state == E.QUEUED, DataExport.requested_at < since).order_by(DataExport.id)))


def build(export_id: int, now: datetime | None = None) -> DataExport | None:
    """Build the ZIP of a queued export and tell the tourist; None when there is nothing to do
    (built already, or gone). The row is locked while it is built: two tasks never build it twice."""
    now = now or now_utc()
    export = db.session.scalar(select(DataExport).where(DataExport.id == export_id).with_for_update()
                               .execution_options(populate_existing=True))
    if export is None or export.state is not E.QUEUED:
        return None
    user = export.user
    content, rows = archive(user, now)
    export.content = base64.b64encode(content).decode("ascii")
    export.size = len(content)
    export.sha256 = hashlib.sha256(content).hexdigest()
    export.state, export.ready_at = E.READY, now
    export.expires_at = now + timedelta(hours=current_app.config["PRIVACY_EXPORT_HOURS"])
    log.write(PrivacyLogKind.EXPORT_READY, subject_id=user.id, rows=rows,
              detail={"parts": [p.key for p in personal_data.parts()], "bytes": export.size})
    reminders.notify("privacy_export_ready", export)
    return export


def _rows(data) -> int:
    """How many records a part's data holds (its lists' items, or one for a record on its own)."""
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        return sum(_rows(v) if isinstance(v, list) else int(v is not None) for v in data.values())
    return int(data is not None)


def archive(user: User, now: datetime) -> tuple[bytes, int]:
    """Everything held about ``user``, as the bytes of a ZIP, and how many records it holds."""
    sections = []
    rows = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in personal_data.parts():
            if part.export is None:
                continue
            data = part.export(user)
            rows += _rows(data)
            zf.writestr(f"{part.key}.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
            files = part.files(user)
            for file in files:
                zf.writestr(file.name, file.content)
            sections.append((part, data, files))
        with recipient_locale(user):
            summary = render_template("privacy/summary.html", user=user, sections=sections, made_at=now)
        zf.writestr("summary.html", summary)
    return buffer.getvalue(), rows


def download(user: User, export_id: int, given_token: str, now: datetime | None = None) -> tuple[DataExport, bytes]:
    """The export's file, once: the row is locked, marked downloaded and its file removed in the
    transaction that hands it over. Anyone else's export, or a wrong token: ServiceError."""
    now = now or now_utc()
    export = db.session.scalar(select(DataExport).where(DataExport.id == export_id).with_for_update()
                               .options(undefer(DataExport.content)).execution_options(populate_existing=True))
    if export is None or export.user_id != user.id or not token_matches(export, given_token):
        raise ServiceError(_("This download link is not valid."))
    if export.state is E.DOWNLOADED:
        raise ServiceError(_("This export was downloaded already: each link works once. Ask for a new one."))
    if export.state is E.EXPIRED or (export.expires_at is not None and export.expires_at <= now):
        raise ServiceError(_("This download link has expired. Ask for a new export."))
    if export.state is not E.READY:
        raise ServiceError(_("Your data export is not ready yet."))
    content = base64.b64decode(export.content)
    export.state, export.downloaded_at, export.content = E.DOWNLOADED, now, ""
    log.write(PrivacyLogKind.EXPORT_DOWNLOADED, actor=user, subject_id=user.id, detail={"bytes": export.size})
    return export, content


def expire(now: datetime | None = None) -> int:
    """Ready exports past their time: the file goes, the link stops working. One conditional
    UPDATE: an export downloaded meanwhile is not logged as expired."""
    now = now or now_utc()
    due = list(db.session.execute(
        update(DataExport).where(DataExport.state == E.READY, DataExport.expires_at <= now)
        .values(state=E.EXPIRED, content="").returning(DataExport.id, DataExport.user_id)
        .execution_options(synchronize_session=False)))
    for _id, user_id in due:
        log.write(PrivacyLogKind.EXPORT_EXPIRED, subject_id=user_id)
    return len(due)
