"""Helpers for the browser tests: axe-core checks, screenshots and a visitor that uses both.

Every page a test lands on goes through :meth:`Visitor.check`, which waits for htmx to settle, runs
axe-core with the WCAG 2.0/2.1 A and AA rules, fails on any JavaScript error or server error, and
optionally saves screenshots. The visitor also counts the page's navigations (full loads and htmx's
``pushState``) and fails the test at the end if one of them was never checked.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.transactions import commit

ROOT = Path(__file__).resolve().parents[2]
AXE_CANDIDATES = (
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
    ROOT / "static" / "vendor" / "axe.min.js",
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(os.environ.get("COUNTDOWN_SCREENSHOTS_DIR", ROOT / "screenshots"))
TAKE_SCREENSHOTS = os.environ.get("COUNTDOWN_SCREENSHOTS", "1").lower() not in {"0", "false", "no"}
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}

# Chrome logs every 4xx/5xx document or fetch as a console error; the status itself is what a
# test checks, so those lines are not JavaScript errors.
_BENIGN_CONSOLE = re.compile(
    r"^Failed to load resource: the server responded with a status of 4\d\d"
)


def axe_path() -> Path:
    for candidate in AXE_CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.fail(
        "axe-core is not installed: run `npm ci` (node_modules/axe-core/axe.min.js) or "
        "`make assets` (static/vendor/axe.min.js)", pytrace=False,
    )


def wait_for_htmx(page: Page) -> None:
    """Wait until no htmx request, swap or settle is under way."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
        for node in v["nodes"][:8]:
            target = " ".join(t if isinstance(t, str) else json.dumps(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            for summary_line in (node["summary"] or "").splitlines():
                if summary_line.strip():
                    lines.append(f"       {summary_line.strip()}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is; fail with a readable list of WCAG 2 A/AA violations."""
    page.wait_for_load_state("load")
    wait_for_htmx(page)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path()))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target, html: n.html, summary: n.failureSummary,
                })),
            }));
        }""",
        WCAG_TAGS,
    )
    if violations:
        pytest.fail(format_violations(page.url, violations), pytrace=False)


def screenshot(page: Page, name: str, *, width: int = DESKTOP["width"]) -> None:
    """Save ``screenshots/<name>-<width>.png`` of the whole page."""
    if not TAKE_SCREENSHOTS:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def assert_fits_phone(page: Page, name: str | None = None) -> None:
    """At phone width the page must not scroll sideways (wide tables scroll in their own box), and
    axe-core finds nothing there either."""
    page.set_viewport_size(MOBILE)
    try:
        overflow = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1
                              && !el.closest('.table-wrap'))
                .slice(0, 5).map(el => el.outerHTML.slice(0, 120))""",
            MOBILE["width"],
        )
        assert not overflow, f"{page.url} is wider than a phone ({MOBILE['width']}px): {overflow}"
        # Absolutely positioned text (e.g. .visually-hidden) in a table box escapes the box's
        # scrolling unless the box is positioned, and widens the page: the page must not scroll.
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= MOBILE["width"], (
            f"{page.url} scrolls sideways on a phone: {scroll_width}px wide")
        # What a phone shows is checked as well: a table that scrolls sideways must be reachable.
        assert_accessible(page)
        if name:
            screenshot(page, name, width=MOBILE["width"])
    finally:
        page.set_viewport_size(DESKTOP)


class Visitor:
    """One person at one browser: a Playwright page on the live server, checked at every step."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.navigations: list[str] = []
        self.documents: set[int] = set()  # navigations that loaded a new document
        self.checked: set[int] = set()
        self.errors: list[str] = []
        page.set_default_timeout(10_000)
        page.on("framenavigated", self._navigated)
        page.on("domcontentloaded", self._loaded)
        page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    # -- bookkeeping ------------------------------------------------------------------------------
    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def _loaded(self, _page) -> None:
        if self.navigations:
            self.documents.add(len(self.navigations) - 1)

    def _console(self, message) -> None:
        if message.type == "error" and not _BENIGN_CONSOLE.match(message.text):
            self.errors.append(f"console error: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            request = response.request
            self.errors.append(f"server error {response.status} on {request.method} {response.url}")

    def unchecked_navigations(self) -> list[str]:
        """Pages landed on and never checked.

        htmx calls ``history.replaceState`` on the URL already shown (before it pushes a new one,
        and after a history restore): consecutive same-document steps to one URL are one page.
        """
        pages: list[tuple[str, bool]] = []
        for i, url in enumerate(self.navigations):
            if pages and i not in self.documents and url == pages[-1][0]:
                pages[-1] = (url, pages[-1][1] or i in self.checked)
            else:
                pages.append((url, i in self.checked))
        return [url for url, checked in pages if not checked]

    # -- actions ----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def path(self) -> str:
        """The current URL without the server part, e.g. ``/flights?available=1``."""
        return self.page.url.removeprefix(self.base_url)

    def goto(self, path: str, *, shot: str | None = None, mobile: bool = False) -> None:
        self.page.goto(self.url(path))
        self.check(shot, mobile=mobile)

    def check(self, shot: str | None = None, *, mobile: bool = False) -> None:
        """Assert the page as it is now is free of errors and accessible; screenshot it if named.

        ``mobile`` also checks (and screenshots) the page at phone width.
        """
        page = self.page
        page.wait_for_load_state("load")
        wait_for_htmx(page)
        if self.errors:
            pytest.fail("\n".join(self.errors), pytrace=False)
        assert_accessible(page)
        if self.navigations:
            self.checked.add(len(self.navigations) - 1)
        if shot:
            screenshot(page, shot)
        if mobile:
            assert_fits_phone(page, shot)

    def login(self, email: str, password: str, *, shot: str | None = None) -> None:
        if not self.path().startswith("/login"):
            self.goto("/login")
        elif self.unchecked_navigations():
            self.check()
        self.page.locator("input[name=email]").fill(email)
        self.page.locator("input[name=password]").fill(password)
        self.page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("button", name="Log out")).to_be_visible()
        self.check(shot)

    def logout(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        expect(self.page.get_by_text("You are logged out.")).to_be_visible()
        self.check()

    def set_marker(self) -> None:
        """Mark this document; :meth:`marker_kept` tells whether a later step reloaded it."""
        self.page.evaluate("() => { window.__countdownMarker = 'same-document'; }")

    def marker_kept(self) -> bool:
        return self.page.evaluate("() => window.__countdownMarker === 'same-document'")


@contextmanager
def seeding() -> Iterator[None]:
    """Write test data in the test's own session, commit it, and give the connection back.

    Objects made inside stay readable afterwards (they are not expired on commit), and no
    transaction is left open: on SQLite every transaction takes the write lock, so an open one
    here would stall the live server.
    """
    db.session().expire_on_commit = False
    try:
        yield
        commit()
    finally:
        db.session.remove()


def scalar(statement):
    """One value from the database, read on a short connection of its own."""
    with db.engine.connect() as conn:
        return conn.execute(statement).scalar()
