"""Training (14 CFR 460.51): the modules operations keep (``modules``), the plan each vehicle or
flight requires (``plans``), sessions with their instructors and capacity (``sessions``), a
tourist's place in one or on its waiting list (``places``), the instructor's roster and sign-off
(``signoff``), where each tourist stands (``progress``) and private calendar feeds (``calendar``).

Importing the package registers its preference category, reminder rules, readiness gate (after the
medical one) and signal receivers. Uses the booking domain (training is for a booking's flight).
"""

# Imported for what they register.
from app.training import (  # noqa: F401  (registration)
    categories,
    evidence_sections,
    gates,
    handlers,
    labels,
    privacy,
    reminder_rules,
)
