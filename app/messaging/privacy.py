"""The messages' share of a person's data: every email, SMS and notice sent to them, their
notification settings and quiet hours. On erasure the messages still due are sent first (the
email that a booking was cancelled), then every message goes; a number that replied STOP stays on
the list of numbers we never text. Retention deletes a message ``messages`` days after it was
sent (or dropped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update

from app import personal_data
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import lazy_gettext as _l
from app.messaging import delivery
from app.models import (
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    QuietHours,
    Role,
    SmsOptOut,
    User,
)
from app.personal_data import PHONE, Consequence, Kept, Outcome, Part, Retention, Rule
from app.timeutil import now_utc

S = MessageStatus
OPT_OUT = "sms_opt_out"
RETENTION = "messages"


def _mine(user: User):
    """Messages to the user, and those to their address or number that no account was named on
    (a code to verify the number, an answer to an SMS from it before it was theirs)."""
    addresses = [user.email, *([user.phone] if user.phone else [])]
    return or_(OutboundMessage.user_id == user.id,
               (OutboundMessage.user_id.is_(None)) & (OutboundMessage.recipient.in_(addresses)))


def _export(user: User) -> dict:
    messages = db.session.scalars(select(OutboundMessage).where(_mine(user)).order_by(OutboundMessage.id))
    prefs = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id)
                               .order_by(NotificationPreference.category))
    quiet = db.session.get(QuietHours, user.id)
    return {
        "messages": [personal_data.record(m, "channel", "kind", "recipient", "subject", "body", "status", "send_at",
                                          "sent_at", "read_at") for m in messages],
        "notification_settings": [personal_data.record(p, "category", "email", "sms", "in_app") for p in prefs],
        "quiet_hours": personal_data.record(quiet, "enabled", "starts", "ends") if quiet else None,
        "sms_opt_out": _opted_out(user),
    }


def _opted_out(user: User) -> bool:
    return bool(user.phone) and db.session.get(SmsOptOut, user.phone) is not None


#: No phone (PHONE is then NULL): no row matches, as no opt-out can be the tourist's.
FACTS = {"opted_out": exists().where(SmsOptOut.phone == PHONE)}


def _preview(user: User, facts: dict) -> list[Consequence]:
    out = [Consequence(_("The messages we sent you, and your notification settings, are deleted."))]
    if facts["opted_out"]:
        out.append(Consequence(_("Your mobile number stays on our list of numbers that asked us not to text them."),
                               rule=OPT_OUT))
    return out


def _send_due(user: User, actor: User | None) -> Outcome:
    """What is due now still goes out first (it says what the erasure did: a booking cancelled, a
    refund, the erasure itself). Delivery commits as it sends, each message once: this is a part of
    its own, so that the part that deletes them is one transaction with its record."""
    due = list(db.session.scalars(select(OutboundMessage.id).where(
        _mine(user), OutboundMessage.status.in_([S.QUEUED, S.CLAIMED]), OutboundMessage.send_at <= now_utc())))
    if due:
        delivery.deliver_batch(due)
    return Outcome()


def _erase(user: User, actor: User | None) -> Outcome:
    ids = select(OutboundMessage.id).where(_mine(user))
    db.session.execute(update(OutboundMessage).where(OutboundMessage.resent_from_id.in_(ids)).values(resent_from_id=None))
    erased = db.session.execute(delete(OutboundMessage).where(_mine(user))).rowcount
    erased += db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id)).rowcount
    erased += db.session.execute(delete(QuietHours).where(QuietHours.user_id == user.id)).rowcount
    return Outcome(erased=erased, kept=[Kept(OPT_OUT, _l("SMS opt-out"), 1)] if _opted_out(user) else [])


def _apply(cutoff: datetime, limit: int) -> int:
    ids = list(db.session.scalars(select(OutboundMessage.id).where(
        OutboundMessage.status.in_([S.SENT, S.FAILED, S.DROPPED]), OutboundMessage.created_at < cutoff)
        .order_by(OutboundMessage.id).limit(limit)))
    if not ids:
        return 0
    db.session.execute(update(OutboundMessage).where(OutboundMessage.resent_from_id.in_(ids)).values(resent_from_id=None))
    return db.session.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(ids))).rowcount


personal_data.register_rule(Rule(
    OPT_OUT, _l("SMS opt-out"),
    _l("A number that replied STOP must never be texted again (telemarketing law), whoever has it next."),
    roles=(Role.OPERATIONS,),
    duration=_l("The number only, without your name, for as long as we send text messages"), position=80,
))
personal_data.register_retention(Retention(
    RETENTION, _l("Messages sent"), _l("the message was sent"),
    _l("Long enough to answer what a tourist was told, and when."), default_days=730, apply=_apply, position=80,
))
personal_data.register_part(Part("messages_due", _l("Messages still to send"), position=101, erase_order=890,
                                 export=None, preview=lambda user, facts: [], erase=_send_due))
personal_data.register_part(Part("messages", _l("Messages and notifications"), position=100, erase_order=900,
                                 export=_export, preview=_preview, erase=_erase, facts=FACTS))
