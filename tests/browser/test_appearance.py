"""How pages look beyond the default desktop browser: a dark colour-scheme preference, and a phone
(one row of header, payments without sideways scrolling, long German headings, staff tables)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, MOBILE, assert_accessible, screenshot, seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_dark_mode_preference_keeps_the_readable_light_theme(another_visitor, make_committed):
    """The app's colours are made for a light page; Pico must not switch to dark under them."""
    with seeding():
        make_committed.flight(name="Night Owl")
    visitor = another_visitor(color_scheme="dark")
    visitor.goto("/flights", shot="catalog-dark-preference")
    expect(visitor.page.locator(".flight-card").filter(has_text="Night Owl")).to_be_visible()
    background = visitor.page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(255, 255, 255)", f"the page turned dark ({background})"


# -- on a phone ---------------------------------------------------------------------------------

def _rows(page, selector: str) -> int:
    """How many lines the visible children of ``selector`` take."""
    return page.evaluate(
        """(selector) => new Set([...document.querySelector(selector).children]
            .filter(el => el.getClientRects().length)
            .map(el => Math.round(el.getBoundingClientRect().top / 8))).size""",
        selector,
    )


@pytest.fixture
def phone_world(make_committed):
    """A tourist (German) with a paid deposit, and a submitted health questionnaire in the queue."""
    from datetime import timedelta

    from app.booking import bookings as booking_service
    from app.documents import consent
    from app.medical import questionnaires as qs
    from app.models import Role
    from app.payments import payments
    from app.timeutil import now_utc

    with seeding():
        ops = make_committed.user(Role.OPERATIONS)
        medic = make_committed.user(Role.MEDICAL, email="medic-phone@example.com")
        tourist = make_committed.user(Role.TOURIST, email="phone@example.com", name="Sally Ride")
        document = make_committed.consent_document(actor=ops)
        flight = make_committed.flight(name="Stratos Sunrise", launch_at=now_utc() + timedelta(days=200))
        booking = booking_service.hold_seat(flight.id, tourist)
        consent.sign(booking, tourist, version_id=document.id, signed_name="Sally Ride",
                     ip_address="127.0.0.1", user_agent="test")
        payments.pay_in_sandbox(payments.start_deposit(booking, tourist), "4242424242424242")
        make_committed.medical_case(tourist, make_committed.questionnaire())
    return tourist, medic, booking


def test_on_a_phone_the_menu_is_one_row_and_the_receipt_is_in_view(visitor, phone_world):
    tourist, _medic, booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto(f"/bookings/{booking.reference}", shot="booking-payments", mobile=True)
    page.set_viewport_size(MOBILE)
    try:
        assert _rows(page, ".site-header nav") == 1, "the header wraps on a phone"
        receipt = page.get_by_role("main").get_by_role("link", name=re.compile("^Receipt"))
        expect(receipt).to_be_visible()
        box = receipt.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
        # The other links are one tap away, behind "Menu", and reachable by keyboard.
        header = page.locator(".site-header")
        expect(header.get_by_role("link", name="My journey")).to_be_hidden()
        expect(header.get_by_role("link", name="Notifications")).to_be_visible()
        header.get_by_text("Menu", exact=True).click()
        expect(header.get_by_role("link", name="My journey")).to_be_visible()
        expect(header.get_by_role("button", name="Log out")).to_be_visible()
        assert_accessible(page)
        screenshot(page, "phone-menu-open", width=MOBILE["width"])
    finally:
        page.set_viewport_size(DESKTOP)


