"""Private calendar feeds: the address a calendar app subscribes to (no login: the secret in the
address is the key), and the account page's buttons that make a new address or turn it off."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.models import Role
from app.training import calendar
from app.transactions import commit
from blueprints.access import roles_required
from blueprints.forms import ActionForm

bp = Blueprint("feeds", __name__)
with_sessions = roles_required(Role.TOURIST, Role.INSTRUCTOR)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    found = calendar.feed_for_token(token[:80])
    if found is None:
        abort(404)
    user = found.user
    if user is None or not user.active:
        abort(404)
    with force_locale(user.language):  # the calendar's name in its owner's language
        name = _("Countdown training")
    body = calendar.feed_ics(user, name)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="countdown-training.ics"',
        "Cache-Control": "private, max-age=300",
    })


@bp.post("/account/calendar")
@with_sessions
def new_feed():
    if not ActionForm().validate_on_submit():
        abort(400)
    had = calendar.current_feed(current_user) is not None
    calendar.new_feed(current_user)
    commit()
    flash(_("Your calendar has a new address: the old one no longer works.") if had
          else _("Your calendar address is ready: add it to your calendar app."), "success")
    return redirect(url_for("accounts.auth.account", _anchor="calendar"))


@bp.post("/account/calendar/revoke")
@with_sessions
def revoke():
    if not ActionForm().validate_on_submit():
        abort(400)
    calendar.revoke(current_user)
    commit()
    flash(_("Your calendar address is turned off. Calendar apps that used it get nothing more."), "success")
    return redirect(url_for("accounts.auth.account", _anchor="calendar"))
