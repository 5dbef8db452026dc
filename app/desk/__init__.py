"""The customer service desk: one conversation per question a tourist asks, in the app or by SMS,
answered by the staff of its topic within a response target counted in business hours.

- ``conversations``: start, write, answer, note, assign, re-route, resolve, rate; SMS filed.
- ``routing``: which roles read which topic; ``clock``: business hours and due times.
- ``escalation``: the sweep that escalates a wait past its target; ``report``: weekly figures.
- ``saved_answers``: answers staff keep ready, per language.

Importing the package registers its preference category, reminder rules, labels and its receiver
of ``sms_received``. Uses the booking domain (a conversation may be about a booking; the target is
shorter near the launch) and the medical access log (reading a medical conversation is logged).
"""

from app.desk import (  # noqa: F401  (registration)
    categories,
    handlers,
    labels,
    privacy,
    reminder_rules,
)
