"""Operations' privacy pages: erasure requests to answer by their due dates, what each erasure
kept and under which rule, the retention periods (with a run by hand), and the log of every
export, erasure and retention run."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from app.privacy import erasure, labels, log
from app.privacy import retention as retention_service
from app.timeutil import now_utc
from app.transactions import after_commit
from app.urls import url_maker
from blueprints.access import ops_only
from blueprints.forms import ActionForm, attempt, form_status, save
from blueprints.privacy.forms import ConfirmForm, RefuseForm

bp = Blueprint("operations", __name__, url_prefix="/ops/privacy")


@bp.get("")
@ops_only
def index():
    pending = erasure.pending()
    # Each count written once (Babel's number formatting is slow, and most counts are 0 to 3).
    numbers = {count: format_decimal(count) for count in {r.live for r in pending}}
    return render_template(
        "privacy/operations/index.html", pending=pending, answered=erasure.answered(),
        live_now={r.user_id: numbers[r.live] for r in pending},
        # Each label translated once, and the rows' links without a route lookup each.
        erasure_states={state: str(label) for state, label in labels.ERASURE_STATES.items()},
        request_url=url_maker("privacy.operations.request_page", "request_id"),
        periods=retention_service.periods(), runs=retention_service.recent_runs(), now=now_utc(),
        action_form=ActionForm(formdata=None),
    )


def _request_or_404(request_id: int):
    found = erasure.get(request_id)
    if found is None:
        abort(404)
    return found


@bp.get("/erasure/<int:request_id>")
@ops_only
def request_page(request_id: int):
    return _request_page(_request_or_404(request_id), ConfirmForm(formdata=None), RefuseForm(formdata=None))


def _request_page(found, confirm_form: ConfirmForm, refuse_form: RefuseForm):
    """One request: who asked, when, why, what is live now; confirm or refuse it."""
    return render_template(
        "privacy/operations/request.html", req=found, live=erasure.live_bookings([found.user_id]).get(found.user_id, 0),
        erasure_states=labels.ERASURE_STATES, confirm_form=confirm_form, refuse_form=refuse_form, now=now_utc(),
        kept_by_rule=erasure.kept_by_rule,
    ), form_status()


@bp.post("/erasure/<int:request_id>/confirm")
@ops_only
def confirm(request_id: int):
    found = _request_or_404(request_id)
    form = ConfirmForm()
    if form.validate_on_submit() and save(form, lambda: erasure.confirm(request_id, current_user, form.note.data))[0]:
        flash(_("Confirmed. The tourist's data is being erased; the log shows what was kept and why."), "success")
        return redirect(url_for("privacy.operations.index"))
    return _request_page(found, form, RefuseForm(formdata=None))


@bp.post("/erasure/<int:request_id>/refuse")
@ops_only
def refuse(request_id: int):
    found = _request_or_404(request_id)
    form = RefuseForm()
    if form.validate_on_submit() and save(form, lambda: erasure.refuse(request_id, current_user, form.reason.data))[0]:
        flash(_("Refused. The tourist is told your reason."), "success")
        return redirect(url_for("privacy.operations.index"))
    return _request_page(found, ConfirmForm(formdata=None), form)


@bp.post("/retention/run")
@ops_only
def run_retention():
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt(lambda: after_commit(retention_service.RUN_TASK, current_user.id),
            _("Retention is running. The log shows what it removed."))
    return redirect(url_for("privacy.operations.index") + "#retention")


@bp.get("/log")
@ops_only
def history():
    entries, pages = log.page(request.args.get("page", 1, type=int))
    return render_template("privacy/operations/log.html", entries=entries, pages=pages,
                           page=min(max(1, request.args.get("page", 1, type=int)), pages), kinds=labels.LOG_KINDS)
