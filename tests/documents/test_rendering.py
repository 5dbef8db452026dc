"""The cells of operations' documents table (blueprints/documents/rendering.py): a state per
document, the accepted version and day linking to its evidence, or when it was opened."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from app.documents.documents import DocumentState, TableRow
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


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_forms_quick_widgets_write_what_wtforms_writes(app, language):
    """blueprints/documents/widgets.py: each field of the documents' forms, filled with awkward
    values and rendered with awkward attributes, gives WTForms' own HTML to the character."""
    from wtforms import widgets as wtforms_widgets

    from blueprints.documents import widgets
    from blueprints.documents.forms import NewDocumentForm, VersionForm

    standard = {widgets.TextInput: wtforms_widgets.TextInput(), widgets.HiddenInput: wtforms_widgets.HiddenInput(),
                widgets.TextArea: wtforms_widgets.TextArea(), widgets.Select: wtforms_widgets.Select(),
                widgets.RadioInput: wtforms_widgets.RadioInput()}
    awkward = 'a "quoted" <b>&amp;</b> \u201cvalue\u201d'
    attributes = [{}, {"id": "other", "aria-describedby": "x-hint y-error", "aria-invalid": "true"},
                  {"lang": language, "rows": "12", "list": "scope-names", "autocomplete": "off", "disabled": True,
                   "required": False, "class_": 'c"d', "data_for_x": Markup('<i a="1">')}]
    form_data = MultiDict({"title_en": awkward, "body_en": awkward + "\r\nline two", "summary_de": awkward,
                           "based_on": '3"', "material": "correction", "kind": "waiver", "scope": "flight",
                           "scope_name": awkward, "flight_id": "7", "default_language": "de"})
    with app.test_request_context("/", headers={"Accept-Language": language}):
        new = NewDocumentForm(formdata=form_data, meta={"csrf": False})
        new.flight_id.choices = [(0, "—"), (7, awkward), (8, "Equinox 8 (2027-01-02)")]
        version = VersionForm(formdata=form_data, meta={"csrf": False})
        fields = [*new, *version, *version.material]
        checked = 0
        for f in fields:
            if type(f.widget) not in standard:
                continue
            for kw in attributes:
                assert str(f.widget(f, **kw)) == str(standard[type(f.widget)](f, **kw)), (f.name, kw)
                checked += 1
        assert checked >= 3 * (5 + 18 + 2 + 2)
        assert 'selected value="7"' in str(new.flight_id())


def test_a_row_names_the_tourist_escaped_and_offers_a_reminder_only_with_a_document_open(app):
    from blueprints.documents.rendering import document_row

    untouched = SimpleNamespace(state=DocumentState.NOT_OPENED, opened_at=None, acceptance=None)
    row = TableRow(1, "CD-1", 'Ada <b>"Lovelace"</b>', [untouched], True)
    with app.test_request_context("/"):
        names = state_names()
        open_row = document_row(row, "/ops/acceptances/", names, "Remind")
        done_row = document_row(TableRow(1, "CD-1", 'Ada <b>"Lovelace"</b>', [], False), "/ops/acceptances/", names,
                                "Remind")
    assert "<b>" not in open_row and 'Ada &lt;b&gt;&#34;Lovelace&#34;&lt;/b&gt;<br><small class="muted">CD-1' in open_row
    assert 'value="CD-1" class="secondary">Remind<span class="visually-hidden">: Ada &lt;b&gt;' in open_row
    assert "<button" not in done_row and done_row.startswith("<tr>") and done_row.endswith("</tr>")
