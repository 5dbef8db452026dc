from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from wtforms import HiddenField, SelectField

from app.extensions import db
from app.health import broker_reachable
from app.models import Role
from app.transactions import commit
from app.urls import safe_next
from blueprints.forms import LANGUAGE_CHOICES

bp = Blueprint("core", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(choices=LANGUAGE_CHOICES)
    next = HiddenField()


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("booking.catalog.index"))
    if current_user.role is Role.TOURIST:
        return redirect(url_for("journey.index"))
    if current_user.role is Role.OPERATIONS:
        return redirect(url_for("booking.operations.flights"))
    if current_user.role is Role.MEDICAL:
        return redirect(url_for("medical.staff.queue"))
    if current_user.role is Role.LOGISTICS:
        return redirect(url_for("travel.logistics.today"))
    if current_user.role is Role.INSTRUCTOR:
        return redirect(url_for("training.instructor.roster"))
    return redirect(url_for("booking.catalog.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: send them to the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("core.index")
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            commit()
    return redirect(target)


@bp.get("/healthz")
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
    return "ok" if broker_reachable(celery) else "unavailable"


@bp.app_template_global()
def current_path() -> str:
    """Where the language picker brings the reader back to: this page, or, on the answer to a
    form (a POST, which cannot be opened again), the page the form was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("core.index")
