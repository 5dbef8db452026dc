"""A tourist fills in the health questionnaire (a conditional question appears, an answer out of
range is refused, a PDF is uploaded) and submits it; medical staff edit a new version."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.seed_medical import seed_questionnaire
from tests.browser.support import seeding, wait_for_htmx
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture
def people(make_committed):
    with seeding():
        medic = make_committed.user(Role.MEDICAL, name="Mae Jemison", email="mae@example.com")
        tourist = make_committed.user(Role.TOURIST, name="Sally Ride", email="sally@example.com")
        seed_questionnaire(medic)
    return medic, tourist


def question(page, text: str):
    """A question's block, found by its (start of) text."""
    return page.locator(".question").filter(has_text=re.compile(re.escape(text)))


def test_a_tourist_fills_in_uploads_and_submits(visitor, people):
    medic, tourist = people
    page = visitor.page
    visitor.login(tourist.email, PASSWORD)

    page.get_by_role("link", name="Medical", exact=True).click()
    expect(page.get_by_role("heading", name="Medical assessment", level=1)).to_be_visible()
    expect(page.get_by_text("Not started.")).to_be_visible()
    visitor.check("medical-status-new")

    page.get_by_role("button", name="Start the health questionnaire").click()  # a link styled as a button
    expect(page.get_by_role("heading", name="Health questionnaire", level=1)).to_be_visible()
    visitor.check("questionnaire", mobile=True)
    visitor.set_marker()

    # Yes to a heart condition: the details and the cardiologist's letter appear, saved at once.
    heart = page.get_by_role("group", name=re.compile("Have you ever been told you have a heart condition"))
    details = page.get_by_label(re.compile("Please describe your heart condition"))
    expect(details).to_have_count(0)
    heart.get_by_label("Yes").check()
    expect(question(page, "Have you ever been told").get_by_text("Saved")).to_be_visible()
    expect(details).to_be_visible()
    expect(page.get_by_label(re.compile("Please upload a recent letter"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Answered 1 of \d+ questions"))).to_be_visible()
    wait_for_htmx(page)  # a question that just appeared saves only once htmx has processed it
    details.fill("Mild angina since 2019, treated with a nitrate spray.")
    details.blur()
    expect(question(page, "Please describe your heart condition").get_by_text("Saved")).to_be_visible()
    visitor.check("questionnaire-conditional")

    # A height out of range is refused at the field, with the unit; then corrected.
    height = page.get_by_label("Your height (cm)")
    height.fill("300")
    height.blur()
    error = page.get_by_text("Enter a number between 100 and 250 cm.").last
    expect(error).to_be_visible()
    expect(height).to_have_attribute("aria-invalid", "true")
    visitor.check("questionnaire-error")
    height.fill("172")
    height.blur()
    expect(question(page, "Your height").get_by_text("Saved")).to_be_visible()
    expect(height).not_to_have_attribute("aria-invalid", "true")

    # A renamed program is refused; a PDF is taken.
    letter_block = question(page, "Please upload a recent letter")
    letter = page.get_by_label(re.compile("Please upload a recent letter"))
    letter.set_input_files({"name": "ecg.pdf", "mimeType": "application/pdf", "buffer": EXE})
    letter_block.get_by_role("button", name="Upload", exact=True).click()
    expect(letter_block.get_by_text(re.compile("This file is not a PDF, JPEG or PNG"))).to_be_visible()
    visitor.check()
    letter = page.get_by_label(re.compile("Please upload a recent letter"))
    letter.set_input_files({"name": "cardiology-letter.pdf", "mimeType": "application/pdf", "buffer": PDF})
    letter_block.get_by_role("button", name="Upload", exact=True).click()
    expect(letter_block.get_by_text("Uploaded cardiology-letter.pdf.")).to_be_visible()
    expect(letter_block.get_by_role("link", name="cardiology-letter.pdf")).to_be_visible()
    visitor.check("questionnaire-upload")

    # The rest of the questions.
    page.get_by_role("group", name="Do you take medication for high blood pressure?").get_by_label("No").check()
    expect(question(page, "Do you take medication for high blood").get_by_text("Saved")).to_be_visible()
    weight = page.get_by_label("Your weight (kg)")
    weight.fill("68.5")
    weight.blur()
    exam = page.get_by_label(re.compile("When did a doctor last examine you"))
    exam.fill("2025-03-14")
    exam.blur()
    expect(question(page, "When did a doctor last examine you").get_by_text("Saved")).to_be_visible()
    page.get_by_role("group", name=re.compile("How often do you get motion sickness")).get_by_label("Sometimes").check()
    conditions = page.get_by_role("group", name="Do you have, or have you had, any of these?")
    conditions.get_by_label("Asthma or another lung disease").check()
    more = page.get_by_label(re.compile("Please tell us more about the conditions"))
    expect(more).to_be_visible()
    wait_for_htmx(page)
    more.fill("Mild asthma as a child; no inhaler for 20 years.")
    more.blur()
    expect(question(page, "Please tell us more about the conditions").get_by_text("Saved")).to_be_visible()
    page.get_by_role("group", name="Have you had an operation in the last 12 months?").get_by_label("No").check()
    expect(question(page, "Have you had an operation").get_by_text("Saved")).to_be_visible()

    # Submitting with a question left: the missing one is listed with a link to it.
    page.get_by_role("button", name="Submit to the medical team").click()
    missing = page.locator("#missing")
    expect(missing).to_be_visible()
    expect(missing.get_by_role("link", name="Could you be pregnant at the time of your flight?")).to_be_visible()
    visitor.check("questionnaire-missing")
    assert visitor.path() == "/medical/questionnaire"
    expect(page.get_by_label(re.compile("Please describe your heart condition"))).to_have_value(
        "Mild angina since 2019, treated with a nitrate spray.")  # resumed from the saved answers

    page.get_by_role("group", name="Could you be pregnant at the time of your flight?").get_by_label(
        "This does not apply to me").check()
    expect(question(page, "Could you be pregnant").get_by_text("Saved")).to_be_visible()
    page.get_by_role("button", name="Submit to the medical team").click()

    expect(page.get_by_text("Thank you. Your questionnaire is submitted")).to_be_visible()
    assert visitor.path() == "/medical"
    expect(page.get_by_text("Submitted, waiting for review.")).to_be_visible()
    answers = page.locator("dl.answers")
    expect(answers).to_contain_text("Mild angina since 2019")
    expect(answers).to_contain_text("172 cm")
    expect(answers.get_by_role("link", name="cardiology-letter.pdf")).to_be_visible()
    visitor.check("medical-status-submitted", mobile=True)


def test_medical_staff_edit_preview_and_publish_a_new_version(visitor, people):
    medic, tourist = people
    page = visitor.page
    visitor.login(medic.email, PASSWORD)

    page.get_by_role("link", name="Questionnaire", exact=True).click()
    expect(page.get_by_role("heading", name="Health questionnaire", level=1)).to_be_visible()
    visitor.check("questionnaire-versions", mobile=True)

    page.get_by_role("button", name="Start a new version").click()
    expect(page.get_by_role("heading", name="Draft version 2", level=1)).to_be_visible()
    visitor.check("questionnaire-editor", mobile=True)

    # A question added through htmx, shown only after a yes to the smoking question.
    visitor.set_marker()
    add = page.locator("section.add-question")
    add.get_by_label("Question", exact=True).fill("Do you smoke?")
    add.get_by_label("Key").fill("smoker")
    add.get_by_role("button", name="Add the question").click()
    expect(page.get_by_text("Question 18 added.")).to_be_visible()
    add = page.locator("section.add-question")
    add.get_by_label("Question", exact=True).fill("How many cigarettes a day?")
    add.get_by_label("Kind of answer").select_option("number")
    add.get_by_label("Show this question").select_option("smoker")
    add.get_by_role("button", name="Add the question").click()  # no answer ticked
    expect(page.get_by_text("Say which answers to “smoker” show this question.")).to_be_visible()
    visitor.check("questionnaire-editor-error")
    # The answers of the chosen question are open, and picked from translated words, not typed.
    answers = page.locator("section.add-question details.condition-parent").filter(has_text="Do you smoke?")
    expect(answers).to_have_attribute("open", "")
    answers.get_by_label("Yes", exact=True).check()
    page.locator("section.add-question").get_by_role("button", name="Add the question").click()
    expect(page.get_by_text("Question 19 added.")).to_be_visible()
    assert visitor.marker_kept(), "adding a question reloaded the page"
    last = page.locator("li.editor-question").last
    expect(last).to_contain_text("Shown only when “smoker” is answered: Yes.")
    visitor.check()

    # The new question in German: tourists reading German see it so; the German demo texts are kept.
    draft_path = visitor.path()
    page.get_by_role("link", name="Deutsch").click()
    expect(page.get_by_role("heading", name="Version 2 in Deutsch", level=1)).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Gesundheitsfragebogen")
    visitor.check()
    smoker = page.locator("fieldset.translation-question").filter(has_text="(smoker)")
    smoker.get_by_label("Question").fill("Rauchen Sie?")
    page.get_by_role("button", name="Save the Deutsch texts").click()
    expect(page.get_by_text("The Deutsch texts are saved.")).to_be_visible()
    expect(smoker.get_by_label("Question")).to_have_value("Rauchen Sie?")
    visitor.check("questionnaire-translation", mobile=True)
    visitor.goto(draft_path)

    page.get_by_role("button", name="Preview").click()  # a link styled as a button
    expect(page.get_by_text(re.compile("A preview of version 2 as tourists see it"))).to_be_visible()
    expect(page.get_by_label("How many cigarettes a day?")).to_be_disabled()
    visitor.check("questionnaire-preview")
    page.go_back()
    visitor.check()

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text(re.compile("Version 2 is published."))).to_be_visible()
    expect(page.locator("tr").filter(has_text="Version 2").get_by_text("In use")).to_be_visible()
    visitor.check("questionnaire-published")
