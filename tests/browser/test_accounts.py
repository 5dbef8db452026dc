"""Signing up, logging in and out, and resetting a forgotten password, in a real browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.models import Role, User
from tests.browser.support import scalar, seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def years_ago(years: int, today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def users_with_email(email: str) -> int:
    return scalar(select(func.count(User.id)).where(User.email == email))


def fill_signup(page, **overrides) -> None:
    values = {
        "name": "Mae Carter", "email": "mae.carter@example.com", "phone": "+44 20 7946 0958",
        "date_of_birth": years_ago(30).isoformat(), "language": "en", "timezone": "Europe/London",
        "password": "Orbital-sunrise-42", "confirm": "Orbital-sunrise-42",
    } | overrides
    form = page.get_by_role("main")
    form.get_by_label("Full name").fill(values["name"])
    form.get_by_label("Email").fill(values["email"])
    form.get_by_label("Mobile phone").fill(values["phone"])
    form.get_by_label("Date of birth").fill(values["date_of_birth"])
    form.get_by_label("Language").select_option(values["language"])
    form.get_by_label("Time zone").select_option(values["timezone"])
    form.get_by_label("Password", exact=True).fill(values["password"])
    form.get_by_label("Repeat password").fill(values["confirm"])


def test_a_visitor_signs_up_logs_out_and_logs_back_in(visitor):
    page = visitor.page
    visitor.goto("/flights")
    page.get_by_role("button", name="Sign up").click()  # a link styled as a button
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_text("Spaceflight participants must be 18 or older.")).to_be_visible()
    visitor.check("signup", mobile=True)

    fill_signup(page)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text("Welcome aboard, Mae Carter. Find a flight to begin.")).to_be_visible()
    assert visitor.path().startswith("/flights")
    expect(page.get_by_role("heading", name="Upcoming flights")).to_be_visible()
    expect(page.get_by_role("link", name="My journey")).to_be_visible()
    expect(page.get_by_text("Signed in as Mae Carter (Tourist).")).to_be_visible()
    visitor.check()
    assert users_with_email("mae.carter@example.com") == 1

    visitor.logout()
    assert visitor.path() == "/login"
    expect(page.get_by_role("link", name="My journey")).to_have_count(0)
    visitor.check("login")

    # A wrong password says so, and keeps the visitor out.
    page.locator("input[name=email]").fill("mae.carter@example.com")
    page.locator("input[name=password]").fill("not-the-password")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The email address or password is wrong.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    visitor.check("login-error")

    visitor.login("mae.carter@example.com", "Orbital-sunrise-42")
    # A tourist starts at their journey, which is empty so far.
    assert visitor.path() == "/journey"
    expect(page.get_by_role("heading", name="My journey")).to_be_visible()
    expect(page.get_by_text("You have no bookings yet.")).to_be_visible()
    visitor.check("journey-empty")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_role("main").get_by_label("Time zone")).to_have_value("Europe/London")
    visitor.check("account")


@pytest.mark.parametrize(
    "case, overrides, message",
    [
        ("under-18", {"date_of_birth": years_ago(17).isoformat()},
         "You must be 18 or older to fly, and to open an account."),
        ("mismatched-passwords", {"confirm": "Orbital-sunrise-43"}, "The passwords do not match."),
        ("short-password", {"password": "Short-1", "confirm": "Short-1"},
         "Use at least 10 characters for your password."),
    ],
)
def test_signup_with_bad_input_explains_and_creates_nothing(visitor, case, overrides, message):
    page = visitor.page
    visitor.goto("/signup")
    fill_signup(page, email=f"{case}@example.com", **overrides)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    assert visitor.path() == "/signup"
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    # What the visitor typed is kept, except the passwords.
    expect(page.get_by_role("main").get_by_label("Full name")).to_have_value("Mae Carter")
    expect(page.get_by_role("main").get_by_label("Password", exact=True)).to_have_value("")
    visitor.check(f"signup-error-{case}")
    assert users_with_email(f"{case}@example.com") == 0


def test_password_reset_link_from_the_outbox(visitor, another_visitor, make_committed):
    with seeding():
        tourist = make_committed.user(Role.TOURIST, name="Jules Verne", email="jules@example.com")
        ops = make_committed.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
    page = visitor.page

    visitor.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    visitor.check("password-forgot")
    page.get_by_role("main").get_by_label("Email").fill(tourist.email)
    page.get_by_role("button", name="Send the link").click()
    sent = page.get_by_text("If an account uses this address, we have sent it a link")
    expect(sent).to_be_visible()
    assert visitor.path() == "/login"
    visitor.check()

    # Operations reads the outbox, where email stays without SMTP settings.
    staff = another_visitor()
    staff.login(ops.email, PASSWORD)
    staff.page.get_by_role("link", name="Messages", exact=True).click()
    expect(staff.page.get_by_role("heading", name="Messages")).to_be_visible()
    row = staff.page.get_by_role("row").filter(has_text=tourist.email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Choose a new Countdown password")
    staff.check("outbox")
    staff.set_marker()
    staff.page.get_by_role("link", name="Email", exact=True).click()
    expect(staff.page).to_have_url(re.compile(r"/outbox\?channel=email$"))
    email_tab = staff.page.get_by_role("link", name="Email", exact=True)
    expect(email_tab).to_have_attribute("aria-current", "page")
    expect(email_tab).to_be_focused()
    all_tab = staff.page.get_by_role("link", name="All", exact=True)
    expect(all_tab).not_to_have_attribute("aria-current", "page")
    expect(staff.page.get_by_role("row").filter(has_text=tourist.email)).to_have_count(1)
    assert staff.marker_kept(), "the channel tab reloaded the page instead of swapping the table"
    staff.check()
    row.get_by_role("link", name="Choose a new Countdown password").click()
    subject = staff.page.get_by_role("heading", name="Choose a new Countdown password")
    expect(subject).to_be_visible()
    body = staff.page.locator(".message-body")
    expect(body).to_contain_text("Hello Jules Verne,")
    staff.check("outbox-message", mobile=True)
    link = re.search(r"https?://\S+/password/reset/\S+", body.inner_text())
    assert link, body.inner_text()
    assert link.group(0).startswith(visitor.base_url), "the link must lead back to this server"

    # The tourist follows the link and chooses a new password.
    visitor.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    visitor.check("password-reset")
    page.get_by_label("New password", exact=True).fill("Brand-new-orbit-7")
    page.get_by_label("Repeat new password").fill("Brand-new-orbit-7")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password has been changed. You can log in now.")).to_be_visible()
    visitor.check()

    visitor.login(tourist.email, "Brand-new-orbit-7")
    expect(page.get_by_text("Signed in as Jules Verne (Tourist).")).to_be_visible()
    visitor.logout()

    # The link works once.
    visitor.goto(link.group(0))
    used = page.get_by_text("This link has expired or was already used. Ask for a new one.")
    expect(used).to_be_visible()
    assert visitor.path() == "/password/forgot"
