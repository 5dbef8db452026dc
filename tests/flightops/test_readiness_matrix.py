"""Operations' readiness matrix of a flight: every tourist against every gate, the verdict, the
blocked filter, the CSV export, and overrides (recorded with who and why; never of the consent,
the waiver, the medical clearance, the seat, the deposit or training)."""

import csv
import io

import pytest

from app import readiness
from app.booking import bookings as booking_service
from app.errors import ServiceError
from app.extensions import db
from app.models import BookingState, DocumentKind, GateOverride, Role
from app.readiness import GateStatus
from blueprints.flightops.rendering import matrix_rows
from tests.conftest import login, post_form
from tests.core.test_queries import count_queries


@pytest.fixture
def flight_world(make):
    """A flight with a consent, a waiver and a briefing published; Ada has signed and paid her
    deposit; Ben holds a seat and has done nothing; Cy cancelled."""
    ops = make.user(Role.OPERATIONS, name="Olga Ops")
    flight = make.flight(seat_count=6)
    consent_version = make.consent_document(actor=ops)
    waiver = make.document(DocumentKind.WAIVER, actor=ops)
    briefing = make.document(DocumentKind.BRIEFING, flight=flight, actor=ops)
    ada = booking_service.hold_seat(flight.id, make.user(name="Ada Lovelace"))
    make.accept(ada, consent_version)
    make.accept(ada, waiver)
    booking_service.transition(ada, BookingState.CONFIRMED)
    ben = booking_service.hold_seat(flight.id, make.user(name="Ben <b>Bold</b>"))
    cy = booking_service.hold_seat(flight.id, make.user(name="Cy Cancelled"))
    booking_service.transition(cy, BookingState.CANCELLED)
    db.session.commit()
    return {"ops": ops, "flight": flight, "ada": ada, "ben": ben, "cy": cy, "briefing": briefing,
            "consent": consent_version}


def ops_client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_the_matrix_shows_each_seated_tourist_against_every_gate(app, flight_world):
    w = flight_world
    client = ops_client(app, w["ops"])
    page = client.get(f"/ops/flights/{w['flight'].id}/readiness")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # Every gate is a column, in the journey's order.
    headers = ["Seat", "Consent", "Waiver", "Prohibited items", "Briefings", "Deposit", "Paid in full", "Medical",
               "Training", "Travel"]
    positions = [html.index(f'<th scope="col">{h}<br>') for h in headers]
    assert positions == sorted(positions)
    # The two seated tourists, not the cancelled one; nobody is ready yet.
    assert "Ada Lovelace" in html and "Ben &lt;b&gt;Bold&lt;/b&gt;" in html and "Cy Cancelled" not in html
    assert "0 of 2 tourists are ready for flight." in html
    assert "1 of 2 passed" in html.split("Consent<br>")[1][:80]  # Ada signed, Ben not yet
    # Ada's cells say where she stands, worded for operations (not "your").
    ada_row = html[html.index(f'id="row-{w["ada"].reference}"'):html.index(f'id="row-{w["ben"].reference}"')]
    assert "Signed version 1 on" in ada_row and "Confirmed." in ada_row
    assert "not acknowledged yet" in ada_row  # the flight's briefing
    assert "your" not in ada_row.lower()
    # Ben has signed nothing: the consent is to sign, and the deposit waits on it.
    ben_row = html[html.index(f'id="row-{w["ben"].reference}"'):]
    assert "Version 1 not signed yet." in ben_row
    assert "not paid: the consent is not signed yet" in ben_row


def test_the_blocked_filter_and_the_summary(app, make, flight_world):
    w = flight_world
    client = ops_client(app, w["ops"])
    blocked = client.get(f"/ops/flights/{w['flight'].id}/readiness?show=blocked").get_data(as_text=True)
    assert "Only the blocked (2)" in blocked
    assert w["ada"].reference in blocked and w["ben"].reference in blocked


