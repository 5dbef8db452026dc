"""Privacy's pages: the tourist asks for their data and for erasure (seeing first what it would
mean), operations confirm or refuse with a reason; every route that changes something against
every role, a refused request changing nothing; queries per page do not grow with the data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.messaging import outbox
from app.models import (
    Booking,
    BookingState,
    DataExport,
    ErasureRequest,
    ErasureState,
    OutboundMessage,
    PrivacyLog,
    Role,
)
from app.privacy import erasure
from tests.conftest import login, post_form
from tests.core.test_queries import count_queries

STAFF = {"medical": Role.MEDICAL, "instructor": Role.INSTRUCTOR, "logistics": Role.LOGISTICS,
         "operations": Role.OPERATIONS}
WHO = ["anonymous", "tourist", "other tourist", *STAFF]


def _client(app, user):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def test_a_tourist_with_a_live_booking_is_told_and_must_agree_then_operations_confirm(app, client, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    booking = make.booking(tourist)
    db.session.commit()
    login(client, tourist)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "Consent and waiver evidence" in page and "What we keep, and why" in page
    assert "/account/privacy/erasure" in page
    page = client.get("/account/privacy/erasure").get_data(as_text=True)
    assert "You have a live booking." in page and booking.reference in page

    refused = post_form(client, "/account/privacy/erasure", {"reason": "Goodbye"}, page="/account/privacy/erasure")
    assert refused.status_code == 422
    assert "Please confirm that you understand" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ErasureRequest)) == 0

    asked = post_form(client, "/account/privacy/erasure", {"reason": "Goodbye", "agree": "y"},
                      page="/account/privacy/erasure")
    assert asked.status_code == 302
    request = db.session.scalars(select(ErasureRequest)).one()
    assert request.state is ErasureState.REQUESTED and request.live_bookings == 1
    assert "Operations will answer by" in client.get("/account/privacy").get_data(as_text=True)
    assert client.get("/account/privacy/erasure").status_code == 302  # asked already: the page says so

    told = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "privacy_erasure_requested")).one()
    assert told.recipient == ops.email and tourist.name not in told.body and "/ops/privacy" in told.body
    staff = _client(app, ops)
    flights = staff.get("/ops/flights").get_data(as_text=True)
    assert "1 request to erase a tourist's data is waiting for an answer" in flights
    listed = staff.get("/ops/privacy").get_data(as_text=True)
    assert tourist.name in listed and f"/ops/privacy/erasure/{request.id}" in listed
    shown = staff.get(f"/ops/privacy/erasure/{request.id}").get_data(as_text=True)
    assert "Goodbye" in shown and "1 live booking" in shown
    no_reason = post_form(staff, f"/ops/privacy/erasure/{request.id}/refuse", {"reason": "  "},
                          page=f"/ops/privacy/erasure/{request.id}")
    assert no_reason.status_code == 422 and db.session.get(ErasureRequest, request.id).state is ErasureState.REQUESTED
    done = post_form(staff, f"/ops/privacy/erasure/{request.id}/confirm", {"note": ""}, page="/ops/privacy")
    assert done.status_code == 302
    db.session.expire_all()
    request = db.session.get(ErasureRequest, request.id)
    assert request.state is ErasureState.DONE  # the task ran after the commit (eagerly in tests)
    assert db.session.get(Booking, booking.id).state is BookingState.CANCELLED
    answered = staff.get("/ops/privacy").get_data(as_text=True)
    assert "Erased" in answered and "Booking records" in answered
    log = staff.get("/ops/privacy/log").get_data(as_text=True)
    assert "Erasure asked for" in log and "Erasure confirmed" in log and "Erasure carried out" in log
    # The account is closed: its session no longer works.
    assert client.get("/account/privacy").status_code == 302


def test_a_refusal_is_told_to_the_tourist_with_its_reason(app, client, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    request = erasure.request_erasure(tourist, "", agreed=False)
    db.session.commit()
    staff = _client(app, ops)
    post_form(staff, f"/ops/privacy/erasure/{request.id}/refuse", {"reason": "A refund is <b>pending</b>."},
              page="/ops/privacy")
    db.session.expire_all()
    assert db.session.get(ErasureRequest, request.id).state is ErasureState.REFUSED
    email = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "privacy_erasure_refused",
                                                            OutboundMessage.channel == outbox.Channel.EMAIL)).one()
    assert "A refund is <b>pending</b>." in email.body
    login(client, tourist)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "A refund is &lt;b&gt;pending&lt;/b&gt;." in page and "See what erasure would mean" in page


def test_a_tourist_may_withdraw_before_operations_answer(client, make):
    tourist = make.user()
    request = erasure.request_erasure(tourist, "", agreed=False)
    db.session.commit()
    login(client, tourist)
    post_form(client, f"/account/privacy/erasure/{request.id}/withdraw", page="/account/privacy")
    db.session.expire_all()
    assert db.session.get(ErasureRequest, request.id).state is ErasureState.WITHDRAWN


def _snapshot():
    return (db.session.scalar(select(func.count()).select_from(PrivacyLog)),
            tuple(db.session.execute(select(ErasureRequest.id, ErasureRequest.state).order_by(ErasureRequest.id))),
            db.session.scalar(select(func.count()).select_from(DataExport)))


def test_every_privacy_route_against_every_role(app, make):
    tourist, other = make.user(), make.user()
    staff = {name: make.user(role) for name, role in STAFF.items()}
    mine = erasure.request_erasure(tourist, "", agreed=False)
    for_ops = erasure.request_erasure(other, "", agreed=False)
    db.session.commit()
    clients = {"anonymous": _client(app, None), "tourist": _client(app, tourist), "other tourist": _client(app, other),
               **{name: _client(app, user) for name, user in staff.items()}}
    tourists_only = {s: 403 for s in STAFF}
    ops_only = {"tourist": 403, "other tourist": 403, **{s: 403 for s in STAFF if s != "operations"}}
    routes = [
        # path, data, who may, what the others get (anonymous: sent to log in)
        ("/account/privacy/export", {}, {"tourist", "other tourist"}, tourists_only),
        (f"/account/privacy/erasure/{mine.id}/withdraw", {}, {"tourist"}, {"other tourist": 302, **tourists_only}),
        (f"/ops/privacy/erasure/{for_ops.id}/refuse", {"reason": "Not now"}, {"operations"}, ops_only),
        ("/ops/privacy/retention/run", {}, {"operations"}, ops_only),
    ]
    wrong = []
    for path, data, allowed, others in routes:
        for who in WHO:
            if who in allowed:
                continue
            expected = 302 if who == "anonymous" else others[who]
            before = _snapshot()
            response = post_form(clients[who], path, data, page="/account" if who != "anonymous" else "/login")
            if response.status_code != expected:
                wrong.append(f"{who} POST {path}: {response.status_code}, expected {expected}")
            if _snapshot() != before:
                wrong.append(f"{who} POST {path} changed something")
        for who in sorted(allowed):
            before = _snapshot()
            code = post_form(clients[who], path, data, page="/account").status_code
            if code != 302 or _snapshot() == before:
                wrong.append(f"{who} POST {path}: {code}, and it did not change what it should")
    assert not wrong, "\n".join(wrong)
    # The erasure request form: only tourists may ask; staff accounts are closed by operations.
    for who in STAFF:
        response = post_form(clients[who], "/account/privacy/erasure", {"agree": "y"}, page="/account")
        assert response.status_code == 403


def _queries(client, path) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def _activity(make, tourist, n):
    """Messages and requests that pages must not read one by one."""
    for _ in range(n):
        outbox.queue_email("password_reset", user=tourist, url="https://example.com/reset")
        someone = make.user()
        request = erasure.request_erasure(someone, "Bye", agreed=False)
        if _ % 2:
            erasure.refuse(request.id, make.user(Role.OPERATIONS), "Not yet")


def test_the_privacy_pages_queries_do_not_grow(app, client, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    make.booking(tourist)
    _activity(make, tourist, 2)
    db.session.info.pop("countdown_after_commit", None)
    db.session.commit()
    login(client, tourist)
    staff = _client(app, ops)
    small = (_queries(client, "/account/privacy"), _queries(client, "/account/privacy/erasure"),
             _queries(staff, "/ops/privacy"), _queries(staff, "/ops/privacy/log"))
    _activity(make, tourist, 8)
    db.session.info.pop("countdown_after_commit", None)
    db.session.commit()
    assert (_queries(client, "/account/privacy"), _queries(client, "/account/privacy/erasure"),
            _queries(staff, "/ops/privacy"), _queries(staff, "/ops/privacy/log")) == small


@pytest.mark.parametrize("language, words", [("de", "Ihre Daten"), ("fr", "Vos données")])
def test_the_privacy_page_speaks_the_tourists_language(client, make, language, words):
    tourist = make.user(language=language)
    db.session.commit()
    login(client, tourist)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert words in page and "What we keep, and why" not in page


def test_operations_see_a_booking_made_since_the_tourist_asked(app, make):
    tourist, ops = make.user(), make.user(Role.OPERATIONS)
    erasure.request_erasure(tourist, "", agreed=False)  # nothing live then: nothing to agree to
    make.booking(tourist)
    db.session.commit()
    request_id = db.session.scalar(select(ErasureRequest.id))
    page = _client(app, ops).get(f"/ops/privacy/erasure/{request_id}").get_data(as_text=True)
    assert "The tourist has 1 live booking now, made since they asked" in page
