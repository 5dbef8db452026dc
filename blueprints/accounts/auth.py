"""Everyone's account: sign up, log in and out, reset a forgotten password, the account page
(profile, devices signed in)."""

from __future__ import annotations

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
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from app import throttle
from app.accounts import accounts
from app.accounts import phones as phone_proof
from app.errors import ServiceError
from app.models import Role, normalise_email
from app.training import calendar as training_calendar
from app.transactions import commit, rollback
from app.urls import external_url, safe_next
from blueprints.accounts.forms import (
    EndSessionsForm,
    ForgotPasswordForm,
    LoginForm,
    PhoneCodeForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from blueprints.forms import ActionForm, save

bp = Blueprint("auth", __name__)


def _client_key() -> str:
    return request.remote_addr or "unknown"


def _too_many():
    return render_template(
        "errors/error.html", code=429, title=_("Too many attempts"),
        message=_("Too many attempts in a short time. Please wait a few minutes and try again."),
    ), 429


def _log_in(user) -> None:
    """A fresh session on every log-in (no fixation), tied to an open session row."""
    session.clear()
    session[accounts.SESSION_KEY] = accounts.open_session(user, request.user_agent.string)
    login_user(user)
    session["language"] = user.language


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # Each attempt is counted before the password is checked, per address and per account,
        # in the database (every process shares the count); a log-in that succeeds is not kept.
        config = current_app.config
        by_address = throttle.take("login-ip:" + _client_key(), config["LOGIN_LIMIT_PER_IP"])
        by_account = throttle.take("login:" + normalise_email(form.email.data or ""),
                                   config["LOGIN_LIMIT_PER_ACCOUNT"]) if by_address is not None else None
        if by_address is None or by_account is None:
            throttle.release(by_address, by_account)
            return _too_many()
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            throttle.release(by_address, by_account)
            _log_in(user)
            commit()
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
        form.password.errors.append(_("The email address or password is wrong."))
    return render_template("accounts/auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
def logout():
    accounts.end_session(session.get(accounts.SESSION_KEY))
    commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.auth.login"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    form = EndSessionsForm()
    if form.validate_on_submit():
        ended = accounts.end_sessions(current_user, keep=session.get(accounts.SESSION_KEY))
        commit()
        flash(ngettext("You are logged out of %(num)d other device.",
                       "You are logged out of %(num)d other devices.", ended), "success")
    return redirect(url_for("accounts.auth.account"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignupForm()
    if request.method == "GET":
        form.language.data = session.get("language") or request.accept_languages.best_match(
            list(current_app.config["LANGUAGES"])
        ) or "en"
    if form.validate_on_submit():
        if throttle.take("signup:" + _client_key(), "20 per hour") is None:
            return _too_many()
        saved, user = save(form, lambda: accounts.create_user(
            email=form.email.data, name=form.name.data, password=form.password.data,
            role=Role.TOURIST, phone=form.phone.data, date_of_birth=form.date_of_birth.data,
            language=form.language.data, timezone=form.timezone.data,
        ))
        if saved:
            _log_in(user)
            commit()
            flash(_("Welcome aboard, %(name)s. Find a flight to begin.", name=user.name), "success")
            return redirect(url_for("booking.catalog.index"))
    return render_template("accounts/auth/signup.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if throttle.take("forgot:" + _client_key(), "10 per hour") is None:
            return _too_many()
        accounts.request_password_reset(form.email.data)
        commit()
        flash(_("If an account uses this address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("accounts.auth.login"))
    return render_template("accounts/auth/forgot.html", form=form), 200 if request.method == "GET" else 422


_RESET_TOKEN = "password_reset_token"


def _dead_link():
    session.pop(_RESET_TOKEN, None)
    flash(_("This link has expired or was already used. Ask for a new one."), "error")
    return redirect(url_for("accounts.auth.forgot_password"))


@bp.get("/password/reset/<token>")
def reset_link(token: str):
    """The emailed link. The token moves into the session at once, so the form's address (and
    any log, browser history or Referer header) never carries it."""
    if accounts.user_for_reset_token(token) is None:
        return _dead_link()
    session[_RESET_TOKEN] = token
    return redirect(url_for("accounts.auth.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    token = session.get(_RESET_TOKEN)
    user = accounts.user_for_reset_token(token) if token else None
    if user is None:
        return _dead_link()
    form = ResetPasswordForm()
    form.user = user
    if form.validate_on_submit():
        saved, _nothing = save(form, lambda: accounts.reset_password(user, form.password.data))
        if saved:
            logout_user()
            session.clear()
            flash(_("Your password has been changed. You can log in now."), "success")
            return redirect(url_for("accounts.auth.login"))
    return render_template("accounts/auth/reset.html", form=form), 200 if request.method == "GET" else 422


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
        return redirect(url_for("accounts.auth.account"))
    return _account_page(form, None)


def _account_page(form: ProfileForm, code_form: PhoneCodeForm | None):
    return render_template(
        "accounts/auth/account.html", form=form, end_sessions_form=EndSessionsForm(),
        other_devices=accounts.other_devices(current_user, session.get(accounts.SESSION_KEY)),
        device_name=accounts.device_name, calendar=_calendar_feed(), send_code_form=ActionForm(formdata=None),
        code_form=code_form or PhoneCodeForm(formdata=None),
    ), 200 if request.method == "GET" else 422


@bp.post("/account/phone/code")
@login_required
def send_phone_code():
    """Text a code to the user's number, to prove it is theirs."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        sent = phone_proof.send_code(current_user)
        commit()
    except ServiceError as exc:
        rollback()
        flash(exc.message, "error")
    else:
        flash(_("We sent a code to %(phone)s. Type it below.", phone=current_user.phone) if sent else
              _("We sent you a code a moment ago; it still holds. Type it below."), "success")
    return redirect(url_for("accounts.auth.account") + "#mobile")


@bp.post("/account/phone/verify")
@login_required
def verify_phone():
    form = PhoneCodeForm()
    if form.validate_on_submit() and save(form, lambda: phone_proof.verify(current_user, form.code.data))[0]:
        flash(_("Your number is verified. Text messages you send us from it reach your conversations."), "success")
        return redirect(url_for("accounts.auth.account") + "#mobile")
    return _account_page(ProfileForm(obj=current_user), form)


def _calendar_feed() -> dict | None:
    """The user's private calendar address (tourists and instructors, who have sessions)."""
    if current_user.role not in (Role.TOURIST, Role.INSTRUCTOR):
        return None
    feed = training_calendar.current_feed(current_user)
    url = external_url("training.feeds.feed", token=training_calendar.token(feed)) if feed else None
    return {"url": url, "form": ActionForm(formdata=None)}
