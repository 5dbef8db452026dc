"""The notification centre (in-app notifications, the unread badge) and notification preferences."""

from __future__ import annotations

import phonenumbers
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import accounts
from app.extensions import login_manager
from app.messaging import inbox
from app.messaging import preferences as prefs_service
from app.models import Channel
from app.transactions import commit
from app.web import page_arg, render_page, wants_fragment
from blueprints.forms import ActionForm, save
from blueprints.messages.forms import preferences_form

bp = Blueprint("inbox", __name__)


CHANGED = "notifications-changed"   # the event the unread badge listens for


def _page_arg() -> int:
    return page_arg()


def _list_context(page: int) -> dict:
    results = inbox.page_of(current_user, page)
    return {"results": results, "items": results.items}


@bp.get("/notifications")
@login_required
def index():
    return render_page("messages/inbox/index.html", "messages/inbox/_list.html", **_list_context(_page_arg()))


@bp.get("/notifications/unread")
def unread():
    """The badge in the header, loaded by htmx: one COUNT query."""
    if not current_user.is_authenticated:
        # A badge polling after the session ended must not swap the login page into the header.
        return ("", 204) if wants_fragment() else login_manager.unauthorized()
    return render_template("messages/inbox/_badge.html", count=inbox.unread_count(current_user))


def _changed(response):
    response.headers["HX-Trigger"] = CHANGED
    return response


@bp.post("/notifications/<int:message_id>/read")
@login_required
def read(message_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    message = inbox.mark_read(current_user, message_id)
    if message is None:
        abort(404)
    commit()
    page = _page_arg()
    if wants_fragment():
        results = inbox.page_of(current_user, page)
        html = render_template("messages/inbox/_marked.html", n=message, results=results, page=page)
        return _changed(current_app.make_response(html))
    return redirect(url_for("messages.inbox.index", page=page if page > 1 else None, _anchor=f"notification-{message.id}"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    inbox.mark_all_read(current_user)
    commit()
    page = _page_arg()
    if wants_fragment():
        html = render_template("messages/inbox/_list.html", **_list_context(page), all_read=True)
        return _changed(current_app.make_response(html))
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("messages.inbox.index", page=page if page > 1 else None))


# -- preferences ------------------------------------------------------------------------------------

def _display_phone(phone: str | None) -> str:
    if not phone:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return phone


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    """What the user wants to hear about, on which channels, and when; linked from every email."""
    user = current_user._get_current_object()
    prefs = prefs_service.preferences_of(user)
    form = preferences_form(user, prefs)
    if form.validate_on_submit():
        language, timezone = form.language.data, form.timezone.data

        def apply() -> None:
            # The preferences first: a refusal then comes before the page's language changes.
            prefs_service.save_preferences(
                user, channels=form.chosen_channels(), quiet_enabled=form.quiet_enabled.data,
                quiet_starts=form.quiet_starts.data, quiet_ends=form.quiet_ends.data,
            )
            accounts.update_profile(user, name=user.name, phone=user.phone, language=language, timezone=timezone)

        saved, _nothing = save(form, apply)
        if saved:
            session["language"] = language
            with force_locale(language):
                flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("messages.inbox.preferences"))
    twilio_number = current_app.config.get("TWILIO_FROM_NUMBER") or ""
    return render_template(
        "messages/inbox/preferences.html", form=form, categories=prefs_service.CATEGORIES,
        channels=prefs_service.ALL_CHANNELS, Channel=Channel,
        opt_out=prefs_service.opted_out(user.phone), phone=_display_phone(user.phone),
        reply_to=_display_phone(twilio_number) if twilio_number.startswith("+") else twilio_number,
    ), 200 if request.method == "GET" else 422
