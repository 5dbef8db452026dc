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

#: The questionnaire in German: what a German-speaking tourist reads (the answers keep the
#: English choices). key: (text, help, {choice: label}).
GERMAN_CONDITIONS = {
    "Asthma or another lung disease": "Asthma oder eine andere Lungenerkrankung", "Diabetes": "Diabetes",
    "Epilepsy or seizures": "Epilepsie oder Krampfanfälle", "Fainting or blackouts": "Ohnmachten oder Bewusstlosigkeit",
    "Back, neck or joint problems": "Rücken-, Nacken- oder Gelenkbeschwerden",
    "Inner-ear or balance problems": "Innenohr- oder Gleichgewichtsstörungen",
    "A mental health condition": "Eine psychische Erkrankung", "None of these": "Nichts davon",
}
GERMAN = {
    "title": "Gesundheitsfragebogen",
    "intro": ("Bitte beantworten Sie jede Frage so gut Sie können. Wenn Sie unsicher sind, sagen Sie es in "
              "Ihrer Antwort: Das medizinische Team fragt nach, wenn es mehr braucht. Eine Ärztin oder ein "
              "Arzt des Teams prüft Ihre Antworten und bittet Sie vielleicht um Befunde, bevor entschieden "
              "wird, ob Sie fliegen können."),
    "heart_condition": ("Wurde bei Ihnen jemals eine Herzerkrankung festgestellt (zum Beispiel eine "
                        "Herzkrankheit, Herzrhythmusstörungen, ein Herzinfarkt oder eine Herzoperation)?", "", {}),
    "heart_condition_details": ("Bitte beschreiben Sie Ihre Herzerkrankung: was es ist, wann sie festgestellt "
                                "wurde und wie sie behandelt wird.", "", {}),
    "cardiology_letter": ("Bitte laden Sie einen aktuellen Brief oder Befund Ihres Kardiologen hoch, und ein "
                          "EKG, falls Sie eines haben.", "Wenn möglich aus den letzten 12 Monaten.", {}),
    "blood_pressure_medication": ("Nehmen Sie Medikamente gegen Bluthochdruck?", "", {}),
    "blood_pressure_medication_which": ("Welches Medikament, in welcher Dosis?", "", {}),
    "other_medication": ("Nehmen Sie regelmäßig andere Medikamente? Bitte nennen Sie sie mit Dosis.",
                         "Lassen Sie das Feld leer, wenn Sie keine nehmen.", {}),
    "height": ("Ihre Körpergröße", "", {}),
    "weight": ("Ihr Gewicht", "", {}),
    "last_physical_exam": ("Wann hat Sie zuletzt eine Ärztin oder ein Arzt allgemein untersucht?",
                           "Ein ungefähres Datum genügt.", {}),
    "motion_sickness": ("Wie oft wird Ihnen beim Reisen übel, im Auto, auf dem Schiff oder im Flugzeug?", "",
                        {"Never": "Nie", "Sometimes": "Manchmal", "Often": "Oft"}),
    "conditions": ("Haben oder hatten Sie eines der folgenden Leiden?", "Kreuzen Sie alles an, was zutrifft.",
                   GERMAN_CONDITIONS),
    "conditions_details": ("Bitte erzählen Sie uns mehr über die angekreuzten Leiden: seit wann, wie sie "
                           "behandelt werden und wie sie Sie heute beeinträchtigen.", "", {}),
    "recent_surgery": ("Wurden Sie in den letzten 12 Monaten operiert?", "", {}),
    "recent_surgery_date": ("Wann war die Operation?", "", {}),
    "recent_surgery_details": ("Was wurde operiert, und sind Sie vollständig genesen?", "", {}),
    "pregnancy": ("Könnten Sie zum Zeitpunkt Ihres Fluges schwanger sein?",
                  "Raumfahrt gilt während einer Schwangerschaft nicht als sicher. Ihre Antwort sieht nur das "
                  "medizinische Team.",
                  {"No": "Nein", "Yes": "Ja", "I am not sure": "Ich bin nicht sicher",
                   "This does not apply to me": "Trifft auf mich nicht zu"}),
    "anything_else": ("Gibt es sonst etwas zu Ihrer Gesundheit, das das medizinische Team wissen sollte?", "", {}),
}


def _german(questionnaire: Questionnaire) -> qs.Translation:
    return qs.Translation(title=GERMAN["title"], intro=GERMAN["intro"], questions={
        q.id: {"text": GERMAN[q.key][0], "help": GERMAN[q.key][1], "choices": GERMAN[q.key][2]}
        for q in questionnaire.questions if q.key in GERMAN})


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
    qs.translate(questionnaire, "de", _german(questionnaire))
    qs.publish(questionnaire, actor)
    return questionnaire
