"""Access checks shared by the blueprints."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Booking, Role


def roles_required(*roles: Role):
    """Log in first; then only these roles may pass (403 for the others)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: The pages of one staff role (others get a 403; anonymous visitors are sent to log in).
ops_only = roles_required(Role.OPERATIONS)
medical_only = roles_required(Role.MEDICAL)


def own_or_404(obj, user_id_attr: str = "user_id"):
    """A tourist's object, or a 404 that says nothing about whether it exists."""
    if obj is None or getattr(obj, user_id_attr) != current_user.id:
        abort(404)
    return obj


def own_booking(reference: str) -> Booking:
    """The signed-in tourist's booking by its reference, with its history; 404 for anyone else's."""
    booking = db.session.scalar(
        select(Booking).where(Booking.reference == reference).options(selectinload(Booking.events))
    )
    return own_or_404(booking)
