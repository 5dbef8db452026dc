"""The journey's checklists, in Python: the shared ``checklist`` macro (``templates/macros/ui.html``)
costs a macro call, a loop and a dozen attribute lookups per gate, and the journey shows ten gates
per booking. Same HTML as the macro (a test compares them); every text is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from app.readiness import Readiness


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
