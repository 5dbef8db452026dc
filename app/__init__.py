"""Countdown: the app factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import domains, i18n
from app import models as _models  # noqa: F401  (registers every table)
from app import personal_data
from app.accounts.accounts import SESSION_KEY, session_user
from app.config import BASE_DIR, load_config
from app.crypto import init_crypto
from app.extensions import babel, csrf, db, htmx, login_manager, mail, migrate
from app.i18n import lazy_gettext as _l
from app.models.types import render_item
from app.providers.messaging import init_providers
from app.providers.payments import init_payments
from app.transactions import configure_sqlite, drop_closed_connections, keep_prepared_statements
from app.web import init_converters, init_web

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Flask:
    """Create the app from the environment (or ``env``), with ``config`` overriding single keys."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.update(load_config(env))
    if config:
        app.config.update(config)
    app.session_interface = SessionCookies()
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True,
        compare_type=True, render_item=render_item,
    )
    csrf.init_app(app)
    htmx.init_app(app)
    mail.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=select_timezone,
        default_translation_directories=str(BASE_DIR / "translations"),
    )
    i18n.install(app.jinja_env)
    _init_login(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        elif db.engine.dialect.name == "postgresql":
            keep_prepared_statements(db.engine)
            drop_closed_connections(db.engine)

    init_crypto(app)
    init_providers(app)
    init_payments(app)
    domains.load()  # every domain registers its gates, reminder rules, categories and receivers
    personal_data.check_periods(app.config["RETENTION_DAYS"])

    # The worker, the pages and the commands sit above the app package and import its modules, so
    # the factory imports them when it runs (Flask's usual pattern), not when ``app`` loads.
    from app.cli import register_cli
    from blueprints import register_blueprints
    from worker.bind import celery_init_app

    celery_init_app(app)
    init_converters(app)  # before the blueprints: their URL rules use the converters
    register_blueprints(app)
    register_cli(app)
    init_web(app)
    return app


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, unchanged, but its serializer is made once per secret key
    (and fallback keys) instead of twice a request: it holds only its settings, and making one
    serialises a test value to learn what kind of serializer it is."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            if len(self._serializers) > 8:  # keys changed under a running app (tests do): start again
                self._serializers.clear()
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = list(current_app.config["LANGUAGES"])
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return g.get("timezone") or "UTC"


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.auth.login"
    login_manager.session_protection = "basic"

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The session cookie names the user and carries the token of an open log-in session:
        # a cookie copied before logging out (or before "log out of all other devices", or a
        # password change) names a session that has ended, and opens nothing.
        raw_id, _, fingerprint = user_id.partition(":")
        if not raw_id.isdigit() or len(raw_id) > 18:
            return None
        user = session_user(int(raw_id), session.get(SESSION_KEY))
        if user is None or user.password_hash[-12:] != fingerprint:
            return None
        return user
