"""The cells of operations' documents table of a flight, in Python: an 80-seat flight has hundreds
of them, and a Jinja loop with a filter and a translation per cell cost a third of the page. The
same HTML as the template wrote (but for its indentation); a translation is used as the templates'
``_()`` uses it (as markup, its values escaped)."""

from __future__ import annotations

from markupsafe import Markup, escape

from app.documents import labels
from app.documents.documents import DocumentStatus
from app.formats import on_day, when
from app.i18n import gettext


def document_cells(statuses: list[DocumentStatus], evidence_url: str, names: dict) -> Markup:
    """A ``<td>`` per document of one tourist's row: its state (``names``: each state's label and
    the accepted version's words, read once per page by :func:`state_names`) and, accepted, the
    version and day with a link to the evidence (``evidence_url`` followed by the acceptance's id),
    or when opened. Escaped with ``escape`` and joined as strings (``Markup.format`` is several
    times slower)."""
    cells = []
    evidence_url = escape(evidence_url)
    accepted = names[ACCEPTED]
    for status in statuses:
        acceptance = status.acceptance
        if acceptance is not None:
            text = accepted % {"v": escape(acceptance.version), "date": escape(on_day(acceptance.accepted_at, "short"))}
            detail = f'<br><small><a href="{evidence_url}{acceptance.id}">{text}</a></small>'
        elif status.opened_at:
            detail = f"<br><small>{escape(when(status.opened_at, 'short'))}</small>"
        else:
            detail = ""
        state = status.state
        cells.append(f'<td class="state-{state.value}">\n        {names[state]}\n        {detail}\n      </td>')
    return Markup("\n      ".join(cells))


def document_row(booking, statuses: list[DocumentStatus], remind: bool, evidence_url: str, names: dict,
                 remind_text: str) -> Markup:
    """One tourist's row: their name and booking, a cell per document (:func:`document_cells`) and,
    with a document open, the button that reminds them (``remind_text``: its word, read once per
    page). The same HTML as the template wrote, without a dozen template expressions per row."""
    name, reference = escape(booking.user.name), escape(booking.reference)
    button = (f'\n        <button type="submit" form="remind-one" name="booking" value="{reference}" class="secondary">'
              f'{escape(remind_text)}<span class="visually-hidden">: {name}</span></button>\n        ') if remind else ""
    return Markup(f'<tr>\n      <th scope="row">{name}<br><small class="muted">{reference}</small></th>\n      '
                  f'{document_cells(statuses, evidence_url, names)}\n      <td>\n        {button}\n      </td>\n    </tr>')


#: The key, in :func:`state_names`, of the words of an accepted version ("v3 on 1/3/27").
ACCEPTED = "accepted"


def state_names() -> dict:
    """Each state's label in the reader's language, escaped, and the words of an accepted version
    (markup, as the templates' ``_()`` takes a translation: the cells escape its values): once per
    page."""
    names = {state: escape(str(label)) for state, label in labels.STATES.items()}
    names[ACCEPTED] = gettext("v%(v)s on %(date)s")
    return names


def register(bp) -> None:
    bp.add_app_template_global(document_cells, "document_cells")
    bp.add_app_template_global(document_row, "document_row")
    bp.add_app_template_global(state_names, "document_state_names")
