"""Flight operations' share of a tourist's data: their answers to the survey after the flight. On
erasure what they wrote goes; the scores stay, without a name, in the operator's figures."""

from __future__ import annotations

from sqlalchemy import exists, select

from app import personal_data
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.models import Booking, Feedback, User
from app.personal_data import USER_ID, Consequence, Outcome, Part


def _feedback(user: User) -> list[Feedback]:
    return list(db.session.scalars(select(Feedback).join(Booking, Booking.id == Feedback.booking_id)
                                   .where(Booking.user_id == user.id).order_by(Feedback.id)))


def _export(user: User) -> list[dict]:
    return [personal_data.record(f, "overall", "recommend", "best", "improve", "created_at") for f in _feedback(user)]


FACTS = {"answered": exists().where(Feedback.booking_id == Booking.id, Booking.user_id == USER_ID)}


def _preview(user: User, facts: dict) -> list[Consequence]:
    return [Consequence(_("What you wrote in the survey after your flight is deleted; your scores stay in our "
                          "figures without your name."))] if facts["answered"] else []


def _erase(user: User, actor: User | None) -> Outcome:
    erased = 0
    for feedback in _feedback(user):
        if feedback.best or feedback.improve:
            feedback.best = feedback.improve = ""
            erased += 1
    return Outcome(erased=erased)


personal_data.register_part(Part("after_the_flight", _l("After the flight"), position=80,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
