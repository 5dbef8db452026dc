from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, OutboundMessage, Role
from app.web import render_page
from blueprints.access import roles_required

bp = Blueprint("outbox", __name__)
PAGE_SIZE = 50


@bp.get("/outbox")
@roles_required(Role.OPERATIONS)
def index():
    """Every email and SMS the app has sent (with the outbox providers, this is where they stay)."""
    channel = request.args.get("channel", "")
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc())
    count = select(func.count(OutboundMessage.id))
    if channel in {c.value for c in Channel}:
        query = query.where(OutboundMessage.channel == Channel(channel))
        count = count.where(OutboundMessage.channel == Channel(channel))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    messages = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    total = db.session.scalar(count) or 0
    return render_page(
        "outbox/index.html", "outbox/_messages.html", messages=messages, channel=channel,
        page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), total=total,
    )


@bp.get("/outbox/<int:message_id>")
@roles_required(Role.OPERATIONS)
def show(message_id: int):
    message = db.session.get(OutboundMessage, message_id)
    if message is None:
        abort(404)
    return render_template("outbox/show.html", message=message)
