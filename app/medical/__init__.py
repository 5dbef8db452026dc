"""Medical: health questionnaires (``questionnaires``) and their uploads (``uploads``), cases and
their review, clearances and self-certification (``cases``), the case state machine and the
access log (``access``), and the keys that encrypt it all at rest (``keys``).

Importing the package registers its preference category, reminder rules and readiness gate.
Uses the booking domain (a clearance must cover the launch of each booking).
"""

from app.medical import (  # noqa: F401  (registration)
    categories,
    evidence_sections,
    gates,
    handlers,
    labels,
    privacy,
    reminder_rules,
)
