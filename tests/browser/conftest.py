"""Fixtures for the browser tests: the real app on a live server, and Debian's chromium.

The live server runs the session's ``app`` (eager Celery, outbox providers) in a thread on
127.0.0.1; every test gets ``committed_db`` so what the server commits is real and is emptied
afterwards. Playwright drives /usr/bin/chromium (``playwright install`` does not work here).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Iterator

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from tests.browser.support import DESKTOP, Visitor
from tests.services import in_ci

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        message = (f"Debian's chromium is not installed at {CHROMIUM} "
                   "(`apt-get install -y chromium`)")
        if in_ci():
            pytest.fail(f"{message}; under CI=true a missing browser is a failure", pytrace=False)
        pytest.skip(f"{message}; the browser tests need it")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args():
    # Not built on pytest-playwright's own fixture: that one asks for its ``base_url`` fixture,
    # which pytest 9 deprecates (a warning on every run), and only adds --device and --video.
    return {
        # The app's CSP allows only its own scripts; axe-core is injected by the tests.
        "bypass_csp": True,
        "viewport": DESKTOP,
        "locale": "en-US",
        "timezone_id": "UTC",
        # Pico honours it by turning transitions off, so axe never sees a colour mid-fade.
        "reduced_motion": "reduce",
    }


@pytest.fixture(scope="session")
def _server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(_server, app, committed_db, monkeypatch) -> str:
    """The base URL of the running app; its data is committed and emptied after the test. It is
    the app's BASE_URL meanwhile, as a deployment's public address is: links in messages lead
    back to this server."""
    monkeypatch.setitem(app.config, "BASE_URL", _server)
    return _server


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash new passwords with a low scrypt cost: the real cost takes a second per demo data set.

    Checking a password reads the cost from the stored hash, so logins get fast too. The real
    hashing is the unit tests' business; these tests are about what a person sees.
    """
    import app.models.accounts as accounts_model

    def generate(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return generate_password_hash(password, method="scrypt:1024:8:1", salt_length=salt_length)

    monkeypatch.setattr(accounts_model, "generate_password_hash", generate)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def visitor(request, live_server, page) -> Iterator[Visitor]:
    """A visitor on the live server, in the test's own browser context."""
    visitor = Visitor(page, live_server)
    yield visitor
    _fail_on_unchecked(request, [visitor])


@pytest.fixture
def another_visitor(request, live_server, new_context) -> Iterator[Callable[..., Visitor]]:
    """Make further visitors, each in a browser context of their own (own cookies, own login).

    Keyword arguments go to the context, e.g. ``another_visitor(color_scheme="dark")``.
    """
    made: list[Visitor] = []

    def make(**context_args) -> Visitor:
        visitor = Visitor(new_context(**context_args).new_page(), live_server)
        made.append(visitor)
        return visitor

    yield make
    _fail_on_unchecked(request, made)


def _fail_on_unchecked(request, visitors: list[Visitor]) -> None:
    """A passing test must have checked every page it landed on (a failed one already says why)."""
    if not request.node.stash.get(_PASSED, False):
        return
    unchecked = [url for v in visitors for url in v.unchecked_navigations()]
    if unchecked:
        pytest.fail(
            "pages were visited without an accessibility check (call visitor.check()): "
            + ", ".join(unchecked), pytrace=False,
        )
