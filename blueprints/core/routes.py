from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from wtforms import HiddenField, SelectField

from app.transactions import commit
from app.extensions import db, limiter
from app.models import Role
from blueprints.forms import LANGUAGE_CHOICES

bp = Blueprint("core", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(choices=LANGUAGE_CHOICES)
    next = HiddenField()


@bp.app_context_processor
def language_form():
    if not has_request_context():  # messages rendered by a worker have no page around them
        return {}
    return {"language_form": LanguageForm(formdata=None)}


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    if current_user.role is Role.TOURIST:
        return redirect(url_for("journey.index"))
    if current_user.role is Role.OPERATIONS:
        return redirect(url_for("ops.flights"))
    return redirect(url_for("catalog.index"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    target = form.next.data or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.index")
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            commit()
    return redirect(target)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The database's and the broker's state, for load balancers and monitoring."""
    checks: dict[str, str] = {}
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        checks["database"] = "unavailable"
    checks["broker"] = _broker_state()
    healthy = all(v == "ok" for v in checks.values())
    body = {
        "status": "ok" if healthy else "degraded",
        **checks,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return jsonify(body), 200 if healthy else 503


def _broker_state() -> str:
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        return "ok"
    try:
        with celery.pool.acquire(block=True, timeout=2) as conn:
            # No retry: kombu sleeps 2 s before a retry, so a refused connection took 2 s.
            conn.ensure_connection(max_retries=0, timeout=2)
        return "ok"
    except Exception:  # noqa: BLE001
        return "unavailable"


@bp.app_template_global()
def current_path() -> str:
    return request.full_path.rstrip("?")
