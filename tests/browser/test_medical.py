"""The whole medical assessment in the browser: the tourist fills in the health questionnaire and
submits it, a medic reviews it from the queue, records an assessment and clears, and the tourist's
journey shows the medical gate passed. Every page is checked with axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.booking import bookings as booking_service
from app.extensions import db
from app.medical import questionnaires as qs
from app.models import BookingState, MedicalAccess, QuestionKind, Role
from app.timeutil import now_utc
from tests.browser.support import seeding, wait_for_htmx
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def medical_gate(page):
    return page.locator("li.gate").filter(has=page.get_by_text("Medically cleared through launch", exact=True))


@pytest.fixture
def assessment(make_committed):
    """A published questionnaire (a conditional question, a number, a file); a tourist with a
    confirmed seat on a flight in 60 days; a medic."""
    make = make_committed
    with seeding():
        medic = make.user(Role.MEDICAL, name="Dr. Valeri Polyakov", email="valeri@example.com")
        tourist = make.user(name="Dennis Tito", email="dennis@example.com")
        flight = make.flight(name="Kármán Dawn", launch_at=now_utc() + timedelta(days=60))
        booking = booking_service.hold_seat(flight.id, tourist)
        booking_service.transition(booking, BookingState.CONFIRMED)
        draft = qs.new_draft(medic)
        qs.add_question(draft, qs.QuestionData(text="Do you take any medication?", kind=QuestionKind.YES_NO,
                                               key="takes_medication"))
        qs.add_question(draft, qs.QuestionData(text="Which medications do you take, and how much?",
                                               kind=QuestionKind.TEXT, key="medications",
                                               show_if_key="takes_medication", show_if_values=["yes"]))
        qs.add_question(draft, qs.QuestionData(text="Your resting heart rate", kind=QuestionKind.NUMBER,
                                               key="resting_hr", unit="bpm", min_value=30, max_value=200))
        qs.add_question(draft, qs.QuestionData(text="Your most recent ECG", kind=QuestionKind.FILE, key="ecg",
                                               required=False))
        qs.publish(draft, medic)
    return tourist, medic, booking


def test_questionnaire_review_and_clearance_pass_the_medical_gate(visitor, another_visitor, assessment, tmp_path):
    tourist, medic, booking = assessment
    page = visitor.page

    # The journey says what to do, and leads to the questionnaire.
    visitor.login(tourist.email, PASSWORD)
    visitor.goto("/journey")
    gate = medical_gate(page)
    expect(gate.locator(".badge")).to_have_text("To do")
    gate.get_by_role("link", name="Fill in the questionnaire").click()
    expect(page.get_by_role("heading", name="Medical assessment", level=1)).to_be_visible()
    expect(page.get_by_text("Not started.")).to_be_visible()
    visitor.check("medical-e2e-not-started")
    page.get_by_role("button", name="Start the health questionnaire").click()  # a link styled as button
    expect(page.get_by_role("heading", name="Health questionnaire", level=1)).to_be_visible()
    visitor.check("medical-e2e-questionnaire", mobile=True)

    # Answers save as they are given; "yes" shows the question that depends on it.
    medications = page.get_by_label("Which medications do you take, and how much?")
    expect(medications).to_be_hidden()
    page.get_by_role("group", name="Do you take any medication?").get_by_label("Yes").check()
    expect(medications).to_be_visible()
    # The "yes" is saved first (its answer re-renders the questions that depend on it), so what
    # is typed next goes into the field that stays.
    expect(page.locator(".question-yes_no .save-done")).to_have_text("Saved")
    wait_for_htmx(page)  # and it saves only once htmx has processed the question that appeared
    medications.fill("Atorvastatin 20 mg daily")
    medications.blur()
    expect(page.locator(".question-text .save-done")).to_have_text("Saved")
    page.get_by_label("Your resting heart rate (bpm)").fill("58")
    page.get_by_label("Your resting heart rate (bpm)").blur()
    expect(page.locator(".question-number .save-done")).to_have_text("Saved")
    ecg = tmp_path / "ecg-2026.pdf"
    ecg.write_bytes(PDF)
    page.get_by_label("Your most recent ECG (optional)").set_input_files(str(ecg))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Uploaded ecg-2026.pdf.")).to_be_visible()
    expect(page.get_by_role("link", name="ecg-2026.pdf")).to_be_visible()
    visitor.check("medical-e2e-answered")

    page.get_by_role("button", name="Submit to the medical team").click()
    expect(page.get_by_text("Thank you. Your questionnaire is submitted")).to_be_visible()
    expect(page.get_by_text("Submitted, waiting for review.")).to_be_visible()
    visitor.check("medical-e2e-submitted")
    visitor.goto("/journey")
    expect(medical_gate(page).locator(".badge")).to_have_text("Waiting")

    # The medic finds the case in the queue, reads it, records an assessment and clears.
    medic_visitor = another_visitor()
    staff = medic_visitor.page
    medic_visitor.login(medic.email, PASSWORD)
    staff.get_by_role("link", name="Medical queue").click()
    expect(staff.get_by_role("heading", name="Medical review queue", level=1)).to_be_visible()
    medic_visitor.check("medical-e2e-queue")
    staff.get_by_role("link", name="Dennis Tito").click()
    expect(staff.get_by_role("heading", name="Dennis Tito", level=1)).to_be_visible()
    expect(staff.get_by_text("Atorvastatin 20 mg daily")).to_be_visible()
    expect(staff.get_by_role("link", name="ecg-2026.pdf")).to_be_visible()
    medic_visitor.check("medical-e2e-case")

    with staff.expect_download() as download:
        staff.get_by_role("link", name="ecg-2026.pdf").click()
    assert download.value.suggested_filename == "ecg-2026.pdf"
    assert open(download.value.path(), "rb").read() == PDF

    form = staff.locator("form[action$='/assessments']")
    for name, value in {"systolic_mmhg": "122", "diastolic_mmhg": "78", "heart_rate_bpm": "60",
                        "height_cm": "174", "weight_kg": "77", "centrifuge_g": "5.5",
                        "notes": "Statin for cholesterol; fit for a suborbital profile."}.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=ecg_result]").select_option("normal")
    form.get_by_role("button", name="Record assessment").click()
    expect(staff.get_by_text("Assessment recorded.")).to_be_visible()
    medic_visitor.check("medical-e2e-assessed")

    clear = staff.locator("form").filter(has=staff.get_by_role("heading", name="Clear", exact=True))
    clear.get_by_role("button", name="Clear", exact=True).click()
    expect(staff.get_by_text("Decision recorded.")).to_be_visible()
    expect(staff.locator("#decision").get_by_text(re.compile(r"^Cleared through "))).to_be_visible()
    medic_visitor.check("medical-e2e-cleared", mobile=True)

    # The tourist's journey shows the gate passed; their medical page says cleared, without the
    # medic's notes.
    visitor.goto("/journey", shot="medical-e2e-journey", mobile=True)
    gate = medical_gate(page)
    expect(gate.locator(".badge")).to_have_text("Done")
    expect(gate).to_contain_text("the launch date included")
    visitor.goto("/medical", shot="medical-e2e-status")
    expect(page.get_by_text("Cleared for flight.")).to_be_visible()
    assert "Statin for cholesterol" not in page.content()

    # Every view and change was logged, by the tourist and by the medic.
    with db.engine.connect() as conn:
        rows = conn.execute(db.select(MedicalAccess.actor_id, MedicalAccess.action)).all()
    actions = {(actor, action) for actor, action in rows}
    assert {(tourist.id, "view"), (tourist.id, "change"), (tourist.id, "upload"), (tourist.id, "submit"),
            (medic.id, "view"), (medic.id, "download"), (medic.id, "change"), (medic.id, "decide")} <= actions