def _in_german(visitor) -> None:
    """Switch the page to German with the footer's picker (the account's language, when logged in)."""
    page = visitor.page
    page.get_by_role("contentinfo").get_by_label("Language").select_option("de")
    page.get_by_role("contentinfo").get_by_role("button").click()
    visitor.check()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def _words_outside(locator) -> list[str]:
    """The words of ``locator``'s text drawn, even in part, outside its content box or off the
    screen: each word is measured with a Range (one box per line it takes, two when it breaks)."""
    return locator.evaluate(
        """el => {
            const box = el.getBoundingClientRect(), style = getComputedStyle(el);
            const left = Math.max(0, box.left + parseFloat(style.paddingLeft));
            const right = Math.min(document.documentElement.clientWidth,
                                   box.right - parseFloat(style.paddingRight));
            const outside = [];
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode());) {
                for (const m of node.textContent.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, m.index);
                    range.setEnd(node, m.index + m[0].length);
                    for (const r of range.getClientRects()) {
                        if (r.left < left - 0.5 || r.right > right + 0.5) {
                            outside.push(`${m[0]} [${Math.round(r.left)}-${Math.round(r.right)}] `
                                         + `outside [${Math.round(left)}-${Math.round(right)}]`);
                        }
                    }
                }
            }
            return outside;
        }"""
    )


def test_a_long_german_heading_fits_a_phone(visitor, phone_world):
    """Each word of the heading is drawn inside the heading's box at 390 px: broken at a syllable
    (or at least broken), never running off the edge or cut off."""
    tourist, _medic, _booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    _in_german(visitor)
    visitor.goto("/account/notifications", shot="de-notification-settings", mobile=True)
    page.set_viewport_size(MOBILE)
    try:
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Benachrichtigungseinstellungen")
        assert heading.evaluate("h => h.getBoundingClientRect().width") <= MOBILE["width"]
        assert not _words_outside(heading), _words_outside(heading)
        assert _rows(page, ".site-header nav") == 1
    finally:
        page.set_viewport_size(DESKTOP)


def test_the_review_queue_scrolls_in_a_labelled_box_on_a_phone(visitor, phone_world):
    _tourist, medic, _booking = phone_world
    page = visitor.page
    visitor.login(medic.email, PASSWORD)
    # check(mobile=True) runs axe-core at 390 px too: scrollable-region-focusable included.
    visitor.goto("/medical/queue", shot="medical-queue", mobile=True)
    box = page.get_by_role("region", name="Medical review queue")
    expect(box).to_have_attribute("tabindex", "0")
    page.set_viewport_size(MOBILE)
    try:
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the queue fits; no box needed"
        expect(page.get_by_text("Scroll sideways to see every column.")).to_be_visible()
    finally:
        page.set_viewport_size(DESKTOP)


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box, f"{locator} is not shown"
    return box


def _inside_phone(box: dict) -> bool:
    return box["x"] >= -0.5 and box["x"] + box["width"] <= MOBILE["width"] + 0.5


def test_logged_out_on_a_phone_log_in_sits_beside_sign_up(visitor, make_committed):
    page = visitor.page
    visitor.goto("/flights", mobile=True)
    for language in ("en", "de"):
        if language == "de":
            _in_german(visitor)
            visitor.check("de-header-logged-out", mobile=True)
        header = page.locator(".site-header")
        page.set_viewport_size(MOBILE)
        try:
            log_in = _box(header.get_by_role("link", name="Anmelden" if language == "de" else "Log in"))
            sign_up = _box(header.get_by_role("button", name="Registrieren" if language == "de" else "Sign up"))
            middle = lambda b: b["y"] + b["height"] / 2  # noqa: E731
            assert abs(middle(log_in) - middle(sign_up)) <= 2, (language, log_in, sign_up)
            assert log_in["x"] + log_in["width"] <= sign_up["x"], (language, log_in, sign_up)
            assert _inside_phone(log_in) and _inside_phone(sign_up), (language, log_in, sign_up)
        finally:
            page.set_viewport_size(DESKTOP)


def test_the_phone_menu_shows_every_german_item_whole(visitor, phone_world):
    """Pico's dropdown keeps each item on one line and cuts it with "…"; ours is wide enough for its
    items, or wraps them, and stays on the screen."""
    tourist, _medic, _booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    _in_german(visitor)
    page.set_viewport_size(MOBILE)
    try:
        menu = page.locator(".site-header .nav-menu")
        menu.get_by_text("Menü", exact=True).click()
        items = menu.locator("details > ul > li").locator("a, button")
        expect(items.first).to_be_visible()
        assert items.count() == 9  # my journey, medical, documents, training, travel, ask us, flights, account, log out
        for i in range(items.count()):
            item = items.nth(i)
            assert _inside_phone(_box(item)), item.inner_text()
            assert item.evaluate("el => el.scrollWidth <= el.clientWidth"), f"cut: {item.inner_text()}"
            assert not _words_outside(item), _words_outside(item)
        expect(menu.get_by_role("link", name="Medizinischer Bereich")).to_be_visible()
        assert_accessible(page)
        screenshot(page, "de-phone-menu-open", width=MOBILE["width"])
    finally:
        page.set_viewport_size(DESKTOP)


