"""The log-in limit holds across web processes: four gunicorn workers, attempts at the same moment.

Before, each process counted in its own memory, so with four workers one account took 13-17 wrong
passwords before the limit of 5, and the right password right after a refusal still got in.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app.extensions import db
from tests.conftest import PASSWORD, free_port, make_env
from tests.integration.support import add_tourists

REPO = Path(__file__).resolve().parents[2]
WINDOW = 10  # seconds: long enough for the burst and the checks after it, short enough to wait out
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def gunicorn(app, committed_db, database_url, tmp_path):
    port = free_port()
    env = {**os.environ, **make_env(database_url, tmp_path / "instance"),
           "LOGIN_LIMIT_PER_ACCOUNT": f"5 per {WINDOW} seconds", "LOGIN_LIMIT_PER_IP": "100 per minute"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}",
         "--error-logfile", "-", "app:create_app()"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/login", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def _attempt(base: str, email: str, password: str) -> int:
    with requests.Session() as browser:
        token = _CSRF.search(browser.get(base + "/login", timeout=10).text).group(1)
        response = browser.post(base + "/login", data={"email": email, "password": password,
                                                       "csrf_token": token},
                                allow_redirects=False, timeout=30)
        return response.status_code


def test_five_wrong_passwords_at_once_over_four_processes_then_throttled_until_the_window_ends(gunicorn):
    [user] = add_tourists(1, prefix="throttled")
    email = user.email
    db.session.commit()
    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: _attempt(gunicorn, email, "wrong-password-1"), range(12)))
    burst_done = time.monotonic()
    assert sorted(codes) == [401] * 5 + [429] * 7, codes

    # Throttled: even the right password is refused, by whichever process answers.
    for _ in range(4):
        assert _attempt(gunicorn, email, PASSWORD) == 429
    assert time.monotonic() - started < WINDOW, "the checks took longer than the window; the test proves nothing"

    # When the window has passed, the account opens again with the right password.
    time.sleep(max(0.0, burst_done + WINDOW + 0.5 - time.monotonic()))
    assert _attempt(gunicorn, email, PASSWORD) == 302
