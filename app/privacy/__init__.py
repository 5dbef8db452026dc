"""Privacy: a tourist's data exported and erased on request, and kept no longer than the rules
allow. Every domain says what it holds through :mod:`app.personal_data`; this package runs over
what they registered, and knows none of them.

- ``exports``: a ZIP of everything held about a tourist (JSON per part, the files, a readable
  summary), built by a task; its link works once, for ``PRIVACY_EXPORT_HOURS``.
- ``erasure``: a tourist's request, confirmed or refused by operations by its due date, then
  carried out part by part by a task (each part's work and its record in one transaction).
- ``retention``: the daily run that removes what is past its period, in batches.
- ``log``: every export, erasure and retention run, for operations.
"""

from app.privacy import categories, labels, parts, reminder_rules  # noqa: F401  (registration)