def test_a_refund_under_a_payment_reads_from_the_left_on_a_phone(visitor, phone_world):
    """In the stacked payments table the refund's line starts beside its bullet, not pushed right."""
    from app.extensions import db
    from app.models import Payment, PaymentStatus
    from app.payments import payments

    tourist, _medic, booking = phone_world
    with seeding():
        payment = db.session.query(Payment).filter_by(booking_id=booking.id,
                                                       status=PaymentStatus.SUCCEEDED).one()
        payments.refund_payment(payment, 1_000_00, reason="A goodwill gesture for the changed launch window",
                                actor=None)
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto(f"/bookings/{booking.reference}", shot="booking-refund", mobile=True)
    page.set_viewport_size(MOBILE)
    try:
        refund = page.locator(".refund-row .refunds li").first
        expect(refund).to_contain_text("A goodwill gesture")
        start = refund.evaluate("""li => {
            const range = document.createRange();
            range.selectNodeContents(li);
            return range.getClientRects()[0].left - (li.getBoundingClientRect().left
                                                     + parseFloat(getComputedStyle(li).paddingLeft));
        }""")
        assert abs(start) <= 1, f"the refund's first line starts {start}px right of its bullet"
        assert not _words_outside(refund), _words_outside(refund)
    finally:
        page.set_viewport_size(DESKTOP)


def test_the_tourists_list_on_a_phone_shows_names_and_statuses(visitor, phone_world):
    """Each tourist is a card on a phone: the name (a link to the case) and the status in view
    without scrolling sideways. The search button is square-cornered and in line with the fields."""
    tourist, medic, _booking = phone_world
    page = visitor.page
    visitor.login(medic.email, PASSWORD)
    visitor.goto("/medical/tourists", shot="medical-tourists", mobile=True)
    search = page.get_by_role("search")
    button, field = search.get_by_role("button", name="Search"), search.get_by_label("Name or email")
    assert _box(button)["x"] == _box(field)["x"], "the Search button is out of line with the fields"
    radius = button.evaluate("b => parseFloat(getComputedStyle(b).borderTopLeftRadius)")
    assert radius < 10, f"a pill-shaped Search button ({radius}px corners)"
    for language in ("en", "de"):
        if language == "de":
            _in_german(visitor)
            visitor.check("de-medical-tourists", mobile=True)
        page.set_viewport_size(MOBILE)
        try:
            row = page.locator(".tourists-table tbody tr").filter(has_text=tourist.name)
            name = row.get_by_role("link", name=tourist.name)
            assert name.get_attribute("href").startswith("/medical/cases/")
            status = row.locator(".badge")
            for element in (name, status):
                expect(element).to_be_visible()
                assert _inside_phone(_box(element)), (language, element.inner_text())
            assert not _words_outside(status), _words_outside(status)
            assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
        finally:
            page.set_viewport_size(DESKTOP)


def test_the_review_queue_tabs_wrap_close_together_on_a_phone(visitor, phone_world):
    _tourist, medic, _booking = phone_world
    page = visitor.page
    visitor.login(medic.email, PASSWORD)
    _in_german(visitor)
    visitor.goto("/medical/queue", mobile=True)
    page.set_viewport_size(MOBILE)
    try:
        tabs = page.locator("nav.tabs li a")
        boxes = [_box(tabs.nth(i)) for i in range(tabs.count())]
        tops = sorted({round(b["y"]) for b in boxes})
        assert len(tops) > 1, "the tabs fit one row: nothing to check"
        pitch = max(b - a for a, b in zip(tops, tops[1:]))
        assert pitch <= 40, f"wrapped tabs {pitch}px apart"
        heading = _box(page.get_by_role("heading", level=1))
        assert min(b["x"] for b in boxes) >= heading["x"] - 0.5, "a tab sticks out of the column"
        assert all(_inside_phone(b) for b in boxes)
    finally:
        page.set_viewport_size(DESKTOP)


