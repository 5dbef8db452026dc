"""The rows of operations' privacy page in Python: two lists of requests (twenty rows each) whose
cells are a date, a name and a label each, with a Jinja filter or a translation per cell. The same
HTML as the template wrote; a translation is used as the templates' ``_()`` uses it (as markup, its
values escaped)."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask_babel import format_decimal
from markupsafe import Markup, escape

from app.formats import on_day, when
from app.i18n import gettext
from app.privacy.erasure import Answered, Pending


def pending_rows(pending: list[Pending], live_now: dict[int, str], request_url: Callable[[int], str],
                 now: datetime, answer: str) -> Markup:
    """A row per request to answer: the tourist, when they asked, the day to answer by (overdue
    marked), their live bookings (``live_now``, written once per count) and the link to answer
    (``answer``: its word, read once per page)."""
    answer = escape(answer)
    overdue_text = Markup(gettext("Overdue: %(date)s"))
    rows = []
    for req in pending:
        name = escape(req.name)
        due = on_day(req.due_at, "long")
        overdue = req.due_at <= now
        due_cell = (f'<strong class="badge danger">{overdue_text % {"date": due}}</strong>' if overdue
                    else escape(due))
        rows.append(
            f'\n      <tr class="privacy-request{" overdue" if overdue else ""}">'
            f'\n        <td>{name}<br><small class="muted">{escape(req.email)}</small></td>'
            f'\n        <td>{escape(when(req.requested_at, "medium"))}</td>'
            f'\n        <td>{due_cell}</td>'
            f'\n        <td>{escape(live_now[req.user_id])}</td>'
            f'\n        <td><a href="{escape(request_url(req.id))}">{answer}<span class="visually-hidden"> ({name})'
            f'</span></a></td>\n      </tr>\n    ')
    return Markup("".join(rows))


def _number(value) -> str:
    """The templates' ``number`` filter."""
    return format_decimal(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def answered_rows(answered: list[Answered], erasure_states: dict, request_url: Callable[[int], str],
                  nothing: str) -> Markup:
    """A row per answered request: the tourist, the state (a refusal with its reason), when and by
    whom, and what was kept under which rule (``nothing``: the word for a done erasure that kept
    nothing, read once per page)."""
    nothing = escape(nothing)
    rows = []
    for req in answered:
        refused = f"<br><small>{escape(req.decision_reason)}</small>" if req.state.value == "refused" else ""
        if req.decided_at:
            by = f" · {escape(req.decided_by)}" if req.decided_by is not None else ""
            decided = f"{escape(when(req.decided_at, 'medium'))}{by}"
        else:
            decided = "—"
        if req.kept:
            items = "".join(f"<li>{escape(_number(count))} {Markup(gettext(what)) % {}}: "
                            f"{escape(str(rule.title) if rule else what)}</li>" for rule, what, count in req.kept)
            kept = f'<ul class="compact">{items}</ul>'
        else:
            kept = nothing if req.state.value == "done" else "—"
        rows.append(
            f'\n      <tr>\n        <td><a href="{escape(request_url(req.id))}">{escape(req.name)}</a></td>'
            f'\n        <td>{escape(erasure_states[req.state])}{refused}</td>'
            f'\n        <td>{decided}</td>\n        <td>{kept}</td>\n      </tr>\n    ')
    return Markup("".join(rows))


def register(bp) -> None:
    bp.add_app_template_global(pending_rows, "privacy_pending_rows")
    bp.add_app_template_global(answered_rows, "privacy_answered_rows")
