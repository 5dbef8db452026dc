from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import limiter
from app.models import Role, normalise_email
from app.services import accounts
from app.transactions import commit
from blueprints.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from blueprints.forms import save

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_account_key() -> str:
    return "login:" + normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count against the limits; a success redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
    key_func=_login_account_key, deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session on every login (no fixation)
            login_user(user)
            session["language"] = user.language
            return redirect(_safe_next(request.args.get("next")) or url_for("core.index"))
        form.password.errors.append(_("The email address or password is wrong."))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignupForm()
    if request.method == "GET":
        form.language.data = session.get("language") or request.accept_languages.best_match(
            list(current_app.config["LANGUAGES"])
        ) or "en"
    if form.validate_on_submit():
        saved, user = save(form, lambda: accounts.create_user(
            email=form.email.data, name=form.name.data, password=form.password.data,
            role=Role.TOURIST, phone=form.phone.data, date_of_birth=form.date_of_birth.data,
            language=form.language.data, timezone=form.timezone.data,
        ))
        if saved:
            session.clear()
            login_user(user)
            flash(_("Welcome aboard, %(name)s. Find a flight to begin.", name=user.name), "success")
            return redirect(url_for("catalog.index"))
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        commit()
        flash(_("If an account uses this address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 200 if request.method == "GET" else 422


_RESET_TOKEN = "password_reset_token"


def _dead_link():
    session.pop(_RESET_TOKEN, None)
    flash(_("This link has expired or was already used. Ask for a new one."), "error")
    return redirect(url_for("auth.forgot_password"))


@bp.get("/password/reset/<token>")
def reset_link(token: str):
    """The emailed link. The token moves into the session at once, so the form's address (and
    any log, browser history or Referer header) never carries it."""
    if accounts.user_for_reset_token(token) is None:
        return _dead_link()
    session[_RESET_TOKEN] = token
    return redirect(url_for("auth.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    token = session.get(_RESET_TOKEN)
    user = accounts.user_for_reset_token(token) if token else None
    if user is None:
        return _dead_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        saved, _nothing = save(form, lambda: accounts.reset_password(user, form.password.data))
        if saved:
            logout_user()
            session.clear()
            flash(_("Your password has been changed. You can log in now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit() and save(form, lambda: accounts.update_profile(
        current_user, name=form.name.data, phone=form.phone.data,
        language=form.language.data, timezone=form.timezone.data,
    ))[0]:
        session["language"] = form.language.data
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form), 200 if request.method == "GET" else 422
