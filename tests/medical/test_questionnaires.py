"""The health questionnaire: versions, conditions, answers, resume and submission."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage

from app.errors import ServiceError
from app.extensions import db
from app.medical import access as medical_access
from app.medical import files
from app.medical import questionnaires as qs
from app.medical import uploads as medical_uploads
from app.medical.questionnaires import QuestionData
from app.models import CaseEvent, CaseState, MedicalUpload, QuestionKind, Role

K = QuestionKind
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def medic(make):
    return make.user(Role.MEDICAL)


def build(medic, *specs: tuple, publish: bool = True):
    """A questionnaire from (key, kind, extra) tuples; returns it and its questions by key."""
    draft = qs.new_draft(medic)
    for key, kind, *extra in specs:
        options = extra[0] if extra else {}
        qs.add_question(draft, QuestionData(key=key, kind=kind, text=options.pop("text", f"Question {key}?"),
                                            **options))
    if publish:
        qs.publish(draft, medic)
    return draft, {q.key: q for q in draft.questions}


@pytest.fixture
def heart(medic):
    """heart (yes/no) → details (text) and letter (file); conditions (multiple) → which (text)
    and treated (yes/no) → treatment (text, a chain); height (number); notes (optional)."""
    return build(
        medic,
        ("heart", K.YES_NO),
        ("details", K.TEXT, {"show_if_key": "heart", "show_if_values": ["yes"]}),
        ("letter", K.FILE, {"show_if_key": "heart", "show_if_values": ["yes"]}),
        ("conditions", K.MULTIPLE_CHOICE, {"choices": ["Asthma", "Diabetes", "None"]}),
        ("which", K.TEXT, {"show_if_key": "conditions", "show_if_values": ["Asthma", "Diabetes"]}),
        ("treated", K.YES_NO, {"show_if_key": "conditions", "show_if_values": ["Asthma"]}),
        ("treatment", K.TEXT, {"show_if_key": "treated", "show_if_values": ["yes"]}),
        ("height", K.NUMBER, {"unit": "cm", "min_value": 100, "max_value": 250}),
        ("notes", K.TEXT, {"required": False}),
    )


def keys(questions) -> list[str]:
    return [q.key for q in questions]


# -- versions -------------------------------------------------------------------------------------

def test_a_new_draft_copies_the_latest_version_and_publishing_makes_it_current(medic, heart):
    v1, _ = heart
    assert qs.current_questionnaire() == v1 and v1.published
    v2 = qs.new_draft(medic)
    assert (v2.version, v2.published) == (2, False)
    assert keys(v2.questions) == keys(v1.questions)
    assert [q.id for q in v2.questions] != [q.id for q in v1.questions]  # copies, not the same rows
    assert qs.current_questionnaire() == v1  # a draft is not used until published
    qs.add_question(v2, QuestionData(key="smoker", kind=K.YES_NO, text="Do you smoke?"))
    qs.publish(v2, medic)
    assert qs.current_questionnaire() == v2
    assert "smoker" not in keys(v1.questions)


def test_the_first_draft_has_a_title_in_no_ones_language_and_later_ones_copy_theirs(medic):
    from flask_babel import force_locale

    with force_locale("de"):
        v1 = qs.new_draft(medic)
    assert v1.title == qs.DEFAULT_TITLE == "Health questionnaire"  # not the German staff member's
    for locale, title in (("de", "Gesundheitsfragebogen"), ("en", "Health questionnaire")):
        with force_locale(locale):
            assert qs.title_of(v1) == title  # the untouched default reads in each language
    qs.add_question(v1, QuestionData(key="fit", kind=K.YES_NO, text="Fit?"))
    qs.publish(v1, medic)
    with force_locale("fr"):
        v2 = qs.new_draft(medic)
    assert v2.title == "Health questionnaire"
    qs.update_details(v2, title="Santé avant le vol", intro="")
    qs.publish(v2, medic)
    v3 = qs.new_draft(medic)
    assert v3.title == "Santé avant le vol"
    with force_locale("de"):
        assert qs.title_of(v3) == "Santé avant le vol"  # written by staff: shown as written


def test_only_one_draft_at_a_time(medic, heart):
    qs.new_draft(medic)
    with pytest.raises(ServiceError, match="already a draft"):
        qs.new_draft(medic)


def test_a_published_version_is_never_changed(medic, heart):
    v1, q = heart
    before = [(x.key, x.text, x.position) for x in v1.questions]
    attempts = [
        lambda: qs.add_question(v1, QuestionData(key="new", kind=K.TEXT, text="New?")),
        lambda: qs.update_question(q["notes"], QuestionData(key="notes", kind=K.TEXT, text="Changed?")),
        lambda: qs.remove_question(q["notes"]),
        lambda: qs.move_question(q["height"], -1),
        lambda: qs.update_details(v1, title="Other", intro=""),
        lambda: qs.publish(v1, medic),
        lambda: qs.delete_draft(v1),
    ]
    for attempt in attempts:
        with pytest.raises(ServiceError, match="published and cannot be changed"):
            attempt()
    db.session.refresh(v1)
    assert [(x.key, x.text, x.position) for x in v1.questions] == before


def test_publishing_needs_a_question(medic):
    draft = qs.new_draft(medic)
    with pytest.raises(ServiceError, match="at least one question"):
        qs.publish(draft, medic)


def test_a_draft_can_be_deleted_and_the_versions_go_on(medic, heart):
    v2 = qs.new_draft(medic)
    qs.delete_draft(v2)
    assert qs.draft() is None
    assert qs.new_draft(medic).version == 2


# -- editing questions ----------------------------------------------------------------------------

@pytest.mark.parametrize("data, field, message", [
    (QuestionData(key="Bad Key", kind=K.TEXT, text="x?"), "key", "lower-case letters"),
    (QuestionData(key="first", kind=K.TEXT, text="x?"), "key", "already has the key"),
    (QuestionData(key="k", kind=K.TEXT, text="  "), "text", "Write the question"),
    (QuestionData(key="k", kind="essay", text="x?"), "kind", "Choose a kind"),
    (QuestionData(key="k", kind=K.SINGLE_CHOICE, text="x?"), "choices", "at least two options"),
    (QuestionData(key="k", kind=K.MULTIPLE_CHOICE, text="x?", choices=["only", "only"]), "choices", "at least two"),
    (QuestionData(key="k", kind=K.NUMBER, text="x?", min_value=10, max_value=10), "max_value", "less than"),
    (QuestionData(key="k", kind=K.NUMBER, text="x?", min_value=20, max_value=10), "max_value", "less than"),
    (QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="nothing", show_if_values=["yes"]),
     "show_if_key", "question before it"),
    (QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="size", show_if_values=["1"]),
     "show_if_key", "yes/no or choice"),
    (QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="first", show_if_values=[]),
     "show_if_values", "Say which answers"),
    (QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="first", show_if_values=["maybe"]),
     "show_if_values", "“maybe” is not an answer to “first”. Its answers are: Yes, No."),
    (QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="colour", show_if_values=["Red", "Pink"]),
     "show_if_values", "“Pink” is not an answer"),
])
def test_bad_questions_are_refused_at_their_field(medic, data, field, message):
    draft, _ = build(medic, ("first", K.YES_NO), ("size", K.NUMBER), ("colour", K.SINGLE_CHOICE,
                                                                       {"choices": ["Red", "Blue"]}),
                     publish=False)
    with pytest.raises(ServiceError, match=message) as refused:
        qs.add_question(draft, data)
    assert refused.value.field == field
    assert len(draft.questions) == 3


@pytest.mark.parametrize("locale, typed, stored", [
    ("de", ["ja"], ["yes"]), ("fr", ["Oui", "non"], ["yes", "no"]), ("it", ["Sì"], ["yes"]),
    ("es", ["no"], ["no"]), ("de", ["YES", "Nein"], ["yes", "no"]), ("pt", ["Sim", "sim"], ["yes"]),
])
def test_a_yes_no_condition_is_stored_as_a_token_whatever_the_staff_language(medic, locale, typed, stored):
    from flask_babel import force_locale

    draft, _ = build(medic, ("first", K.YES_NO), publish=False)
    with force_locale(locale):
        question = qs.add_question(draft, QuestionData(key="k", kind=K.TEXT, text="x?", show_if_key="first",
                                                       show_if_values=typed))
    assert question.show_if_values == stored


def test_a_condition_reads_in_the_readers_language_and_refuses_another_languages_word(medic):
    from flask_babel import force_locale

    draft, q = build(medic, ("first", K.YES_NO), ("colour", K.SINGLE_CHOICE, {"choices": ["Red", "yes"]}),
                     ("a", K.TEXT, {"show_if_key": "first", "show_if_values": ["yes", "no"]}),
                     ("b", K.TEXT, {"show_if_key": "colour", "show_if_values": ["yes"]}), publish=False)
    with force_locale("de"):
        assert qs.condition_labels(q["a"]) == ["Ja", "Nein"]
        assert qs.condition_labels(q["b"]) == ["yes"]  # an option is shown as written
        with pytest.raises(ServiceError, match="„oui“ .* „first“. Mögliche Antworten: Ja, Nein.") as e:
            qs.add_question(draft, QuestionData(key="c", kind=K.TEXT, text="x?", show_if_key="first",
                                                show_if_values=["oui"]))
        assert e.value.field == "show_if_values"
        with pytest.raises(ServiceError, match="Ja") as e:  # "ja" is not an option of a choice question
            qs.add_question(draft, QuestionData(key="c", kind=K.TEXT, text="x?", show_if_key="colour",
                                                show_if_values=["Ja"]))
    with force_locale("fr"):
        with pytest.raises(ServiceError, match="réponse «\xa0Non\xa0»"):
            # Making the parent a choice question loses the answer "no" its dependent names.
            qs.update_question(q["first"], QuestionData(key="first", kind=K.SINGLE_CHOICE, text="x?",
                                                        choices=["yes", "maybe"]))
    assert qs.condition_labels(q["a"]) == ["Yes", "No"]
    assert qs.condition_labels(q["colour"]) == []


def test_a_condition_must_point_to_an_earlier_question(medic):
    draft, q = build(medic, ("later_text", K.TEXT), ("parent", K.YES_NO), publish=False)
    with pytest.raises(ServiceError, match="question before it"):
        qs.update_question(q["later_text"], QuestionData(key="later_text", kind=K.TEXT, text="x?",
                                                         show_if_key="parent", show_if_values=["yes"]))


def test_a_key_is_made_from_the_text_when_left_empty(medic):
    draft, _ = build(medic, publish=False)
    first = qs.add_question(draft, QuestionData(kind=K.YES_NO, text="Do you smoke, or vape?"))
    second = qs.add_question(draft, QuestionData(kind=K.YES_NO, text="Do you smoke, or vape?"))
    assert (first.key, second.key) == ("do_you_smoke_or_vape", "do_you_smoke_or_vape_2")


def test_choices_and_kind_of_a_parent_cannot_pull_the_rug_from_its_dependents(medic):
    draft, q = build(medic, ("colour", K.SINGLE_CHOICE, {"choices": ["Red", "Blue"]}),
                     ("why_red", K.TEXT, {"show_if_key": "colour", "show_if_values": ["Red"]}), publish=False)
    with pytest.raises(ServiceError, match="is shown when this one is answered “Red”"):
        qs.update_question(q["colour"], QuestionData(key="colour", kind=K.SINGLE_CHOICE, text="x?",
                                                     choices=["Green", "Blue"]))
    with pytest.raises(ServiceError, match="must stay a yes/no or choice"):
        qs.update_question(q["colour"], QuestionData(key="colour", kind=K.TEXT, text="x?"))
    with pytest.raises(ServiceError, match="depends on this one"):
        qs.remove_question(q["colour"])
    # Renaming the key carries the condition along.
    qs.update_question(q["colour"], QuestionData(key="favourite_colour", kind=K.SINGLE_CHOICE, text="x?",
                                                 choices=["Red", "Blue", "Green"]))
    assert q["why_red"].show_if_key == "favourite_colour"


def test_moving_keeps_conditions_below_their_parent(medic):
    draft, q = build(medic, ("a", K.YES_NO), ("b", K.TEXT, {"show_if_key": "a", "show_if_values": ["yes"]}),
                     ("c", K.TEXT), publish=False)
    with pytest.raises(ServiceError, match="must stay below"):
        qs.move_question(q["b"], -1)
    with pytest.raises(ServiceError, match="must stay below"):
        qs.move_question(q["a"], +1)
    qs.move_question(q["c"], -1)
    assert keys(sorted(draft.questions, key=lambda x: x.position)) == ["a", "c", "b"]
    qs.move_question(q["a"], -1)  # already first: nothing happens
    qs.remove_question(q["c"])
    assert [(x.key, x.position) for x in draft.questions] == [("a", 1), ("b", 2)]


# -- visibility -----------------------------------------------------------------------------------

def test_visible_questions_follow_the_answers_and_chains(heart):
    v1, q = heart
    always = ["heart", "conditions", "height", "notes"]
    assert keys(qs.visible_questions(v1, {})) == always
    yes = {q["heart"].id: True}
    assert keys(qs.visible_questions(v1, yes)) == ["heart", "details", "letter", "conditions", "height", "notes"]
    assert keys(qs.visible_questions(v1, {q["heart"].id: False})) == always
    asthma = {q["conditions"].id: ["Asthma"], q["treated"].id: True}
    assert keys(qs.visible_questions(v1, asthma)) == ["heart", "conditions", "which", "treated", "treatment",
                                                      "height", "notes"]
    # The chain: "treatment" depends on "treated", which is hidden once asthma is not ticked.
    diabetes = {q["conditions"].id: ["Diabetes"], q["treated"].id: True}
    assert keys(qs.visible_questions(v1, diabetes)) == ["heart", "conditions", "which", "height", "notes"]


# -- answers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, raw, expected", [
    ("heart", "yes", True), ("heart", "no", False), ("heart", "", None),
    ("details", "  Angina,\r\nsince 2019  ", "Angina,\nsince 2019"),
    ("height", "175", 175), ("height", "172.5", 172.5), ("height", "172,5", 172.5),
    ("height", "100", 100), ("height", "250", 250),
    ("conditions", ["Diabetes", "Asthma"], ["Asthma", "Diabetes"]), ("conditions", [], None),
    ("exam", "2024-02-29", "2024-02-29"),
    ("motion", "Often", "Often"),
])
def test_good_answers_are_normalised(medic, key, raw, expected):
    _, q = build(medic, ("heart", K.YES_NO), ("details", K.TEXT),
                 ("height", K.NUMBER, {"unit": "cm", "min_value": 100, "max_value": 250}),
                 ("conditions", K.MULTIPLE_CHOICE, {"choices": ["Asthma", "Diabetes", "None"]}),
                 ("exam", K.DATE), ("motion", K.SINGLE_CHOICE, {"choices": ["Never", "Often"]}))
    assert qs.validate_answer(q[key], raw) == expected


@pytest.mark.parametrize("key, raw, message", [
    ("heart", "maybe", "Answer yes or no."),
    ("details", "x" * 4001, "Keep this answer under 4,000 characters"),
    ("height", "99.9", "Enter a number between 100 and 250 cm."),
    ("height", "251", "Enter a number between 100 and 250 cm."),
    ("height", "tall", "Enter a number, between 100 and 250 cm."),
    ("height", "nan", "Enter a number, between 100 and 250 cm."),
    ("height", "inf", "Enter a number, between 100 and 250 cm."),
    ("weight", "29", "Enter a number at least 30 kg."),
    ("conditions", ["Asthma", "Gout"], "Choose from the options given."),
    ("exam", "29/02/2024", "Enter a date as YYYY-MM-DD."),
    ("exam", "2023-02-29", "This date does not exist."),
    ("exam", "1850-01-01", "Check the year: enter a date after"),
    ("exam", "2099-01-01", "This date is in the future."),
    ("conditions", ["Diabetes", "None"], "“None” cannot be ticked together with other options"),
    ("planned", "2001-01-01", "This date has passed."),
    ("planned", "2099-01-01", "Check the year: enter a date before"),
    ("motion", "Always", "Choose one of the options given."),
    ("letter", ["12345"], "not one of your uploads"),
    ("letter", ["abc"], "not one of your uploads"),
])
def test_bad_answers_are_refused_with_a_reason(medic, key, raw, message):
    _, q = build(medic, ("heart", K.YES_NO), ("details", K.TEXT),
                 ("height", K.NUMBER, {"unit": "cm", "min_value": 100, "max_value": 250}),
                 ("weight", K.NUMBER, {"unit": "kg", "min_value": 30}),
                 ("conditions", K.MULTIPLE_CHOICE, {"choices": ["Asthma", "Diabetes", "None"],
                                                    "exclusive_choices": ["None"]}),
                 ("exam", K.DATE), ("motion", K.SINGLE_CHOICE, {"choices": ["Never", "Often"]}),
                 ("letter", K.FILE), ("planned", K.DATE, {"date_range": qs.FUTURE}))
    with pytest.raises(ServiceError, match=message.replace("(", r"\(").replace(".", r"\.")) as refused:
        qs.validate_answer(q[key], raw)
    assert refused.value.field == f"q{q[key].id}"


def test_a_file_answer_is_a_list_of_this_cases_uploads(make, heart):
    v1, q = heart
    tourist, other = make.user(), make.user()
    case, other_case = qs.open_case(tourist), qs.open_case(other)
    qs.save_answer(case, q["heart"], "yes", tourist)
    qs.save_answer(other_case, q["heart"], "yes", other)
    mine = medical_uploads.store_upload(case, q["letter"], FileStorage(io.BytesIO(PDF), "letter.pdf"), tourist)
    theirs = medical_uploads.store_upload(other_case, q["letter"], FileStorage(io.BytesIO(PDF), "x.pdf"), other)
    assert qs.validate_answer(q["letter"], [str(mine.id)], case) == [mine.id]
    with pytest.raises(ServiceError, match="not one of your uploads"):
        qs.validate_answer(q["letter"], [str(theirs.id)], case)


def test_a_case_is_opened_once_on_the_current_version(make, medic, heart):
    v1, _ = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    assert (case.state, case.questionnaire_id) == (CaseState.ANSWERING, v1.id)
    assert [(e.from_state, e.to_state) for e in case.events] == [(None, CaseState.ANSWERING)]
    assert qs.open_case(tourist) == case
    # A later version does not move a case already started.
    v2 = qs.new_draft(medic)
    qs.publish(v2, medic)
    assert qs.open_case(tourist).questionnaire_id == v1.id
    assert qs.open_case(make.user()).questionnaire_id == v2.id


def test_a_clearance_that_no_longer_covers_the_launch_opens_a_renewal(app, make, medic, heart):
    from datetime import date, timedelta

    from app.booking import bookings as booking_service
    from app.timeutil import now_utc

    tourist = make.user()
    flight = make.flight(launch_at=now_utc() + timedelta(days=200))
    with app.test_request_context("/"):
        booking_service.hold_seat(flight.id, tourist)
    old = qs.open_case(tourist)
    old.state, old.valid_until = CaseState.CLEARED, flight.launch_at.date() + timedelta(days=1)
    db.session.flush()
    assert qs.open_case(tourist) == old  # it covers the launch: nothing to renew
    old.valid_until = flight.launch_at.date() - timedelta(days=1)
    db.session.flush()
    renewal = qs.open_case(tourist)
    assert renewal != old and renewal.state is CaseState.ANSWERING
    assert qs.open_case(tourist) == renewal  # once
    assert old.valid_until < date.max  # the old clearance stays on record


def test_no_case_without_a_published_questionnaire(make, medic):
    qs.new_draft(medic)
    with pytest.raises(ServiceError, match="not available yet"):
        qs.open_case(make.user())


def test_answers_are_saved_resumed_and_submitted(make, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    qs.save_answer(case, q["heart"], "no", tourist)
    qs.save_answer(case, q["conditions"], ["None"], tourist)
    db.session.commit()
    db.session.expire_all()

    # Coming back later: the same case with the answers given so far, encrypted in the database.
    resumed = qs.open_case(tourist)
    assert resumed.id == case.id
    assert qs.answers_of(resumed) == {q["heart"].id: False, q["conditions"].id: ["None"]}
    stored = db.session.execute(text("SELECT value FROM medical_answers")).scalars().all()
    assert stored and all(value.startswith("gAAAA") for value in stored)  # Fernet tokens

    with pytest.raises(qs.IncompleteQuestionnaire) as incomplete:
        qs.submit(resumed, tourist)
    assert keys(incomplete.value.missing) == ["height"]  # "notes" is optional
    assert resumed.state is CaseState.ANSWERING

    qs.save_answer(resumed, q["height"], "180", tourist)
    qs.submit(resumed, tourist)
    assert resumed.state is CaseState.SUBMITTED and resumed.submitted_at is not None
    assert [e.to_state for e in resumed.events] == [CaseState.ANSWERING, CaseState.SUBMITTED]

    with pytest.raises(ServiceError, match="can no longer be changed"):
        qs.save_answer(resumed, q["height"], "181", tourist)
    with pytest.raises(ServiceError, match="already been submitted"):
        qs.submit(resumed, tourist)
    assert qs.answers_of(resumed)[q["height"].id] == 180


def test_a_required_answer_that_appears_with_a_condition_is_required(make, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    for key, raw in (("heart", "yes"), ("conditions", ["None"]), ("height", "170")):
        qs.save_answer(case, q[key], raw, tourist)
    with pytest.raises(qs.IncompleteQuestionnaire) as incomplete:
        qs.submit(case, tourist)
    assert keys(incomplete.value.missing) == ["details", "letter"]
    assert "Question details?" in incomplete.value.message
    assert db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id)) == 1


def test_an_answer_to_a_hidden_question_is_refused(make, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    with pytest.raises(ServiceError, match="does not apply"):
        qs.save_answer(case, q["details"], "Angina", tourist)
    assert qs.answers_of(case) == {}


def test_answers_to_questions_that_became_hidden_are_dropped_at_submission(make, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    qs.save_answer(case, q["heart"], "yes", tourist)
    qs.save_answer(case, q["details"], "Angina", tourist)
    letter = medical_uploads.store_upload(case, q["letter"], FileStorage(io.BytesIO(PDF), "letter.pdf"), tourist)
    path = files.path_of(letter)
    qs.save_answer(case, q["conditions"], ["Asthma"], tourist)
    qs.save_answer(case, q["treated"], "yes", tourist)
    qs.save_answer(case, q["treatment"], "Inhaler", tourist)
    # The tourist changes their mind: no heart condition, diabetes rather than asthma.
    qs.save_answer(case, q["heart"], "no", tourist)
    qs.save_answer(case, q["conditions"], ["Diabetes"], tourist)
    qs.save_answer(case, q["which"], "Type 2", tourist)
    qs.save_answer(case, q["height"], "170", tourist)
    # Until submission, the hidden answers are kept (they come back if the answer changes back).
    assert q["details"].id in qs.answers_of(case)
    qs.submit(case, tourist)
    db.session.commit()
    assert qs.answers_of(case) == {q["heart"].id: False, q["conditions"].id: ["Diabetes"],
                                   q["which"].id: "Type 2", q["height"].id: 170}
    # The letter was never seen by anyone: it is deleted, row and file.
    assert db.session.get(MedicalUpload, letter.id) is None
    assert not path.exists()


def test_save_answers_takes_a_whole_form_in_order(make, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    # "details" is shown by the "heart" answer in the same form.
    errors = qs.save_answers(case, {q["heart"].id: "yes", q["details"].id: "Angina", q["height"].id: "300",
                                    q["which"].id: "ignored: hidden"}, tourist)
    assert errors == {q["height"].id: "Enter a number between 100 and 250 cm."}
    assert qs.answers_of(case) == {q["heart"].id: True, q["details"].id: "Angina"}


def test_answers_may_change_while_information_is_requested(make, medic, heart):
    v1, q = heart
    tourist = make.user()
    case = qs.open_case(tourist)
    for key, raw in (("heart", "no"), ("conditions", ["None"]), ("height", "170")):
        qs.save_answer(case, q[key], raw, tourist)
    qs.submit(case, tourist)
    case.info_request = "Please tell us about your heart."
    medical_access.transition(case, CaseState.INFO_REQUESTED, actor=medic)

    qs.save_answer(case, q["notes"], "I had a check-up last month.", tourist)
    with pytest.raises(ServiceError, match="asked you for more information"):
        qs.submit(case, tourist)
    with pytest.raises(ServiceError, match="Write your answer") as empty:
        qs.answer_info_request(case, tourist, "   ")
    assert empty.value.field == "response"
    qs.save_answer(case, q["height"], "", tourist)  # cleared meanwhile: no longer complete
    with pytest.raises(qs.IncompleteQuestionnaire):
        qs.answer_info_request(case, tourist, "My heart is fine.")
    qs.save_answer(case, q["height"], "171", tourist)
    qs.answer_info_request(case, tourist, "My heart is fine.")
    assert (case.state, case.info_response) == (CaseState.SUBMITTED, "My heart is fine.")
    with pytest.raises(ServiceError, match="has not asked you"):
        qs.answer_info_request(case, tourist, "Again")


def test_seed_questionnaire_is_published_once(make, medic):
    from app.seed_medical import QUESTIONS, seed_questionnaire

    first = seed_questionnaire(medic)
    assert first.published and first.version == 1 and len(first.questions) == len(QUESTIONS)
    assert seed_questionnaire(medic) == first
    assert db.session.scalar(select(func.count()).select_from(type(first))) == 1
    by_key = {q.key: q for q in first.questions}
    answers = {by_key["heart_condition"].id: True}
    shown = keys(qs.visible_questions(first, answers))
    assert {"heart_condition_details", "cardiology_letter"} <= set(shown)
    assert "recent_surgery_date" not in shown


def test_an_any_date_question_takes_1900_to_2100_and_an_exclusive_option_alone_is_fine(medic):
    _, q = build(medic, ("when", K.DATE, {"date_range": qs.ANY_DATE}),
                 ("conditions", K.MULTIPLE_CHOICE, {"choices": ["Asthma", "None"], "exclusive_choices": ["None"]}))
    assert qs.validate_answer(q["when"], "2099-01-01") == "2099-01-01"
    with pytest.raises(ServiceError, match="between 1900 and 2100"):
        qs.validate_answer(q["when"], "1850-01-01")
    assert qs.validate_answer(q["conditions"], ["None"]) == ["None"]


def test_the_editor_refuses_every_problem_of_a_question_at_once(medic):
    draft = qs.new_draft(medic)
    with pytest.raises(ServiceError) as refused:
        qs.add_question(draft, QuestionData(key="Bad Key", kind=K.MULTIPLE_CHOICE, text="",
                                            choices=["A", "B"], exclusive_choices=["C"]))
    assert {e.field for e in refused.value.errors} == {"text", "key", "exclusive_choices"}
    with pytest.raises(ServiceError, match="Choose which dates"):
        qs.add_question(draft, QuestionData(key="d", kind=K.DATE, text="When?", date_range="yesterday"))


def test_the_seeded_none_of_these_is_answered_alone_and_last_examined_is_past(medic):
    from app.seed_medical import seed_questionnaire

    questions = {q.key: q for q in seed_questionnaire(medic).questions}
    with pytest.raises(ServiceError, match="cannot be ticked together"):
        qs.validate_answer(questions["conditions"], ["Diabetes", "None of these"])
    with pytest.raises(ServiceError, match="This date is in the future."):
        qs.validate_answer(questions["last_physical_exam"], "2099-01-01")
