"""Every request to a medical page writes its row in the medical access log, in the transaction it
commits; a refused change leaves nothing behind but that row."""

from __future__ import annotations

from flask_login import current_user

from app.medical.access import log_access
from app.models import MedicalCase
from app.transactions import commit, rollback


def logged(response, case: MedicalCase | None, action: str, what: str):
    """Write the access-log row for this request and commit it, then answer."""
    log_access(current_user, case, action, what)
    commit()
    return response


def refused(case: MedicalCase | None, action: str, what: str) -> None:
    """A refused change leaves nothing behind but its access-log row."""
    rollback()
    log_access(current_user, case, action, f"{what} (refused)")
    commit()
