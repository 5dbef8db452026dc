"""Payments: charges and refunds (``payments``), installment plans and automatic charges
(``installments``), cancellations and their refund policy (``cancellations``).

Importing the package registers its preference category, reminder subjects and rules, readiness
gates, and its receivers of other domains' signals (``handlers``: a flight moved or cancelled).
Uses the booking domain (a payment is for a booking) and consent (signed before any payment).
"""

from app.payments import (  # noqa: F401  (registration)
    categories,
    evidence_sections,
    gates,
    handlers,
    labels,
    privacy,
    reminder_rules,
)
