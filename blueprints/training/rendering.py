"""Training's long tables in Python: the rows of the instructor's roster (two weeks of sessions
hold a hundred and more participants) and the sessions a tourist can book (six per module, for
each module of each booking). A Jinja loop with a macro, a filter and a translation per cell was
the larger part of these pages (see ``blueprints/documents/rendering.py``). The same HTML as the
templates wrote; a translation is used as the templates' ``_()`` uses it (as markup, its values
escaped)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.formats import iso, when, when_in
from app.i18n import current
from app.i18n import markup as _
from app.i18n import nmarkup
from app.models import SessionStatus, TrainingModule, TrainingSession
from app import labels as app_labels
from app.training import labels
from app.training.progress import ModuleStatus
from app.training.sessions import OpenSession
from app.training.signoff import RosterRow, RosterSession
from app.urls import link


def roster_rows(people: list[RosterRow], cleared: dict[int, bool]) -> Markup:
    """A ``<tr>`` per participant: their name, cleared or not (the status only), their attendance
    and their result (with an exam's score)."""
    return _roster_row_writer(cleared)(people)


def _roster_row_writer(cleared: dict[int, bool]):
    """:func:`roster_rows` with its words and labels worked out once, for every table of a page."""
    # (Translations outside the f-strings: Babel's extraction does not look inside them.)
    cleared_text, not_yet_text, not_marked_text = _("Cleared"), _("Not cleared yet"), _("Not marked")
    done = f'<span class="badge badge-done">{cleared_text}</span>'
    not_yet = f'<span class="badge badge-action">{not_yet_text}</span>'
    not_marked = f'<span class="muted">{not_marked_text}</span>'
    attendance = {key: escape(str(label)) for key, label in labels.ATTENDANCE.items()}
    results = {key: escape(str(label)) for key, label in labels.RESULTS.items()}

    def write(people: list[RosterRow]) -> Markup:
        rows = []
        for p in people:
            result = ""
            if p.result:
                result = results[p.result] + (f" ({p.score} %)" if p.score is not None else "")
            rows.append(
                f'\n      <tr>\n        <th scope="row">{escape(p.name)}</th>\n'
                f"        <td>{done if cleared[p.id] else not_yet}</td>\n"
                f"        <td>{attendance[p.attendance] if p.attendance else not_marked}</td>\n"
                f"        <td>{result}</td>\n      </tr>\n      "
            )
        return Markup("".join(rows))
    return write


def roster_sections(sessions: list[RosterSession], cleared: dict[int, bool], thead: Markup, language: str) -> Markup:
    """The roster's ``<section>`` per session: its module, status, time, place and participants,
    their table (``thead``: the page's header) and the link to sign them off; the words and labels
    worked out once per page."""
    if not sessions:
        nothing = _("You have no sessions in this period. Operations assign sessions to you.")
        return Markup(f"\n<p>{nothing}</p>\n")
    sign_off, nobody = _("Sign off participants"), _("No one has booked a place yet.")
    cancelled = f'<span class="badge badge-blocked">{escape(str(labels.SESSION_STATUSES[SessionStatus.CANCELLED]))}</span>'
    rows = _roster_row_writer(cleared)
    parts = []
    for s in sessions:
        name, people = escape(s.module_name(language)), s.people
        count = nmarkup("%(num)d participant", "%(num)d participants", len(people))
        parts.append(
            f'\n\n<section class="roster-session" aria-labelledby="s-{s.id}">\n'
            f'  <h2 id="s-{s.id}">{name} {cancelled if s.cancelled else ""}</h2>\n'
            f"  <p>{session_time(s)} · {escape(s.place)} · {count} / {s.capacity}</p>\n  "
        )
        if people:
            parts.append(
                f'\n  <div class="table-wrap" role="region" tabindex="0" aria-labelledby="s-{s.id}">\n'
                f'  <table class="striped">\n    {thead}\n    <tbody>\n      {rows(people)}\n'
                f"    </tbody>\n  </table>\n  </div>\n  "
            )
        else:
            parts.append(f'\n  <p class="muted">{nobody}</p>\n  ')
        parts.append("\n  ")
        if people and not s.cancelled:
            at = escape(when(s.starts_at, "medium", s.timezone))
            url = escape(link("training.instructor.session", "session_id", s.id))
            parts.append(f'<p><a href="{url}" role="button" class="secondary">{sign_off}'
                         f'<span class="visually-hidden">: {name}, {at}</span></a></p>')
        parts.append("\n</section>\n")
    return Markup("".join(parts))


class _Page:
    """What one request's sessions share, worked out once: the language (``app.i18n.current()``),
    whether the reader is logged in and in which zone, the words of the rows, and each session's
    time and row as written (a session is offered under each booking that needs its module, and
    listed again where it is booked)."""

    __slots__ = ("i18n", "reader", "yours", "times", "rows", "row_words")

    def __init__(self):
        self.i18n = current()
        # Whether logged in, and in which zone: looked up once (a proxy each time).
        authenticated = current_user.is_authenticated
        self.reader = (authenticated, current_user.timezone if authenticated else None)
        # "your time: %(time)s" translated once, around the place of its time (escaped there, as
        # the translation's markup escapes its values).
        head, _marker, tail = str(_("your time: %(time)s", time=Markup("\x00"))).partition("\x00")
        self.yours = (f'\n  <small class="muted">({head}', ")</small>")
        self.times: dict[tuple[int, str], Markup] = {}
        self.rows: dict[int, tuple[str, str, str]] = {}
        self.row_words: tuple | None = None


def _page() -> _Page:
    # Kept on the request, not in ``g``: an app context (a test's) may span requests of readers
    # in other time zones and languages.
    state = request.__dict__
    page = state.get("_training_page")
    if page is None:
        page = state["_training_page"] = _Page()
    return page


def session_time(session: TrainingSession | RosterSession, fmt: str = "full") -> Markup:
    """``training/_macros.html``'s ``session_time``: the start at the session's place, and in the
    reader's time zone where it differs; worked out once per session and request."""
    page = _page()
    html = page.times.get((session.id, fmt))
    if html is None:
        starts, zone = session.starts_at, session.timezone
        html = f'<time datetime="{iso(starts)}">{escape(when_in(page.i18n, starts, fmt, zone))}</time>'
        if page.reader[0] and page.reader[1] != zone:
            head, tail = page.yours
            html = f"{html}{head}{escape(when_in(page.i18n, starts, 'medium'))}{tail}"
        page.times[session.id, fmt] = html = Markup(html)
    return html


def session_table(sessions: list[OpenSession], reference: str, module: TrainingModule, blocked: dict,
                  thead: Markup, language: str) -> Markup:
    """A table of the sessions of ``module`` a tourist may book for one booking (``thead``: the
    page's header, :func:`session_rows` its rows)."""
    label = _("Sessions of %(module)s", module=module.text(language))
    return Markup(
        f'\n<div class="table-wrap" role="region" tabindex="0" aria-label="{label}">\n<table class="striped">\n'
        f"  {thead}\n  <tbody>\n  {session_rows(sessions, reference, blocked)}\n  </tbody>\n</table>\n</div>\n"
    )


def session_rows(sessions: list[OpenSession], reference: str, blocked: dict) -> Markup:
    """A ``<tr>`` per session a tourist may book for one booking (``reference``): when and where,
    the places free (of those taken and waiting), and the form to book or join the waiting list,
    or (``blocked``) the modules to book first. A session's row is worked out once per request
    (:func:`_row_parts`): the same session is offered under each booking that needs its module."""
    reference = escape(reference)
    rows = []
    first: dict[tuple[str, ...], str] = {}  # the sessions of a module mostly wait for the same modules
    for s in sessions:
        head, form_head, form_tail = _row_parts(s)
        if blocked.get(s.id):
            names = tuple(blocked[s.id])
            action = first.get(names)
            if action is None:
                text = _("Book %(modules)s first, in a session that ends before this one.", modules=", ".join(names))
                action = first[names] = f'\n        <small class="muted">{text}</small>\n        '
        else:
            action = f"{form_head}{reference}{form_tail}"
        rows.append(f"{head}{action}\n      </td>\n    </tr>\n  ")
    return Markup("".join(rows))


def _row_parts(s: OpenSession) -> tuple[str, str, str]:
    """The parts of a session's row in :func:`session_rows` that do not depend on the booking: up to
    its action, and its form before and after the booking's reference; kept on the request."""
    page = _page()
    parts = page.rows.get(s.id)
    if parts is not None:
        return parts
    words = page.row_words
    if words is None:
        words = page.row_words = (_("Full"), _("Book"), _("Join the waiting list"), escape(generate_csrf()))
    full, book, join, token = words
    free = s.capacity - s.taken
    bookable = free > 0 and not s.waiting
    if bookable:
        places = str(free)
    else:
        places = full + (" · " + nmarkup("%(num)d waiting", "%(num)d waiting", s.waiting) if s.waiting else "")
    url = link("training.tourist.book" if bookable else "training.tourist.join_waitlist", "session_id", s.id)
    secondary = "" if bookable else 'class="secondary"'
    head = (f"\n    \n    \n    \n    <tr>\n      <td>{session_time(s)}</td>\n      <td>{escape(s.place)}</td>\n"
            f"      <td>{places}</td>\n      <td>\n        ")
    form_head = (
        f'\n        <form method="post" action="{escape(url)}" class="inline-form">\n'
        f'          <input type="hidden" name="csrf_token" value="{token}">\n'
        f'          <input type="hidden" name="booking" value="'
    )
    form_tail = (
        f'">\n          <button type="submit" {secondary}>{book if bookable else join}'
        f'<span class="visually-hidden">: {escape(when_in(page.i18n, s.starts_at, "short", s.timezone))}</span></button>\n'
        f"        </form>\n        "
    )
    page.rows[s.id] = parts = (head, form_head, form_tail)
    return parts


#: ``training/_macros.html``'s ``STATE_TONES``: a module state's badge.
_STATE_TONES = {"passed": "badge-done", "booked": "badge-waiting", "waiting": "badge-waiting",
                "not_booked": "badge-action", "failed": "badge-blocked", "expires": "badge-blocked"}


def module_head(m: ModuleStatus, language: str) -> Markup:
    """The head of a module on the tourist's page (``module_state`` and the lines below it): its
    state's badges and name, its kind, length and deadline, and its description; the page's words
    and labels worked out once per request (a tourist with three bookings has a dozen modules)."""
    words = request.__dict__.get("_training_module_words")
    if words is None:
        words = request.__dict__["_training_module_words"] = (
            {key: escape(str(label)) for key, label in labels.MODULE_STATES.items()},
            {key: escape(str(label)) for key, label in app_labels.MODULE_KINDS.items()},
            f' <span class="badge badge-blocked">{_("Deadline passed")}</span>',
            f' <span class="badge badge-blocked">{_("Ends after the deadline")}</span>',
        )
    states, kinds, overdue, late = words
    module = m.module
    badge = (f'<span class="badge {_STATE_TONES.get(m.state.value, "")}">{states[m.state]}</span>'
             f'{overdue if m.overdue else ""}{late if m.late else ""}')
    minutes = nmarkup("%(num)d minute", "%(num)d minutes", module.duration_minutes)
    due = _("passed by %(date)s", date=when(m.deadline, "medium"))
    description = module.text(language, "description")
    return Markup(
        f'<div class="gate-head">{badge} <strong>{escape(module.text(language))}</strong></div>\n'
        f'      <p class="muted">{kinds[module.kind]} · {minutes} · {due}</p>\n'
        f'      {f"<p>{escape(description)}</p>" if description else ""}'
    )


def register(bp) -> None:
    bp.add_app_template_global(module_head, "training_module_head")
    bp.add_app_template_global(roster_sections, "roster_sections")
    bp.add_app_template_global(session_table, "session_table")
    bp.add_app_template_global(session_time, "training_session_time")
