"""The rows of operations' privacy page (blueprints/privacy/rendering.py): what the template wrote,
escaped, in the reader's language."""

from __future__ import annotations

from app import personal_data
from app.models import ErasureState
from app.privacy.erasure import Answered, Pending
from blueprints.privacy.rendering import answered_rows, pending_rows
from tests.conftest import utc


def test_a_request_to_answer_says_when_it_is_overdue_and_escapes_the_tourist(app):
    now = utc(2027, 1, 10, 12, 0)
    late = Pending(7, 70, 'Ada <b>"L"</b>', "ada@example.com", utc(2026, 12, 1, 9, 0), utc(2027, 1, 9, 9, 0), 2)
    soon = Pending(8, 80, "Grace", "grace@example.com", utc(2027, 1, 2, 9, 0), utc(2027, 2, 1, 9, 0), 0)
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        html = pending_rows([late, soon], {70: "2", 80: "0"}, lambda i: f"/ops/privacy/erasure/{i}", now, "Antworten")
    rows = [" ".join(row.split()) for row in html.split("</tr>")[:-1]]
    assert rows[0] == (
        '<tr class="privacy-request overdue"> <td>Ada &lt;b&gt;&#34;L&#34;&lt;/b&gt;<br><small class="muted">'
        'ada@example.com</small></td> <td>01.12.2026, 09:00</td> <td><strong class="badge danger">Überfällig: '
        '9. Januar 2027</strong></td> <td>2</td> <td><a href="/ops/privacy/erasure/7">Antworten<span '
        'class="visually-hidden"> (Ada &lt;b&gt;&#34;L&#34;&lt;/b&gt;)</span></a></td>')
    assert rows[1].startswith('<tr class="privacy-request"> <td>Grace') and "<td>1. Februar 2027</td>" in rows[1]


def test_an_answered_request_lists_what_was_kept_under_which_rule(app):
    rule = personal_data.rules()["booking_records"]
    done = Answered(1, "Ada", ErasureState.DONE, "", utc(2027, 1, 3, 9, 0), "Ops <x>",
                    [(rule, "bookings", 1234), (None, "old <things>", 2)])
    refused = Answered(2, "Grace", ErasureState.REFUSED, "A claim <is> open", utc(2027, 1, 4, 9, 0), None, [])
    empty = Answered(3, "Ida", ErasureState.DONE, "", None, None, [])
    with app.test_request_context("/"):
        states = {state: state.value.capitalize() for state in ErasureState}
        html = answered_rows([done, refused, empty], states, lambda i: f"/r/{i}", "Nothing")
    # (split() takes the narrow no-break space before "AM" for a space too.)
    rows = [" ".join(row.split()) for row in html.split("</tr>")[:-1]]
    assert rows[0] == ('<tr> <td><a href="/r/1">Ada</a></td> <td>Done</td> <td>Jan 3, 2027, 9:00 AM · Ops &lt;x&gt;'
                       '</td> <td><ul class="compact"><li>1,234 bookings: Booking records</li><li>2 old <things>: '
                       'old &lt;things&gt;</li></ul></td>')
    assert rows[1] == ('<tr> <td><a href="/r/2">Grace</a></td> <td>Refused<br><small>A claim &lt;is&gt; open</small>'
                       '</td> <td>Jan 4, 2027, 9:00 AM</td> <td>—</td>')
    assert rows[2] == '<tr> <td><a href="/r/3">Ida</a></td> <td>Done</td> <td>—</td> <td>Nothing</td>'
