"""Absolute links for messages, in a request or in a Celery task (where there is no request)."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote, urlsplit

from flask import current_app, url_for
from flask.globals import _cv_request  # what has_request_context() and the ``request`` proxy read
from werkzeug.routing import BuildError


def external_url(endpoint: str, **values) -> str:
    """An absolute link, always built from ``BASE_URL``: the web process and the worker write the
    same links, and a request's Host header never decides where a link (a password reset) leads."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, url_scheme=base.scheme or "http", script_name=base.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)


_TEXT_MARK = "countdown-url-mark"
_NUMBER_MARK = 2147483646  # within every <int:...> of this app (app.web.BoundedIntConverter)


def url_maker(endpoint: str, key: str, /, **values) -> Callable[[Any], str]:
    """``url_for(endpoint, key=v, **values)`` for many ``v``: the route is looked up once and each
    value put in its place, quoted as Werkzeug quotes a path segment; a table's link per row
    without a route lookup per row. ``v`` must be what the route takes (a reference, an id)."""
    for mark in (_TEXT_MARK, _NUMBER_MARK):
        try:
            head, found, tail = url_for(endpoint, **values, **{key: mark}).partition(str(mark))
        except (BuildError, ValueError):
            continue
        if found and "?" not in head:  # in the path, not a query argument
            return _segment_maker(head, tail)
    raise BuildError(endpoint, {key: None, **values}, None)


_SEGMENT_SAFE = "!$&'()*+,/:;=@"  # besides letters, digits and "_.-~", which quote() never quotes


def _segment_maker(head: str, tail: str) -> Callable[[Any], str]:
    def make(value: Any) -> str:
        # A number, or a text of ASCII letters, digits and "-" (a booking's reference), is what
        # quote() would give back as it is: only other text goes through it (a table's hundreds
        # of links each paid quote()'s encoding and decoding for nothing).
        if type(value) is int:
            return head + str(value) + tail
        text = str(value)
        if text.isascii() and text.replace("-", "").isalnum():
            return head + text + tail
        return head + quote(text, safe=_SEGMENT_SAFE) + tail
    return make


_MAKERS: dict[tuple, Callable[[Any], str]] = {}


def link(endpoint: str, key: str, value: Any, /, **values: Any) -> str:
    """``url_for(endpoint, **{key: value}, **values)`` for a value that changes from row to row (a
    booking's reference in a table of bookings): in a request, the route is looked up once per
    process and site root (:func:`url_maker`'s, kept), not once per row. ``key`` must be in the
    route's path, not its query string."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return url_for(endpoint, **{key: value}, **values)
    cache_key = (endpoint, key, ctx.request.script_root, tuple(sorted(values.items())) if values else ())
    maker = _MAKERS.get(cache_key)
    if maker is None:
        if len(_MAKERS) > 1024:  # values that vary widely would otherwise fill it
            _MAKERS.clear()
        maker = _MAKERS[cache_key] = url_maker(endpoint, key, **values)
    return maker(value)


def same_link(endpoint: str, /, **values: Any) -> str:
    """``url_for(endpoint, **values)`` built once per request: a link that every row of a table
    repeats (the flight's training page on each of its 80 bookings)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return url_for(endpoint, **values)
    # Kept on the request, not in ``g``: an app context (a test's, a task's) may span requests.
    memo = ctx.request.__dict__.setdefault("_countdown_links", {})
    cache_key = (endpoint, tuple(sorted(values.items())))
    url = memo.get(cache_key)
    if url is None:
        url = memo[cache_key] = url_for(endpoint, **values)
    return url


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None``: the one check for every ``next``.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    ``/\\t/evil.example`` and ``/\\\\evil.example`` both lead to another site; any control
    character or backslash is refused, and what is left must be a path without a host."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
