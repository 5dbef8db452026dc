"""Key rotation for medical data: re-encrypt every encrypted column and every upload file with the
newest key of ``MEDICAL_ENCRYPTION_KEYS`` (``flask medical rotate-key``).

The procedure: put a new key first in ``MEDICAL_ENCRYPTION_KEYS`` and keep the old ones after it,
deploy (the app now writes with the new key and still reads with the old ones), run
``flask medical rotate-key``, then drop the old keys and deploy again.

Values already encrypted with the newest key are left as they are, so running it again rewrites
nothing and an interrupted run can simply be started again. Each batch is its own transaction and
a row is written back only if it still holds the token that was read (a request that changed it
meanwhile wrote it with the newest key already). Files are rewritten to a temporary file in the
same folder and renamed over the original, so a file is always either the old or the new one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app.crypto import EncryptedJSON, EncryptedText, fernet, load_keys
from app.extensions import db

#: Temporary files of an interrupted rotation (never uploads: those have no dot prefix).
_TEMP_PREFIX = ".rotating-"


@dataclass
class RotationReport:
    rewritten: dict[str, int] = field(default_factory=dict)   # "table.column" -> values re-encrypted
    current: dict[str, int] = field(default_factory=dict)     # already on the newest key
    files_rewritten: int = 0
    files_current: int = 0
    unreadable: list[str] = field(default_factory=list)       # no configured key opens these

    @property
    def values_rewritten(self) -> int:
        return sum(self.rewritten.values())

    @property
    def values_current(self) -> int:
        return sum(self.current.values())


def encrypted_columns() -> list[tuple[sa.Table, list[sa.Column]]]:
    """Every table with columns of an encrypted type, with those columns."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (EncryptedText, EncryptedJSON))]
        if columns:
            found.append((table, columns))
    return found


def _newest() -> Fernet:
    return Fernet(load_keys(current_app)[0])


def _is_current(newest: Fernet, token: bytes) -> bool:
    try:
        newest.decrypt(token)
        return True
    except InvalidToken:
        return False


def rotate_database(report: RotationReport, batch_size: int = 500) -> None:
    newest, everyone = _newest(), fernet()
    for table, columns in encrypted_columns():
        (pk,) = table.primary_key.columns
        # Plain text columns: read and write the stored tokens, not the decrypted values.
        raw = sa.table(table.name, sa.column(pk.name), *(sa.column(c.name, sa.Text) for c in columns))
        for column in columns:
            key = f"{table.name}.{column.name}"
            report.rewritten.setdefault(key, 0)
            report.current.setdefault(key, 0)
        last = None
        while True:
            query = sa.select(raw.c[pk.name], *(raw.c[c.name] for c in columns)).order_by(raw.c[pk.name])
            if last is not None:
                query = query.where(raw.c[pk.name] > last)
            rows = db.session.execute(query.limit(batch_size)).all()
            if not rows:
                break
            for row in rows:
                row_id = row[0]
                for column, value in zip(columns, row[1:]):
                    key = f"{table.name}.{column.name}"
                    if value is None:
                        continue
                    token = value.encode("ascii")
                    if _is_current(newest, token):
                        report.current[key] += 1
                        continue
                    try:
                        rotated = everyone.rotate(token).decode("ascii")
                    except InvalidToken:
                        report.unreadable.append(f"{key} id={row_id}")
                        continue
                    changed = db.session.execute(
                        sa.update(raw).where(raw.c[pk.name] == row_id, raw.c[column.name] == value)
                        .values({column.name: rotated})
                    ).rowcount
                    if changed:
                        report.rewritten[key] += 1
                    else:  # changed meanwhile by the app, which wrote it with the newest key
                        report.current[key] += 1
            db.session.commit()
            last = rows[-1][0]


def rotate_files(report: RotationReport, upload_dir: str | os.PathLike) -> None:
    root = Path(upload_dir)
    if not root.is_dir():
        return
    newest, everyone = _newest(), fernet()
    for path in sorted(root.rglob("*")):
        # Skip our own temporary files and uploads being written (``<name>.part``, renamed when
        # complete: written with the newest key anyway).
        if not path.is_file() or path.name.startswith(_TEMP_PREFIX) or path.suffix == ".part":
            continue
        data = path.read_bytes()
        if _is_current(newest, data):
            report.files_current += 1
            continue
        try:
            rotated = everyone.rotate(data)
        except InvalidToken:
            report.unreadable.append(str(path.relative_to(root)))
            continue
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(rotated)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.chmod(temp, path.stat().st_mode & 0o777)
            except FileNotFoundError:  # deleted meanwhile (a discarded upload): leave it deleted
                Path(temp).unlink(missing_ok=True)
                continue
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        report.files_rewritten += 1


def rotate_all(batch_size: int = 500) -> RotationReport:
    """Re-encrypt every encrypted column and every upload with the newest key."""
    report = RotationReport()
    rotate_database(report, batch_size)
    rotate_files(report, current_app.config["MEDICAL_UPLOAD_DIR"])
    return report
