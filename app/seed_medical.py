"""Demo data: the first published version of the health questionnaire (``seed_questionnaire``)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.medical import questionnaires as qs
from app.models import QuestionKind, Questionnaire, User

K = QuestionKind
CONDITIONS = [
    "Asthma or another lung disease", "Diabetes", "Epilepsy or seizures", "Fainting or blackouts",
    "Back, neck or joint problems", "Inner-ear or balance problems", "A mental health condition",
    "None of these",
]

INTRO = (
    "Please answer every question as well as you can. If you are unsure, say so in your answer: the "
    "medical team will ask you if they need more. A doctor on the medical team reviews your answers "
    "and may ask you for letters or test results before deciding whether you can fly."
)

#: (key, kind, text, options); options: help, required, unit, min, max, choices, exclusive (options
#: answered alone), dates (which dates a date question takes; past by default), show_if.
QUESTIONS: list[tuple[str, QuestionKind, str, dict]] = [
    ("heart_condition", K.YES_NO,
     "Have you ever been told you have a heart condition (for example heart disease, an irregular "
     "heartbeat, a heart attack or heart surgery)?", {}),
    ("heart_condition_details", K.TEXT, "Please describe your heart condition: what it is, when it "
     "was found and how it is treated.", {"show_if": ("heart_condition", ["yes"])}),
    ("cardiology_letter", K.FILE, "Please upload a recent letter or report from your cardiologist, "
     "and an ECG if you have one.", {"show_if": ("heart_condition", ["yes"]),
                                     "help": "From the last 12 months, if you can."}),
    ("blood_pressure_medication", K.YES_NO, "Do you take medication for high blood pressure?", {}),
    ("blood_pressure_medication_which", K.TEXT, "Which medication, and what dose?",
     {"show_if": ("blood_pressure_medication", ["yes"])}),
    ("other_medication", K.TEXT, "Do you take any other medication regularly? Please list it with the "
     "doses.", {"required": False, "help": "Leave this empty if you take none."}),
    ("height", K.NUMBER, "Your height", {"unit": "cm", "min": 100, "max": 250}),
    ("weight", K.NUMBER, "Your weight", {"unit": "kg", "min": 30, "max": 250}),
    ("last_physical_exam", K.DATE, "When did a doctor last examine you (a general check-up)?",
     {"help": "An approximate date is fine."}),
    ("motion_sickness", K.SINGLE_CHOICE, "How often do you get motion sickness, in cars, boats or "
     "aircraft?", {"choices": ["Never", "Sometimes", "Often"]}),
    ("conditions", K.MULTIPLE_CHOICE, "Do you have, or have you had, any of these?",
     {"choices": CONDITIONS, "exclusive": ["None of these"], "help": "Tick every one that applies."}),
    ("conditions_details", K.TEXT, "Please tell us more about the conditions you ticked: when they "
     "started, how they are treated and how they affect you today.",
     {"show_if": ("conditions", [c for c in CONDITIONS if c != "None of these"])}),
    ("recent_surgery", K.YES_NO, "Have you had an operation in the last 12 months?", {}),
    ("recent_surgery_date", K.DATE, "When was the operation?", {"show_if": ("recent_surgery", ["yes"])}),
    ("recent_surgery_details", K.TEXT, "What was the operation, and have you fully recovered?",
     {"show_if": ("recent_surgery", ["yes"])}),
    ("pregnancy", K.SINGLE_CHOICE, "Could you be pregnant at the time of your flight?",
     {"choices": ["No", "Yes", "I am not sure", "This does not apply to me"],
      "help": "Spaceflight is not considered safe during pregnancy. Your answer is seen only by the "
              "medical team."}),
    ("anything_else", K.TEXT, "Is there anything else about your health that the medical team should "
     "know?", {"required": False}),
]


def seed_questionnaire(actor: User) -> Questionnaire:
    """Version 1 of the health questionnaire, published; nothing is done when any version exists."""
    existing = db.session.scalar(select(Questionnaire).order_by(Questionnaire.version).limit(1))
    if existing is not None:
        return existing
    questionnaire = qs.new_draft(actor)
    qs.update_details(questionnaire, title="Health questionnaire", intro=INTRO)
    for key, kind, text, options in QUESTIONS:
        parent, values = options.get("show_if", (None, []))
        qs.add_question(questionnaire, qs.QuestionData(
            key=key, kind=kind, text=text, help=options.get("help", ""),
            required=options.get("required", True), unit=options.get("unit", ""),
            min_value=options.get("min"), max_value=options.get("max"),
            choices=options.get("choices", []), show_if_key=parent, show_if_values=values,
            exclusive_choices=options.get("exclusive", []), date_range=options.get("dates", qs.PAST),
        ))
    qs.publish(questionnaire, actor)
    return questionnaire
