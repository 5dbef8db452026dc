"""The health questionnaire in the tourist's language: medical staff translate a draft's title,
introduction, questions, hints and choices; tourists read their language (or the default where a
text is not translated); answers keep the choices themselves, whatever the language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.medical import questionnaires as qs
from app.medical.questionnaires import QuestionData
from app.models import Answer, MedicalCase, QuestionKind, Role
from tests.conftest import login, post_form
from tests.core.test_queries import queries_for

K = QuestionKind


@pytest.fixture
def draft(make):
    medic = make.user(Role.MEDICAL)
    draft = qs.new_draft(medic)
    qs.update_details(draft, title="Health questionnaire", intro="Answer for yourself.")
    qs.add_question(draft, QuestionData(key="motion", kind=K.SINGLE_CHOICE, text="Motion sickness?",
                                        help="Cars, boats, aircraft.", choices=["Never", "Often"]))
    qs.add_question(draft, QuestionData(key="notes", kind=K.TEXT, text="Anything else?", required=False))
    db.session.commit()
    return medic, draft


def test_a_translated_draft_is_read_in_german_and_answers_keep_the_choice(app, make, draft):
    medic, questionnaire = draft
    motion, notes = sorted(questionnaire.questions, key=lambda q: q.position)
    staff = app.test_client()
    login(staff, medic)
    url = f"/medical/questionnaires/{questionnaire.id}/translations/de"
    assert "Motion sickness?" in staff.get(url).get_data(as_text=True)  # the original beside each field
    response = post_form(staff, url, {
        "title": "Gesundheitsfragebogen", "intro": "Antworten Sie für sich selbst.",
        f"q{motion.id}-text": "Reisekrankheit?", f"q{motion.id}-help": "Auto, Schiff, Flugzeug.",
        f"q{motion.id}-choice-0": "Nie", f"q{motion.id}-choice-1": "Oft",
    }, page=url)
    assert response.status_code == 302
    post_form(staff, f"/medical/questionnaires/{questionnaire.id}/publish", page=url)
    db.session.expire_all()
    assert questionnaire.published and motion.choices == ["Never", "Often"]

    german, french = make.user(language="de"), make.user(language="fr")
    db.session.commit()
    reader = app.test_client()
    login(reader, german)
    page = reader.get("/medical/questionnaire").get_data(as_text=True)
    for text in ("Gesundheitsfragebogen", "Antworten Sie für sich selbst.", "Reisekrankheit?",
                 "Auto, Schiff, Flugzeug.", "> Nie</label>", "> Oft</label>"):
        assert text in page, text
    assert 'value="Never"' in page and "Anything else?" in page  # untranslated: the default
    saved = post_form(reader, f"/medical/questionnaire/answers/{motion.id}", {f"q{motion.id}": "Often"},
                      page="/medical/questionnaire", headers={"HX-Request": "true"})
    assert saved.status_code == 200
    case = db.session.scalar(select(MedicalCase).where(MedicalCase.user_id == german.id))
    assert db.session.scalar(select(Answer).where(Answer.case_id == case.id)).value == "Often"

    other = app.test_client()
    login(other, french)
    page = other.get("/medical/questionnaire").get_data(as_text=True)
    assert "Motion sickness?" in page and "Reisekrankheit?" not in page


def test_translations_carry_into_the_next_draft_and_a_published_version_is_not_changed(app, make, draft):
    medic, questionnaire = draft
    motion = next(q for q in questionnaire.questions if q.key == "motion")
    qs.translate(questionnaire, "it", qs.Translation(title="Questionario", questions={
        motion.id: {"text": "Mal di viaggio?", "choices": {"Never": "Mai"}}}))
    qs.publish(questionnaire, medic)
    with pytest.raises(Exception, match="published"):
        qs.translate(questionnaire, "it", qs.Translation(title="Altro"))
    following = qs.new_draft(medic)
    copied = next(q for q in following.questions if q.key == "motion")
    assert copied.text_in("it") == "Mal di viaggio?" and copied.choice_label("Never", "it") == "Mai"
    assert copied.choice_label("Often", "it") == "Often" and following.title_in("it") == "Questionario"


def test_a_translation_too_long_is_refused_at_its_field_and_nothing_is_saved(app, make, draft):
    medic, questionnaire = draft
    motion = next(q for q in questionnaire.questions if q.key == "motion")
    staff = app.test_client()
    login(staff, medic)
    url = f"/medical/questionnaires/{questionnaire.id}/translations/es"
    response = post_form(staff, url, {"title": "Cuestionario", f"q{motion.id}-text": "x" * 501}, page=url)
    assert response.status_code == 422 and "At most 500 characters." in response.get_data(as_text=True)
    db.session.expire_all()
    assert questionnaire.texts == {} and motion.texts == {}
    assert staff.get(f"/medical/questionnaires/{questionnaire.id}/translations/en").status_code == 404
    assert staff.get(f"/medical/questionnaires/{questionnaire.id}/translations/xx").status_code == 404


def test_the_translation_page_costs_the_same_queries_for_two_or_eight_questions(app, make, draft):
    medic, questionnaire = draft
    staff = app.test_client()
    login(staff, medic)
    url = f"/medical/questionnaires/{questionnaire.id}/translations/de"
    small = queries_for(staff, url)
    for i in range(6):
        qs.add_question(questionnaire, QuestionData(key=f"more{i}", kind=K.SINGLE_CHOICE, text=f"More {i}?",
                                                    help="A hint.", choices=["Yes", "No", "Maybe"]))
    db.session.commit()
    page = staff.get(url).get_data(as_text=True)
    assert "More 5?" in page and 'name="q' in page
    assert queries_for(staff, url) == small