def test_a_payment_override_is_recorded_and_shown_on_the_cell(app, flight_world):
    w = flight_world
    client = ops_client(app, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/readiness/{w['ada'].reference}/gates/paid"
    page = client.get(url).get_data(as_text=True)
    assert "Override this gate" in page
    response = post_form(client, url, {"reason": "Balance deferred by agreement of 2 March"}, page=url)
    assert response.status_code == 302
    made = db.session.query(GateOverride).one()
    assert (made.booking_id, made.gate, made.actor_id) == (w["ada"].id, "paid", w["ops"].id)
    assert made.reason == "Balance deferred by agreement of 2 March" and made.live
    html = client.get(f"/ops/flights/{w['flight'].id}/readiness").get_data(as_text=True)
    assert "Overridden by Olga Ops on" in html and "Balance deferred by agreement of 2 March" in html
    # The tourist's own checklist counts it as passed, without the internal reason.
    with app.test_request_context("/journey"):
        gate = readiness.readiness_for([w["ada"]])[w["ada"].id].gate("paid")
        assert gate.status is GateStatus.OVERRIDDEN and gate.passed
        assert "The operator waived this step on" in gate.reason and "March" not in gate.reason
    # Its page says how the gate stands without it; withdrawn, it counts as it stands again.
    page = client.get(url).get_data(as_text=True)
    assert "Without the override: $450,000.00 still to pay" in page
    post_form(client, f"/ops/flights/{w['flight'].id}/readiness/overrides/{made.id}/withdraw", {}, page=url)
    db.session.expire_all()
    assert db.session.get(GateOverride, made.id).withdrawn_by_id == w["ops"].id
    with app.test_request_context("/journey"):
        gate = readiness.readiness_for([w["ada"]])[w["ada"].id].gate("paid")
        assert not gate.passed and gate.override is None and "still to pay" in gate.reason
    assert "withdrawn on" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("key", ["consent", "waiver", "medical", "seat", "deposit", "training"])
def test_consent_waiver_medical_and_the_others_are_never_overridden(app, flight_world, key):
    w = flight_world
    with app.test_request_context("/ops"):
        with pytest.raises(ServiceError, match="can never be overridden"):
            readiness.override(w["ben"], key, "Because the CEO said so", w["ops"])
    client = ops_client(app, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/readiness/{w['ben'].reference}/gates/{key}"
    assert "Override this gate" not in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {"reason": "Because the CEO said so"}, page=url)
    assert response.status_code == 422 and "can never be overridden" in response.get_data(as_text=True)
    assert db.session.query(GateOverride).count() == 0


def test_policy_can_forbid_what_a_gate_allows(app, flight_world, monkeypatch):
    monkeypatch.setitem(app.config, "OVERRIDABLE_GATES", ("briefings",))
    # Even listed in the policy, the consent stays out: only what a gate declares can be.
    monkeypatch.setitem(app.config, "OVERRIDABLE_GATES", ("briefings", "consent"))
    with app.test_request_context("/ops"):
        assert readiness.overridable_gates() == {"briefings"}
        with pytest.raises(ServiceError, match="can never be overridden"):
            readiness.override(flight_world["ben"], "paid", "Agreed", flight_world["ops"])


def test_an_override_needs_a_reason_and_a_gate_not_passed(app, make, flight_world):
    w = flight_world
    elsewhere = make.booking(confirmed=False)
    db.session.commit()
    client = ops_client(app, w["ops"])
    url = f"/ops/flights/{w['flight'].id}/readiness/{w['ben'].reference}/gates/briefings"
    response = post_form(client, url, {"reason": "   "}, page=url)
    assert response.status_code == 422 and "Give the reason" in response.get_data(as_text=True)
    with app.test_request_context("/ops"):
        with pytest.raises(ServiceError, match="already overridden"):
            readiness.override(w["ben"], "briefings", "Briefed in person", w["ops"])
            readiness.override(w["ben"], "briefings", "Again", w["ops"])
    # A gate of another flight's booking, or a gate that does not exist: not found.
    assert client.get(f"/ops/flights/{w['flight'].id}/readiness/{elsewhere.reference}/gates/paid").status_code == 404
    assert client.get(f"/ops/flights/{w['flight'].id}/readiness/{w['ben'].reference}/gates/nope").status_code == 404
    assert client.get(f"/ops/flights/{w['flight'].id}/readiness/{w['cy'].reference}/gates/nope").status_code == 404
    assert client.get(f"/ops/flights/{w['flight'].id + 999}/readiness").status_code == 404


def test_the_csv_export_has_a_row_per_tourist_and_neutralises_formulas(app, make, flight_world):
    w = flight_world
    booking_service.hold_seat(w["flight"].id, make.user(name="=HYPERLINK(\"http://evil\")"))
    db.session.commit()
    client = ops_client(app, w["ops"])
    response = client.get(f"/ops/flights/{w['flight'].id}/readiness.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Booking", "Tourist", "Verdict", "Blocked by"]
    assert len(rows[0]) == 4 + 2 * 10
    names = {r[1] for r in rows[1:]}
    assert names == {"Ada Lovelace", "Ben <b>Bold</b>", "'=HYPERLINK(\"http://evil\")"}
    ben = next(r for r in rows if r[0] == w["ben"].reference)
    assert ben[2] == "Blocked" and "Consent" in ben[3].split("; ")


def test_the_matrix_costs_the_same_queries_for_two_or_twelve_tourists(app, make):
    ops = make.user(Role.OPERATIONS)
    make.consent_document(actor=ops)

    def flight_of(n):
        flight = make.flight(seat_count=20)
        for _ in range(n):
            booking = booking_service.hold_seat(flight.id, make.user())
            booking_service.transition(booking, BookingState.CONFIRMED)
        return flight

    # The ids read before the commit: reading an expired flight's id inside the count would
    # refresh it, a query of the test's own.
    small, large = flight_of(2).id, flight_of(12).id
    db.session.commit()
    client = ops_client(app, ops)

    def queries(flight_id):
        with count_queries() as statements:
            assert client.get(f"/ops/flights/{flight_id}/readiness").status_code == 200
        return len(statements)

    queries(small)
    assert queries(small) == queries(large) <= 6  # 12 before the facts in one statement (no training plan here)


def test_with_nobody_blocked_the_filter_says_everyone_is_ready(app):
    """The line the template wrote when the blocked filter leaves no row, now from ``matrix_rows``:
    the whole width of the table."""
    short = {"seat": "Seat", "consent": "Consent", "paid": "Paid in full"}
    with app.test_request_context("/ops/flights/1/readiness?show=blocked"):
        body = matrix_rows([], short, lambda reference: f"/gates/{reference}/", {
            "go": "Go", "blocked_by": "Blocked by", "everyone_ready": "Every tourist is ready for flight.",
            "override": "Override", "details": "Override details"})
    assert body == '\n    <tr><td colspan="5">Every tourist is ready for flight.</td></tr>\n  '


def test_a_hold_that_runs_out_while_the_matrix_loads_costs_it_nothing(app, flight_world, monkeypatch):
    """Ben's hold ends between the matrix finding the seated tourists and judging them: his row
    comes back without gates (he asks nothing any more). Listed first, it must not take the
    columns or the counts with it."""
    from datetime import timedelta

    import blueprints.flightops.readiness as matrix_page
    from app.timeutil import now_utc

    w = flight_world
    seated, ben_id = matrix_page._flight_and_seated, w["ben"].id

    def ben_lapses_meanwhile(flight_id):
        flight, bookings = seated(flight_id)
        bookings = sorted(bookings, key=lambda b: b.id != ben_id)
        assert bookings[0].id == ben_id
        bookings[0].hold_expires_at = now_utc() - timedelta(seconds=1)  # the request's own Ben
        return flight, bookings

    monkeypatch.setattr(matrix_page, "_flight_and_seated", ben_lapses_meanwhile)
    page = ops_client(app, w["ops"]).get(f"/ops/flights/{w['flight'].id}/readiness")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<th scope="col">Consent<br>' in html and "Ada Lovelace" in html
    assert "0 of 2 tourists are ready for flight." in html  # the summary as before