def test_every_notification_channel_is_in_view_on_a_phone(visitor, phone_world):
    """No sideways scrolling hides a channel: on a phone each checkbox is in view, beside its
    channel's name, in English and in German ("In der App" was off the side)."""
    tourist, _medic, _booking = phone_world
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)
    visitor.goto("/account/notifications", mobile=True)
    names = {"en": ("Email", "SMS", "In the app"), "de": ("E-Mail", "SMS", "In der App")}
    for language in ("en", "de"):
        if language == "de":
            _in_german(visitor)
            visitor.check("de-notification-channels", mobile=True)
        page.set_viewport_size(MOBILE)
        try:
            region = page.locator(".channel-table").locator("xpath=..")
            assert region.evaluate("r => r.scrollWidth <= r.clientWidth"), f"{language}: the channels scroll"
            checkboxes = page.locator(".channel-table tbody input[type=checkbox]")
            assert checkboxes.count() >= 12
            for i in range(checkboxes.count()):
                checkbox = checkboxes.nth(i)
                expect(checkbox).to_be_visible()
                assert _inside_phone(_box(checkbox)), (language, i)
                label = checkbox.locator("xpath=ancestor::label[1]").locator(".channel-name")
                expect(label).to_be_visible()
                assert label.inner_text().startswith(names[language][i % 3]), (language, i, label.inner_text())
                assert _inside_phone(_box(label)), (language, label.inner_text())
        finally:
            page.set_viewport_size(DESKTOP)


_HEADER_INK = """nav => [...nav.querySelectorAll(':scope > ul')].filter(ul => ul.getClientRects().length).map(ul =>
    [...ul.querySelectorAll(':scope > li')].map(li => {
        // What is drawn: the text (not the text only screen readers get), the badge, the button.
        let left = Infinity, right = -Infinity;
        const add = r => { if (r.width) { left = Math.min(left, r.left); right = Math.max(right, r.right); } };
        const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT);
        for (let node; (node = walker.nextNode());) {
            const hidden = node.parentElement.closest('.visually-hidden, .nav-label');
            if (!node.textContent.trim() || (hidden && getComputedStyle(hidden).position === 'absolute')) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            [...range.getClientRects()].forEach(add);
        }
        li.querySelectorAll('.nav-badge, .nav-cta').forEach(el => add(el.getBoundingClientRect()));
        return [left, right];
    }))"""


@pytest.mark.parametrize("who", ["tourist", "medic", "nobody"])
def test_the_header_groups_are_evenly_spaced_on_a_desktop(visitor, phone_world, who):
    """The role's pages, notifications and the account: each group as far from the next, the
    links in a group closer, the first and last flush with the page's column."""
    tourist, medic, _booking = phone_world
    page = visitor.page
    if who == "nobody":
        visitor.goto("/flights")
    else:
        visitor.login((tourist if who == "tourist" else medic).email, PASSWORD)
    groups = page.locator(".site-header nav").evaluate(_HEADER_INK)
    between = [round(b[0][0] - a[-1][1], 1) for a, b in zip(groups[1:], groups[2:])]
    within = [round(g[i + 1][0] - g[i][1], 1) for g in groups for i in range(len(g) - 1)]
    assert between and max(between) - min(between) <= 1, f"uneven gaps between the groups: {between}"
    assert max(within) < min(between), (within, between)
    assert max(within) - min(within) <= 1, f"uneven gaps in a group: {within}"
    main = page.locator("main").evaluate(
        "m => { const r = m.getBoundingClientRect(), s = getComputedStyle(m);"
        " return [r.left + parseFloat(s.paddingLeft), r.right - parseFloat(s.paddingRight)]; }")
    assert abs(groups[0][0][0] - main[0]) <= 1, (groups[0][0], main)
    assert abs(groups[-1][-1][1] - main[1]) <= 1, f"the last link ends at {groups[-1][-1][1]}, the column at {main[1]}"
