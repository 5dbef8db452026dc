"""Documents: what a tourist must read and sign or acknowledge (the informed consent, 14 CFR
460.45; the reciprocal waiver of claims, 460.49; the prohibited-items notice, 460.53; mission
briefings), published in versions and languages, with evidence of exactly what was accepted.

Importing the package registers its preference category, its reminder rules and its readiness
gates. Uses the booking domain (a document is accepted for a booking; its reminders are about one).
"""

from app.documents import (  # noqa: F401  (registration)
    categories,
    evidence_sections,
    gates,
    labels,
    privacy,
    reminder_rules,
)
