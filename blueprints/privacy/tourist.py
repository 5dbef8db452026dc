"""The tourist's privacy page: download everything we hold about them, ask for erasure (after
seeing what it would mean), and what we keep and why."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import personal_data
from app.errors import ServiceError
from app.models import Role
from app.privacy import erasure, exports, labels
from app.privacy import retention as retention_service
from app.timeutil import now_utc
from app.transactions import commit, rollback
from blueprints.access import roles_required
from blueprints.forms import ActionForm, attempt, form_status, save
from blueprints.privacy.forms import ErasureForm

bp = Blueprint("tourist", __name__, url_prefix="/account/privacy")
tourists_only = roles_required(Role.TOURIST)


@bp.get("")
@tourists_only
def page():
    export = exports.latest(current_user)
    return render_template(
        "privacy/tourist/page.html", export=export, export_token=exports.token(export) if export else "",
        export_states=labels.EXPORT_STATES, request_=erasure.latest(current_user),
        rules=personal_data.rules(), periods={p.retention.key: p for p in retention_service.periods()},
        action_form=ActionForm(formdata=None), now=now_utc(),
    )


@bp.get("/erasure")
@tourists_only
def erasure_page():
    return _erasure_page(ErasureForm(formdata=None))


def _erasure_page(form: ErasureForm):
    """What erasure would mean for the tourist today, and the request's form."""
    facts = erasure.facts_about(current_user)  # whether a request is open, among the preview's facts
    if request.method == "GET" and facts["privacy"]["open_request"]:
        return redirect(url_for("privacy.tourist.page") + "#erasure")
    return render_template(
        "privacy/tourist/erasure.html", preview=erasure.preview(current_user, facts), rules=personal_data.rules(),
        form=form,
    ), form_status()


@bp.post("/export")
@tourists_only
def request_export():
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    else:
        attempt(lambda: exports.request_export(current_user),
                _("We are preparing your data export. We will tell you when it is ready; it takes a few minutes."))
    return redirect(url_for("privacy.tourist.page") + "#export")


@bp.get("/exports/<int:export_id>/<token>")
@tourists_only
def download(export_id: int, token: str):
    if exports.owner_of(export_id) != current_user.id:
        abort(404)
    try:
        export, content = exports.download(current_user, export_id, token)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
        return redirect(url_for("privacy.tourist.page") + "#export")
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="countdown-data-{export.ready_at:%Y-%m-%d}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/erasure")
@tourists_only
def request_erasure():
    form = ErasureForm()
    if form.validate_on_submit() and save(form, lambda: erasure.request_erasure(
            current_user, form.reason.data or "", bool(form.agree.data)))[0]:
        flash(_("We have your request. Operations will answer it by the date shown."), "success")
        return redirect(url_for("privacy.tourist.page") + "#erasure")
    return _erasure_page(form)


@bp.post("/erasure/<int:request_id>/withdraw")
@tourists_only
def withdraw(request_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    else:
        attempt(lambda: erasure.withdraw(current_user, request_id), _("Your request is withdrawn; nothing is erased."))
    return redirect(url_for("privacy.tourist.page") + "#erasure")


