"""/healthz against a real broker, a broker that is down, and a database that is down."""

from __future__ import annotations

import time

import pytest

from tests.conftest import require_service
from tests.integration.support import separate_app
from tests.services import in_ci

CLOSED_PORT = 1  # nothing listens on port 1: connections are refused at once


def healthz(database_url: str, instance, **env) -> tuple[int, dict, float]:
    env.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")  # an eager app reports the broker ok unasked
    with separate_app(database_url, instance, empty=False, **env) as app:
        started = time.perf_counter()
        response = app.test_client().get("/healthz")
        return response.status_code, response.get_json(), time.perf_counter() - started


@pytest.mark.redis
def test_healthy_with_real_redis(app, database_url, tmp_path):
    require_service("Redis", "127.0.0.1", 6379)
    status, body, _ = healthz(database_url, tmp_path, REDIS_URL="redis://127.0.0.1:6379/7")
    assert (status, body["status"], body["database"], body["broker"]) == (200, "ok", "ok", "ok")


def test_healthy_with_the_embedded_broker(app, database_url, tmp_path):
    status, body, _ = healthz(database_url, tmp_path)
    assert (status, body["status"], body["database"], body["broker"]) == (200, "ok", "ok", "ok")


def test_broker_down_answers_503_quickly(app, database_url, tmp_path):
    status, body, elapsed = healthz(
        database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0"
    )
    assert (status, body["status"], body["database"], body["broker"]) == (
        503, "degraded", "ok", "unavailable"
    )
    assert elapsed < 1.5, f"/healthz took {elapsed:.1f} s with the broker down"


def test_database_down_answers_503_quickly(app, tmp_path):
    status, body, elapsed = healthz(
        f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/countdown", tmp_path,
    )
    assert (status, body["status"], body["database"], body["broker"]) == (
        503, "degraded", "unavailable", "ok"
    )
    assert elapsed < 1.5, f"/healthz took {elapsed:.1f} s with the database down"


@pytest.mark.redis
def test_healthz_notices_a_broker_that_goes_away_after_a_good_check(tmp_path):
    """Each call makes a real round trip: a broker lost after the first check is reported."""
    import shutil
    import subprocess

    if shutil.which("redis-server") is None:
        if in_ci():
            pytest.fail("redis-server is not installed; under CI=true this is a failure")
        pytest.skip("redis-server is not installed")
    import time as _time

    from tests.conftest import free_port

    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = _time.monotonic() + 10
        import redis as _redis

        while _time.monotonic() < deadline:
            try:
                _redis.Redis(port=port).ping()
                break
            except _redis.ConnectionError:
                _time.sleep(0.05)
        from app import create_app
        from tests.conftest import make_env

        app = create_app(env=make_env(f"sqlite:///{tmp_path / 'h.sqlite'}", tmp_path,
                                      REDIS_URL=f"redis://127.0.0.1:{port}/0",
                                      CELERY_TASK_ALWAYS_EAGER="0"))
        client = app.test_client()
        assert client.get("/healthz").get_json()["broker"] == "ok"
        server.terminate()
        server.wait(timeout=10)
        response = client.get("/healthz")
        assert response.status_code == 503 and response.get_json()["broker"] == "unavailable"
    finally:
        if server.poll() is None:
            server.kill()
