"""Request-level behaviour shared by every page: rendering, filters, headers and error pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from flask import Flask, Request as FlaskRequest, current_app, render_template, request, session
from flask_babel import format_decimal, format_percent
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from app import labels
from app.extensions import htmx
from app.formats import clock, iso, on_day, when
from app.i18n import FormMessages, current, translated
from app.i18n import lazy_gettext as _l
from app.models import MessageStatus, Role
from app.money import format_money
from app.transactions import rollback
from app.urls import external_url, url_maker


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page (not a history restore)."""
    return bool(htmx) and not htmx.history_restore_request


MAX_PAGE = 100_000
MAX_INT = 2**31 - 1  # the largest id or count a column holds on every database


def page_arg(name: str = "page") -> int:
    """A page number from the query string: a whole number from 1 to ``MAX_PAGE``. Anything else
    (text, a number beyond 64 bits, a negative) is page 1 or the last page: a list page never
    fails on its pager, and a page past the end shows the end."""
    raw = request.args.get(name, "")
    digits = raw.isascii() and raw.isdigit()  # "²" is a digit to str.isdigit, not to int()
    if not digits or len(raw) > 12:
        return MAX_PAGE if digits else 1
    return min(max(int(raw), 1), MAX_PAGE)


def render_page(template: str, fragment: str | None = None, **context):
    """One URL, two renderings: the whole page, or only its fragment for htmx."""
    if fragment is not None and wants_fragment():
        return render_template(fragment, **context)
    return render_template(template, **context)


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` up to the largest id a column holds: a longer number is simply not found
    (404), instead of reaching the database and failing there."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def init_converters(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` in a URL is bounded."""
    app.url_map.converters["int"] = BoundedIntConverter


def _has_nul(data) -> bool:
    """Any key or value of a MultiDict (every value, not only the first of each key)."""
    return any("\x00" in key or "\x00" in value for key, value in data.items(multi=True))


#: Set on every response unless its view set the header already (Strict-Transport-Security in production only).
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", 'camera=(), microphone=(), geolocation=(), usb=(), payment=(self "https://js.stripe.com")'),
)

_NAV: dict[tuple, Markup] = {}
_NAV_MAX = 4096  # roles x pages x languages in use; emptied whole if ever exceeded


def nav_once(role, render: Callable[[], Markup]) -> Markup:
    """The main navigation's links for ``role`` on this page, in this language (of this app): written
    once per process (they depend on nothing else: no user's data, no token), then reused.
    ``render`` is the template's macro that writes them."""
    key = (id(current_app._get_current_object()), role, request.endpoint, current().name, request.script_root)
    html = _NAV.get(key)
    if html is None:
        if len(_NAV) >= _NAV_MAX:
            _NAV.clear()
        html = _NAV[key] = Markup(render())
    return html


class Request(FlaskRequest):
    """Flask's request, with WTForms' messages in the language in force for Flask-WTF, loaded once
    per language and process (:class:`app.i18n.FormMessages`) instead of once per request."""

    wtforms_translations = FormMessages()


def init_web(app: Flask) -> None:
    app.request_class = Request

    @app.before_request
    def refuse_nul_characters():
        """No text field, query string or path may carry a NUL character: databases refuse it
        (PostgreSQL), and no person types one. Refused before any view runs, so nothing changes."""
        if "\x00" in request.path or _has_nul(request.args) or (
            request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _has_nul(request.form)
        ):
            rollback()
            return render_template(
                "errors/error.html", code=400, title=_l("Bad request"),
                message=_l("Something you sent contains a character that cannot be stored (a NUL "
                           "character). Remove it and try again; nothing was changed."),
            ), 400

    @app.template_filter("money")
    def money_filter(amount_minor: int, currency: str) -> str:
        return format_money(amount_minor, currency, current().name)

    @app.template_filter("dt")
    def datetime_filter(value: datetime | None, fmt: str = "medium", zone: str | None = None) -> str:
        return when(value, fmt, zone)

    app.add_template_filter(clock, "clock")
    app.add_template_filter(translated, "translated")

    @app.template_filter("percent")
    def percent_filter(value: float) -> str:
        return format_percent(value)

    @app.template_filter("d")
    def date_filter(value, fmt: str = "medium") -> str:
        """A date (or a datetime, or an ISO 8601 date as answers store it) in the user's language."""
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value
        return on_day(value, fmt)

    app.add_template_filter(iso, "iso")

    @app.template_filter("number")
    def number_filter(value) -> str:
        """A number in the user's language (1.5 or 1,5)."""
        return format_decimal(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)

    @app.context_processor
    def inject_globals():
        return {
            "languages": current_app.config["LANGUAGES"],
            "current_locale": current().name,
            "current_timezone": str(current().timezone),
            "Role": Role,
            "role_labels": labels.ROLES,
        }

    headers_by_key = tuple((key.lower(), key, value) for key, value in SECURITY_HEADERS)

    @app.after_request
    def headers(response):
        response.vary.add("HX-Request")
        # Each header unless the view set it already (one look at the response's headers, not one
        # per header), in this order.
        present = {key.lower() for key, _value in response.headers.items()}
        # Production is served over HTTPS only (check_production); browsers keep to it.
        if current_app.config["COUNTDOWN_ENV"] != "production":
            present.add("strict-transport-security")
        for lowered, key, value in headers_by_key:
            if lowered not in present:
                response.headers.add(key, value)
        # A signed-in browser's pages are never stored. The session says so without loading the
        # user again (a commit during the request expires it).
        if session.get("_user_id") and "cache-control" not in present:
            response.headers.add("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def discard_uncommitted(exc):
        if exc is not None:
            rollback()

    def error_page(code: int, title, message):
        def handler(error):
            rollback()
            return render_template("errors/error.html", code=code, title=title, message=message), code
        return handler

    app.register_error_handler(400, error_page(400, _l("Bad request"), _l("The form could not be read. Please go back and try again.")))
    app.register_error_handler(403, error_page(403, _l("Not allowed"), _l("Your account cannot open this page.")))
    app.register_error_handler(404, error_page(404, _l("Not found"), _l("There is nothing at this address.")))
    app.register_error_handler(405, error_page(405, _l("Not available this way"), _l("This address only answers a form. Go back to the page you came from and use its buttons.")))
    app.register_error_handler(429, error_page(429, _l("Too many attempts"), _l("Too many attempts in a short time. Please wait a few minutes and try again.")))
    app.register_error_handler(500, error_page(500, _l("Something went wrong"), _l("We could not finish this request, and nothing was changed. Please try again.")))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        rollback()
        return render_template(
            "errors/error.html", code=400, title=_l("Form expired"),
            message=_l("This form has expired or was sent from another site. Please reload the page and try again."),
        ), 400

    app.jinja_env.globals["wants_fragment"] = wants_fragment
    app.jinja_env.globals["external_url"] = external_url  # from BASE_URL, never the Host header
    app.jinja_env.globals["url_maker"] = url_maker  # a link per row of a table, the route looked up once
    app.jinja_env.globals["labels"] = labels  # globals reach imported macros too
    app.jinja_env.globals["nav_once"] = nav_once
    app.jinja_env.globals["MessageStatus"] = MessageStatus
    app.jinja_env.add_extension("jinja2.ext.do")
