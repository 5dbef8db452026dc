"""Column types shared by all models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Date, DateTime, Enum
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from app.timeutil import UTC


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use app.timeutil.now_utc()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class utc_date(FunctionElement):
    """SQL: the UTC calendar date of a :class:`UTCDateTime` column (``value.date()`` in a query)."""

    type = Date()
    inherit_cache = True


@compiles(utc_date)
def _utc_date_sqlite(element, compiler, **kw):
    # SQLite keeps UTC timestamps without a zone (app.models.types.UTCDateTime)
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') AS DATE)"


def enum_column(enum_cls: type[enum.Enum], length: int = 16) -> Enum:
    """Enums are stored as their string values in a plain VARCHAR on every database."""
    return Enum(
        enum_cls, native_enum=False, length=length, validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


def render_item(type_: str, obj, autogen_context):
    """Alembic autogenerate: write our column types as plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and type(obj).__name__ in ("EncryptedText", "EncryptedJSON"):
        return "sa.Text()"  # Fernet tokens
    return False
