"""The readiness matrix's cells, in Python: an 80-seat flight has 800 of them (see
``blueprints/documents/rendering.py`` for why not a Jinja loop). Every text is escaped."""

from __future__ import annotations

from typing import Callable

from markupsafe import Markup, escape

from app.labels import GATE_STATUSES
from app.readiness import Gate


def status_names() -> dict[str, str]:
    """Each gate status's label in the reader's language, escaped: once per page."""
    return {value: str(escape(str(label))) for value, label in GATE_STATUSES.items()}


def gate_cells(gates: list[Gate], tourist: str, gate_url: Callable[[str], str], names: dict[str, str],
               texts: dict[str, str]) -> Markup:
    """A ``<td>`` per gate of one tourist's row: its status, its reason, and the links to act (the
    gate's own, and the gate's page for an override where policy allows one). ``gate_url`` gives a
    gate's page for this booking by key; ``texts`` the link words, escaped, read once per page."""
    who = escape(tourist)
    cells = []
    for gate in gates:
        status = gate.status.value
        label = escape(gate.label)
        links = ""
        if not gate.passed and gate.url:
            links += (f'<br><a href="{escape(gate.url)}">{escape(gate.action)}'
                      f'<span class="visually-hidden">: {label}, {who}</span></a>')
        if gate.override is not None or (gate.overridable and not gate.passed):
            word = escape(texts["details"] if gate.override is not None else texts["override"])
            links += (f'<br><a href="{escape(gate_url(gate.key))}">{word}'
                      f'<span class="visually-hidden">: {label}, {who}</span></a>')
        cells.append(f'<td class="gate-cell gate-{status}"><span class="badge badge-{status}">{names[status]}</span>'
                     f'<br><small>{escape(gate.reason)}</small>{links}</td>')
    return Markup("".join(cells))
