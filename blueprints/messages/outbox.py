"""Messages, for operations: what was sent to whom, when, on which channel, and whether it arrived.

Every email, SMS and in-app message is a row (with the outbox providers the rows are all there is
of them). Operations filter the list, read one message, and send a failed one again."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import ServiceError
from app.extensions import db
from app.messaging import delivery
from app.models import Booking, Channel, Flight, MessageStatus, OutboundMessage, Payment, User
from app.providers.messaging import provider_for
from app.transactions import commit, rollback
from app.web import page_arg, render_page
from blueprints.access import ops_only

bp = Blueprint("outbox", __name__)


PAGE_SIZE = 50


S = MessageStatus


#: The status filter: its value in the URL, and the statuses it shows.
STATUS_FILTERS = {
    "scheduled": (S.QUEUED, S.CLAIMED, S.SENDING),
    "sent": (S.SENT,),
    "failed": (S.FAILED,),
    "not_sent": (S.DROPPED,),
}


#: What may be typed for a phone number: digits and the usual separators.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


@dataclass(frozen=True)
class Filters:
    channel: str = ""
    status: str = ""
    q: str = ""
    reminders: bool = False

    @classmethod
    def from_request(cls) -> Filters:
        args = request.args
        channel = args.get("channel", "")
        status = args.get("status", "")
        return cls(
            channel=channel if channel in {c.value for c in Channel} else "",
            status=status if status in STATUS_FILTERS else "",
            q=" ".join(args.get("q", "").split())[:100],
            reminders=args.get("reminders") == "1",
        )

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters (with ``changes``), without the empty ones."""
        values = {"channel": self.channel, "status": self.status, "q": self.q,
                  "reminders": "1" if self.reminders else ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v}

    def where(self) -> list:
        conditions = []
        if self.channel:
            conditions.append(OutboundMessage.channel == Channel(self.channel))
        if self.status:
            conditions.append(OutboundMessage.status.in_(STATUS_FILTERS[self.status]))
        if self.reminders:
            conditions.append(OutboundMessage.rule.is_not(None))
        if self.q:
            conditions.append(_search(self.q))
        return conditions


def _search(q: str):
    """The recipient's address or number, or the user's name, email or phone, containing ``q``.
    A phone number is found however it was typed ("+1 555-0100" finds "+15550100")."""
    terms = [q]
    digits = re.sub(r"\D", "", q)
    if _PHONE_LIKE.match(q) and len(digits) >= 3 and digits != q:
        terms.append(digits)
    users = select(User.id).where(or_(*(
        column.icontains(term, autoescape=True)
        for term in terms for column in (User.name, User.email, User.phone)
    )))
    return or_(
        *(OutboundMessage.recipient.icontains(term, autoescape=True) for term in terms),
        OutboundMessage.user_id.in_(users),
    )


@bp.get("/outbox")
@ops_only
def index():
    """Every message, newest first (scheduled ones: the next to go first), filtered."""
    filters = Filters.from_request()
    conditions = filters.where()
    if filters.status == "scheduled":
        order = (OutboundMessage.send_at, OutboundMessage.id)
    else:
        order = (OutboundMessage.id.desc(),)
    total = db.session.scalar(select(func.count(OutboundMessage.id)).where(*conditions)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page_arg(), pages)
    messages = list(db.session.scalars(
        select(OutboundMessage).where(*conditions).options(joinedload(OutboundMessage.user))
        .order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ))
    return render_page(
        "messages/outbox/index.html", "messages/outbox/_messages.html", messages=messages, filters=filters,
        status_filters=STATUS_FILTERS, page=page, pages=pages, total=total,
    )


def _about(message: OutboundMessage) -> tuple[str, str | None] | None:
    """What the message is about, in words, with the operations page that shows it."""
    if message.subject_id is None:
        return None
    if message.subject_type == "booking":
        booking = db.session.get(Booking, message.subject_id)
        if booking is not None:
            return (_("Booking %(ref)s", ref=booking.reference),
                    url_for("payments.operations.booking", reference=booking.reference))
    elif message.subject_type == "payment":
        payment = db.session.get(Payment, message.subject_id)
        if payment is not None:
            booking = payment.booking
            return (_("Payment #%(id)s of booking %(ref)s", id=payment.id, ref=booking.reference),
                    url_for("payments.operations.booking", reference=booking.reference))
    elif message.subject_type == "flight":
        flight = db.session.get(Flight, message.subject_id)
        if flight is not None:
            return flight.name, url_for("booking.operations.flight", flight_id=flight.id)
    return f"{message.subject_type} #{message.subject_id}", None


@bp.get("/outbox/<int:message_id>")
@ops_only
def show(message_id: int):
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.id == message_id)
        .options(joinedload(OutboundMessage.user))
    ) or abort(404)
    resent_as = list(db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.resent_from_id == message.id)
        .order_by(OutboundMessage.id)
    ))
    return render_template(
        "messages/outbox/show.html", message=message, resent_as=resent_as, about=_about(message),
        can_resend=message.status is S.FAILED and not resent_as, text_hidden=_text_hidden(message),
    )


#: Messages whose text is a key to an account: whoever reads the link (or code) can use it.
PRIVATE_KINDS = frozenset({"password_reset", "phone_code"})


def _text_hidden(message: OutboundMessage) -> bool:
    """A sign-in link goes to its recipient alone when a real provider delivers it. With the
    outbox (development and demos) this page is the delivery, so it shows the text."""
    return message.kind in PRIVATE_KINDS and provider_for(current_app, message.channel).external


@bp.post("/outbox/<int:message_id>/resend")
@ops_only
def resend(message_id: int):
    """Send a failed message again, as a new message; clicking twice makes one copy."""
    message = db.session.get(OutboundMessage, message_id) or abort(404)
    try:
        copy_id = delivery.resend(message, current_user).id
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("messages.outbox.show", message_id=message_id))
    except IntegrityError:  # a second click that raced the first: the first one's copy exists
        rollback()
        flash(_("This message has already been sent again."), "error")
        return redirect(url_for("messages.outbox.show", message_id=message_id))
    flash(_("The message is being sent again as message #%(id)s.", id=copy_id), "success")
    return redirect(url_for("messages.outbox.show", message_id=copy_id))
