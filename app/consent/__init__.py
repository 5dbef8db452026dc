"""Consent: the informed consent (14 CFR 460.45), its versions, signatures and questions.

Importing the package registers its preference category, its reminder rule and its readiness gate.
Uses the booking domain (a signature is for a booking; its reminder is about one).
"""

from app.consent import categories, gates, labels, reminder_rules  # noqa: F401  (registration)
