"""Encryption at rest for medical data: free text in the database, and uploaded files.

Keys come from ``MEDICAL_ENCRYPTION_KEYS``: Fernet keys separated by commas, the first one used to
encrypt, every one tried to decrypt. To rotate, put a new key first and keep the old ones after
it, then run ``flask medical rotate-key``, which re-encrypts everything with the new key; the old
keys can then be removed. Without the setting (development and tests only; production refuses to
start), a key is generated once into the instance folder.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_EXTENSION = "countdown_crypto"


class CryptoError(RuntimeError):
    pass


def _instance_key(path: Path) -> bytes:
    """The key of a development instance, made by whichever process starts first. It is written
    whole to a file of its own and linked into place, which fails if another process got there
    first: processes starting together (web workers, the Celery worker) never read half a key, nor
    each make their own and lose what the other encrypted."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_bytes(Fernet.generate_key())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)
    return path.read_bytes().strip()


def load_keys(app: Flask) -> list[bytes]:
    raw = app.config.get("MEDICAL_ENCRYPTION_KEYS", "")
    if raw:
        keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    else:
        keys = [_instance_key(Path(app.config["INSTANCE_DIR"]) / "medical-encryption.key")]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise CryptoError("MEDICAL_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
    return keys


def init_crypto(app: Flask) -> None:
    app.extensions[_EXTENSION] = MultiFernet([Fernet(k) for k in load_keys(app)])


def fernet() -> MultiFernet:
    return current_app.extensions[_EXTENSION]


def encrypt(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise CryptoError("medical data cannot be decrypted with the configured keys") from exc


def rotate(token: bytes) -> bytes:
    """The same data, encrypted with the first (newest) key."""
    return fernet().rotate(token)


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token: the database never holds it readable."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return decrypt(value.encode("ascii")).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect) -> Any:
        if value is None:
            return None
        return json.loads(decrypt(value.encode("ascii")))
