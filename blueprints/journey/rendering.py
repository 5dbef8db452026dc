"""The journey's checklists, in Python: the shared ``checklist`` macro (``templates/macros/ui.html``)
costs a macro call, a loop and a dozen attribute lookups per gate, and the journey shows ten gates
per booking. Same HTML as the macro (a test compares them); every text is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from app import labels
from app.formats import on_day, when
from app.i18n import markup as _
from app.readiness import Readiness
from app.urls import link


def checklist(readiness: Readiness, names: dict[str, str], path: str) -> Markup:
    """A booking's readiness checklist as the macro writes it; ``names`` are the statuses' labels,
    escaped (``blueprints.flightops.rendering.status_names``, once per page), and ``path`` the
    page's own path (a gate's link to the page being shown is left out)."""
    items = []
    for gate in readiness.gates:
        status = gate.status.value
        label = escape(gate.label)
        link = ""
        if gate.url and not gate.passed and gate.url != path:
            link = (f'<a href="{escape(gate.url)}">{escape(gate.action)}'
                    f'<span class="visually-hidden">: {label}</span></a>')
        items.append(f'\n  <li class="gate gate-{status}">\n'
                     f'    <div class="gate-head"><span class="badge badge-{status}">{names[status]}</span>'
                     f' <strong>{label}</strong></div>\n'
                     f'    <p>{escape(gate.reason)}</p>\n'
                     f'    {link}\n'
                     f'  </li>\n  ')
    return Markup('<ol class="checklist">\n  ' + "".join(items) + "\n</ol>")


def _flight_status(status) -> str:
    """The ``flight_status`` macro's badge."""
    return f'<span class="badge badge-flight-{status.value}">{escape(str(labels.FLIGHT_STATUSES[status]))}</span>'


def flight_change(flight, change) -> str:
    """The ``flight_change`` macro (``templates/macros/ui.html``): the flight's status and its
    latest change, when it changed or is not scheduled; "" otherwise."""
    if not change and flight.status.value == "scheduled":
        return ""
    text = ""
    if change:
        kind = change.kind
        if kind == "scrubbed" and change.launch_at != change.previous_launch_at:
            text = _("The launch attempt of %(old)s was scrubbed; the next attempt is planned for %(new)s.",
                     old=when(change.previous_launch_at, "medium"), new=when(change.launch_at, "medium"))
        elif kind == "scrubbed":
            text = _("Launch scrubbed on %(date)s (was planned for %(launch)s); a new time will follow.",
                     date=_day(change.created_at), launch=when(change.previous_launch_at, "medium"))
        elif kind == "moved":
            text = _("Launch moved from %(old)s to %(new)s on %(date)s.", old=when(change.previous_launch_at, "medium"),
                     new=when(change.launch_at, "medium"), date=_day(change.created_at))
        elif kind == "delayed":
            text = _("Flight delayed on %(date)s; the launch is planned for %(launch)s.",
                     date=_day(change.created_at), launch=when(change.launch_at, "medium"))
        elif kind == "cancelled":
            text = _("Flight cancelled by the operator on %(date)s.", date=_day(change.created_at))
        else:
            text = _("Flight status changed on %(date)s.", date=_day(change.created_at))
        text = f" {text}"
        if change.cause:
            reason = _("Reason: %(cause)s.", cause=labels.SLIP_CAUSES[change.cause])
            text += f" {reason}"
    return f'\n  <p class="flight-change">{_flight_status(flight.status)}{text}</p>'


def _day(value) -> str:
    """The templates' ``d("medium")`` filter of a moment."""
    return on_day(value, "medium") if value else ""


def booking_head(readiness: Readiness, change) -> Markup:
    """The head of a booking on the journey (``templates/journey/_bookings.html``, from its
    title to its verdict): the flight and its link, the booking's reference, state, launch and
    spaceport, the flight's change (``flight_change``), how many steps are done."""
    b = readiness.booking
    flight = b.flight
    state = f'<span class="badge badge-state-{b.state.value}">{escape(str(labels.BOOKING_STATES[b.state]))}</span>'
    # (Translations outside the f-strings: Babel's extraction does not look inside them.)
    if readiness.ready:
        ready = _("Ready for flight.")
        verdict = f'\n        <p class="verdict verdict-ready">{ready}</p>\n      '
    else:
        done, total = readiness.done_count, len(readiness.gates)
        steps, progress = _("Steps done: %(done)s of %(total)s.", done=done, total=total), _("Progress")
        verdict = (f'\n        <p class="verdict">{steps}</p>\n'
                   f'        <progress value="{done}" max="{total}" aria-label="{progress}"></progress>\n      ')
    launch = _("Launch %(date)s", date=when(flight.launch_at, "medium"))
    url = link("booking.tourist.detail", "reference", b.reference)
    return Markup(
        f'<h2 id="b-{b.id}"><a href="{escape(url)}">{escape(flight.name)}</a></h2>\n'
        f'      <p class="muted">{escape(b.reference)} · {state} · {launch} · {escape(flight.spaceport)}</p>\n'
        f'      {flight_change(flight, change)}\n'
        f'      {verdict}'
    )
