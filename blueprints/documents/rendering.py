"""The rows of operations' documents table of a flight, in Python: an 80-seat flight has hundreds
of cells, and a Jinja loop with a filter and a translation per cell cost a third of the page. The
same HTML as the template wrote (but for its indentation); a translation is used as the templates'
``_()`` uses it (as markup, its values escaped)."""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup, escape

from app.documents import labels
from app.documents.documents import Cell, DocumentState, DocumentStatus, TableRow
from app.formats import day_text, when
from app.i18n import current, gettext


class TableWords:
    """What the cells of one page share, worked out once per page (:func:`state_names`): each
    state's label in the reader's language, escaped; the words of an accepted version ("v3 on
    1/3/27", markup as the templates' ``_()`` takes a translation: its values are escaped); and
    those words per version and day, as the page meets them (a flight's tourists accepted the same
    few versions on a few days)."""

    __slots__ = ("states", "accepted", "_zone", "_language", "_accepted_texts")

    def __init__(self) -> None:
        self.states: dict[DocumentState, Markup] = {state: escape(str(label)) for state, label in labels.STATES.items()}
        self.accepted = gettext("v%(v)s on %(date)s")
        state = current()
        self._zone, self._language = state.timezone, state.name
        self._accepted_texts: dict[tuple[int, date], str] = {}

    def accepted_text(self, version: int, at: datetime) -> str:
        """"v3 on 1/3/27": the version and the day (on the reader's calendar) it was accepted."""
        key = (version, at.astimezone(self._zone).date())
        text = self._accepted_texts.get(key)
        if text is None:
            text = self._accepted_texts[key] = self.accepted % {
                "v": escape(version), "date": escape(day_text(key[1], "short", self._language))}
        return text


def document_cells(statuses: list[DocumentStatus] | list[Cell], evidence_url: str, names: TableWords) -> Markup:
    """A ``<td>`` per document of one tourist's row: its state (``names``: the page's
    :class:`TableWords`) and, accepted, the version and day with a link to the evidence
    (``evidence_url`` followed by the acceptance's id), or when opened. Escaped with ``escape`` and
    joined as strings (``Markup.format`` is several times slower)."""
    cells = []
    evidence_url = escape(evidence_url)
    states = names.states
    for status in statuses:
        acceptance = status.acceptance
        if acceptance is not None:
            text = names.accepted_text(acceptance.version, acceptance.accepted_at)
            detail = f'<br><small><a href="{evidence_url}{acceptance.id}">{text}</a></small>'
        elif status.opened_at:
            detail = f"<br><small>{escape(when(status.opened_at, 'short'))}</small>"
        else:
            detail = ""
        cells.append(f'<td class="state-{status.state.value}">\n        {states[status.state]}\n        {detail}\n      </td>')
    return Markup("\n      ".join(cells))


def document_row(row: TableRow, evidence_url: str, names: TableWords, remind_text: str) -> Markup:
    """One tourist's row: their name and booking, a cell per document (:func:`document_cells`) and,
    with a document open, the button that reminds them (``remind_text``: its word, read once per
    page). The same HTML as the template wrote, without a dozen template expressions per row."""
    name, reference = escape(row.name), escape(row.reference)
    button = (f'\n        <button type="submit" form="remind-one" name="booking" value="{reference}" class="secondary">'
              f'{escape(remind_text)}<span class="visually-hidden">: {name}</span></button>\n        ') if row.open else ""
    return Markup(f'<tr>\n      <th scope="row">{name}<br><small class="muted">{reference}</small></th>\n      '
                  f'{document_cells(row.cells, evidence_url, names)}\n      <td>\n        {button}\n      </td>\n    </tr>')


def document_rows(rows: list[TableRow], evidence_url: str, names: TableWords, remind_text: str) -> Markup:
    """Every row (:func:`document_row`), with the whitespace the template's loop wrote around
    each: one call from the template instead of one per row."""
    return Markup("".join([f"\n    \n    {document_row(row, evidence_url, names, remind_text)}\n  " for row in rows]))


def state_names() -> TableWords:
    """The page's :class:`TableWords` (once per page)."""
    return TableWords()


def register(bp) -> None:
    bp.add_app_template_global(document_rows, "document_rows")
    bp.add_app_template_global(state_names, "document_state_names")
