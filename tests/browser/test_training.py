"""Training in the browser: the tourist books a session, the instructor marks them present and
passed, and the journey's training gate moves; operations see it in their table. Every page is
checked by axe-core, at desktop and phone width."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Booking,
    BookingState,
    PlaceState,
    Result,
    SessionPlace,
    TrainingModule,
    TrainingSession,
    User,
)
from app.seed import DEMO_PASSWORD, seed_demo
from app.timeutil import now_utc
from tests.browser.support import scalar, seeding

pytestmark = pytest.mark.browser


def test_book_a_session_sign_it_off_and_see_the_gate_move(visitor):
    with seeding():
        seed_demo()
    page = visitor.page
    module = "Suit fitting"

    visitor.login("tourist@example.com", DEMO_PASSWORD)
    visitor.goto("/journey")
    gate = page.locator("li.gate").filter(has=page.get_by_text("Training complete through launch", exact=True))
    expect(gate).to_contain_text("Still to book")
    expect(gate).to_contain_text(module)
    gate.get_by_role("link", name=re.compile("Book training")).click()
    expect(page.get_by_role("heading", name="Your training", level=1)).to_be_visible()
    visitor.check("training-tourist", mobile=True)

    card = page.locator("li.training-module").filter(has=page.get_by_text(module, exact=True))
    expect(card).to_contain_text("Not booked")
    card.get_by_role("button", name=re.compile(r"^Book")).first.click()
    expect(page.get_by_text(re.compile(f"Your place in {module} is booked"))).to_be_visible()
    card = page.locator("li.training-module").filter(has=page.get_by_text(module, exact=True))
    expect(card).to_contain_text("Booked")
    expect(card.get_by_role("button", name="Cancel my place")).to_be_visible()
    visitor.check("training-booked")
    visitor.logout()

    # The session takes place (time passes): it started an hour ago.
    module_id = scalar(select(TrainingModule.id).where(TrainingModule.texts["en"]["name"].as_string() == module))
    ada_id = scalar(select(User.id).where(User.email == "tourist@example.com"))
    session_id = scalar(select(SessionPlace.session_id).join(SessionPlace.session).where(
        TrainingSession.module_id == module_id, SessionPlace.state == PlaceState.BOOKED,
        SessionPlace.user_id == ada_id))
    start = now_utc() - timedelta(hours=1)
    with seeding():
        db.session.execute(update(TrainingSession).where(TrainingSession.id == session_id).values(
            starts_at=start, ends_at=start + timedelta(minutes=60)))

    visitor.login("instructor@example.com", DEMO_PASSWORD)
    visitor.goto("/instructor", shot="training-roster", mobile=True)
    session = page.locator("section.roster-session").filter(
        has=page.get_by_role("heading", name=module)).filter(has_text="Ada Lovelace")
    expect(session).to_have_count(1)
    expect(session).to_contain_text("Not cleared yet")  # a status, never a finding
    session.get_by_role("button", name=re.compile("Sign off participants")).click()
    participant = page.locator("article").filter(has_text="Ada Lovelace")
    visitor.check("training-sheet", mobile=True)
    participant.get_by_label("Present").check()
    participant.get_by_label("Passed").check()
    participant.get_by_label("Note").fill("Suit fits; gloves size M.")
    participant.get_by_role("button", name=re.compile("Save sign-off")).click()
    expect(page.get_by_text("Ada Lovelace: signed off.")).to_be_visible()
    visitor.check()
    assert scalar(select(SessionPlace.result).where(SessionPlace.session_id == session_id)) == Result.PASSED.value
    visitor.logout()

    visitor.login("tourist@example.com", DEMO_PASSWORD)
    visitor.goto("/training")
    card = page.locator("li.training-module").filter(has=page.get_by_text(module, exact=True))
    expect(card).to_contain_text("Passed")
    visitor.goto("/journey")
    gate = page.locator("li.gate").filter(has=page.get_by_text("Training complete through launch", exact=True))
    expect(gate).not_to_contain_text(module)
    visitor.logout()

    # Operations see the same in the flight's table.
    visitor.login("ops@example.com", DEMO_PASSWORD)
    flight_id = scalar(select(Booking.flight_id).join(Booking.user).where(
        Booking.state == BookingState.CONFIRMED).order_by(Booking.id).limit(1))
    visitor.goto(f"/ops/training?flight={flight_id}", shot="training-ops", mobile=True)
    row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(row).to_contain_text("Passed")
    for path, shot in (("/ops/training/sessions", "training-sessions"), ("/ops/training/modules", "training-modules"),
                       ("/ops/training/plans", "training-plans"), ("/ops/training/modules/new", "training-module-form"),
                       ("/ops/training/sessions/new", "training-session-form")):
        visitor.goto(path, shot=shot, mobile=True)
    visitor.goto(f"/ops/training/sessions/{session_id}", shot="training-session", mobile=True)
