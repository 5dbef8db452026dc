"""The cells of operations' documents table (blueprints/documents/rendering.py): a state per
document, the accepted version and day linking to its evidence, or when it was opened."""

from __future__ import annotations

from types import SimpleNamespace

from app.documents.documents import DocumentState
from blueprints.documents.rendering import document_cells, state_names
from tests.conftest import utc


def test_each_cell_says_the_state_and_links_the_evidence(app):
    accepted = SimpleNamespace(state=DocumentState.DONE, opened_at=utc(2027, 1, 2, 9, 0),
                               acceptance=SimpleNamespace(id=41, version=3, accepted_at=utc(2027, 1, 3, 9, 0)))
    opened = SimpleNamespace(state=DocumentState.OPENED, opened_at=utc(2027, 1, 2, 9, 0), acceptance=None)
    untouched = SimpleNamespace(state=DocumentState.NOT_OPENED, opened_at=None, acceptance=None)
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        html = document_cells([accepted, opened, untouched], "/ops/acceptances/", state_names())
    cells = [" ".join(cell.split()) for cell in html.split("</td>")[:-1]]
    assert cells == [
        '<td class="state-done"> Terminé <br><small><a href="/ops/acceptances/41">v3 le 03/01/2027</a></small>',
        '<td class="state-opened"> Ouvert <br><small>02/01/2027 09:00</small>',
        '<td class="state-not_opened"> Non ouvert',
    ]
