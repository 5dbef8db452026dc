"""Medical staff at work: the queue, a case, an assessment, a decision, the access log, vehicle
limits; the tourist's self-certification; and operations seeing the status alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import CaseState, Role, VehicleLimits
from tests.browser.support import seeding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

GOOD = {"systolic_mmhg": "124", "diastolic_mmhg": "82", "heart_rate_bpm": "66", "height_cm": "171",
        "weight_kg": "68", "ecg_result": "normal", "centrifuge_g": "5", "other_tests": "",
        "notes": "Confidential: seasonal asthma, well controlled."}


@pytest.fixture
def clinic(make_committed):
    """A medic; Sally waiting for review (flies in 40 days), Mae cleared (flies in 10 days)."""
    from app.extensions import db

    make = make_committed
    with seeding():
        medic = make.user(Role.MEDICAL, name="Dr. Ada Medic", email="ada@example.com")
        ops = make.user(Role.OPERATIONS, name="Gene Kranz", email="gene@example.com")
        questionnaire = make.questionnaire()
        db.session.add(VehicleLimits(vehicle="Spaceplane SV-2", min_age=18, min_height_cm=152, max_height_cm=193,
                                     min_weight_kg=50, max_weight_kg=101))
        db.session.flush()
        people = {}
        for name, email, days, decided in (
            ("Sally Ride", "sally@example.com", 40, {}),
            ("Mae Jemison", "mae@example.com", 10, {"assessment": GOOD, "decision": CaseState.CLEARED}),
        ):
            tourist = make.user(name=name, email=email)
            booking = make.booking(tourist, days=days, name=f"Flight of {name.split()[0]}")
            case = make.medical_case(tourist, questionnaire, {"heart": "no", "medicines": "Salbutamol inhaler"},
                                     medic=medic, **decided)
            people[name] = (tourist, booking, case)
    return medic, ops, people


def test_medical_staff_review_assess_and_decide(visitor, clinic):
    medic, _ops, people = clinic
    page = visitor.page
    visitor.login(medic.email, PASSWORD)
    page.get_by_role("link", name="Medical queue").click()
    expect(page.get_by_role("heading", name="Medical review queue", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Sally Ride")).to_be_visible()
    visitor.check("medical-queue", mobile=True)

    page.get_by_role("link", name="Clearance ends before launch (0)").click()
    expect(page.get_by_text("Nothing waiting here.")).to_be_visible()
    assert visitor.path() == "/medical/queue?group=expiring"
    visitor.check()
    page.get_by_role("link", name="Waiting for review (1)").click()
    expect(page.get_by_role("link", name="Sally Ride")).to_be_visible()
    visitor.check()

    page.get_by_role("link", name="Sally Ride").click()
    expect(page.get_by_role("heading", name="Sally Ride", level=1)).to_be_visible()
    expect(page.get_by_text("Salbutamol inhaler")).to_be_visible()
    visitor.check("medical-case", mobile=True)

    form = page.locator("form[action$='/assessments']")
    for name, value in {**GOOD, "height_cm": "300"}.items():
        if name == "ecg_result":
            form.locator(f"[name={name}]").select_option(value)
        else:
            form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_text("Enter a height between 100 and 250 cm.")).to_be_visible()
    visitor.check("medical-assessment-refused")
    page.locator("form[action$='/assessments'] [name=height_cm]").fill("196")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_text("Assessment recorded.")).to_be_visible()
    expect(page.get_by_text("Taller than 193 cm, the maximum height for Spaceplane SV-2.")).to_be_visible()
    visitor.check("medical-case-assessed")

    restricted = page.locator("form").filter(has=page.get_by_role("heading", name="Clear with restrictions"))
    restricted.get_by_label("Restrictions (the tourist sees them)").fill("Seat with extra leg room; no flights above 4 g.")
    restricted.get_by_role("button", name="Clear with restrictions").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator("#decision blockquote").get_by_text("Seat with extra leg room; no flights above 4 g.")).to_be_visible()
    visitor.check("medical-case-decided", mobile=True)

    page.get_by_role("button", name="Access log").click()
    expect(page.get_by_role("heading", name="Access log", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="decision: restricted")).to_be_visible()
    visitor.check("medical-access-log", mobile=True)

    visitor.goto("/medical/vehicles", shot="medical-vehicles", mobile=True)
    article = page.locator("article").filter(has=page.get_by_role("heading", name="Spaceplane SV-2"))
    article.get_by_label("Maximum weight (kg)").fill("99")
    article.get_by_role("button", name="Save limits").click()
    expect(page.get_by_text("Limits for Spaceplane SV-2 saved.")).to_be_visible()
    visitor.check()


def test_the_tourist_self_certifies_and_operations_see_the_status(visitor, another_visitor, clinic):
    _medic, ops, people = clinic
    mae, booking, _case = people["Mae Jemison"]
    page = visitor.page
    visitor.login(mae.email, PASSWORD)
    visitor.goto("/journey")
    gate = page.locator("li.gate").filter(has=page.get_by_text("Medically cleared through launch", exact=True))
    expect(gate.locator(".badge")).to_have_text("To do")
    gate.get_by_role("link", name="Confirm your health").click()
    expect(page.get_by_role("heading", name="Confirm your health before launch")).to_be_visible()
    visitor.check("medical-self-certification", mobile=True)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Choose one of the answers.")).to_be_visible()
    visitor.check()
    page.get_by_label("No, nothing has changed").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you for confirming that nothing has changed.")).to_be_visible()
    expect(gate.locator(".badge")).to_have_text("Done")
    visitor.check()

    operations = another_visitor()
    operations.login(ops.email, PASSWORD)
    operations.goto(f"/ops/bookings/{booking.reference}", shot="ops-booking-medical-status")
    expect(operations.page.get_by_text("Medical status:")).to_be_visible()
    expect(operations.page.get_by_text("self-certified before launch")).to_be_visible()
    assert "asthma" not in operations.page.content()
