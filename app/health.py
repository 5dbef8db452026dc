"""Is the broker reachable right now? A real round trip on every call, cheap on each transport."""

from __future__ import annotations

import functools

import redis
import sqlalchemy as sa
from celery import Celery


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # redis-py keeps a connection pool and resets it after a fork (gunicorn workers).
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


@functools.cache
def _sqla_engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=False)


def broker_reachable(celery: Celery) -> bool:
    url: str = celery.conf.broker_url or ""
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            return bool(_redis_client(url).ping())
        if url.startswith("sqla+"):
            with _sqla_engine(url[len("sqla+"):]).connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        # Any other transport (e.g. RabbitMQ): open a connection; no retry, kombu sleeps before one.
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "unreachable"
        return False
