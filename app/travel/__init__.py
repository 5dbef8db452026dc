"""Travel logistics: what a tourist gives (``details``: arrival, emergency contacts, companions,
needs, travel document), the itinerary a coordinator builds and its flight-wide templates
(``itinerary``), where each booking stands (``status``), manifests (``manifests``), the access
log (``access``) and calendar events (``calendar``).

Importing the package registers its preference category, reminder rules, readiness gate (after
training), signal receivers and calendar events. Uses the booking domain (travel is for a
booking's flight).
"""

# Imported for what they register.
from app.travel import (  # noqa: F401
    calendar,
    categories,
    gates,
    handlers,
    labels,
    privacy,
    reminder_rules,
)
