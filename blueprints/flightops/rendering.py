"""The readiness matrix's rows, in Python: an 80-seat flight has 800 cells (see
``blueprints/documents/rendering.py`` for why not a Jinja loop). Every text is escaped."""

from __future__ import annotations

from typing import Callable

from markupsafe import Markup, escape

from app.labels import GATE_STATUSES
from app.readiness import Gate, Readiness


def status_names() -> dict[str, str]:
    """Each gate status's label in the reader's language, escaped: once per page."""
    return {value: str(escape(str(label))) for value, label in GATE_STATUSES.items()}


def _gate_cells(gates: list[Gate], tourist: str, gate_url: Callable[[str], str], names: dict[str, str],
               texts: dict[str, str], said: dict[tuple, str]) -> str:
    """A ``<td>`` per gate of one tourist's row: its status, its reason, and the links to act (the
    gate's own, and the gate's page for an override where policy allows one). ``tourist`` is the
    tourist's name, already escaped (private: its one caller escapes it once per row);
    ``gate_url`` gives a gate's page for this booking by key; ``names`` and ``texts`` (the link
    words) are escaped, worked out once per page; ``said`` keeps, for the page, what its cells
    share: each (status, reason)'s start of a cell and each link's words, escaped once (80 rows
    say most of them alike)."""
    cells = []
    for gate in gates:
        passed = gate.passed
        start = said.get((gate.status, gate.reason))
        if start is None:
            status = gate.status.value
            start = said[(gate.status, gate.reason)] = (
                f'<td class="gate-cell gate-{status}"><span class="badge badge-{status}">{names[status]}</span>'
                f'<br><small>{escape(gate.reason)}</small>')
        links = ""
        if gate.url and not passed:
            words = said.get(("link", gate.action, gate.label))
            if words is None:
                words = said[("link", gate.action, gate.label)] = (
                    f'">{escape(gate.action)}<span class="visually-hidden">: {escape(gate.label)}, ')
            links += f'<br><a href="{escape(gate.url)}{words}{tourist}</span></a>'
        if gate.override is not None or (gate.overridable and not passed):
            word = texts["details"] if gate.override is not None else texts["override"]
            words = said.get(("override", word, gate.label))
            if words is None:
                words = said[("override", word, gate.label)] = (
                    f'">{word}<span class="visually-hidden">: {escape(gate.label)}, ')
            links += f'<br><a href="{escape(gate_url(gate.key))}{words}{tourist}</span></a>'
        cells.append(f'{start}{links}</td>')
    return "".join(cells)


#: The words of ``matrix_rows`` that the template wrote with ``_()``: a translation as markup.
_MARKUP = frozenset({"go", "blocked_by", "everyone_ready"})


def matrix_rows(rows: list[Readiness], short: dict[str, str], gate_base: Callable[[str], str],
                texts: dict[str, str]) -> Markup:
    """The matrix's body: per tourist, their name and reference, the verdict (with the gates that
    block them, by ``short`` name) and a cell per gate; or, with no row, the line that says so.
    ``gate_base`` gives the start of a gate's page for a booking reference (the key appended);
    ``texts`` holds the page's words, translated: the verdicts' (``go``, ``blocked_by``,
    ``everyone_ready``) are used as the template's ``_()`` used them, as markup; the links' words
    are escaped, as they were."""
    names = status_names()
    words = {key: text if key in _MARKUP else str(escape(text)) for key, text in texts.items()}
    short = {key: str(escape(name)) for key, name in short.items()}
    go = f'<span class="badge badge-done">{words["go"]}</span>'
    blocked_by = f'<span class="badge badge-blocked">{words["blocked_by"]}</span><br><small>'
    body = []
    said: dict[tuple, str] = {}
    for r in rows:
        booking = r.booking
        reference = escape(booking.reference)
        name = str(escape(booking.user.name))
        if r.ready:
            verdict = go
        else:
            verdict = blocked_by + ", ".join(short[g.key] if g.key in short else str(escape(g.label))
                                            for g in r.blockers) + "</small>"
        base = gate_base(booking.reference)
        body.append(
            f'\n    \n    \n    <tr id="row-{reference}">\n'
            f'      <th scope="row">{name}<br><small class="muted">{reference}</small></th>\n'
            f'      <td class="verdict-cell">{verdict}</td>\n'
            f'      {_gate_cells(r.gates, name, base.__add__, names, words, said)}\n'
            f'    </tr>\n  ')
    if not rows:
        body.append(f'\n    <tr><td colspan="{len(short) + 2}">{words["everyone_ready"]}</td></tr>\n  ')
    return Markup("".join(body))
