"""The Stripe code path, through the official SDK, against localstripe run by these tests.

localstripe (see ``stripe_server.py``) serves on 127.0.0.1 on a free port from a thread of this
process, with its state file in a temporary directory; it is reset before every test and shut
down, its port released, at the end of the session. The app under test is a second app over the
suite's database with ``PAYMENTS_PROVIDER=stripe`` and ``STRIPE_API_BASE`` pointing at it. Data
is committed for real (requests, a live server and threads all use their own connections) and
the tables are emptied after each test.

What a browser does with Stripe.js is done here with the SDK: localstripe answers 500 to a
confirm that carries a ``payment_method``, so the card is put on the intent with an update and the
intent is confirmed without parameters. Every test checks the ledger: the Payment row, its
PaymentEvent history, WebhookEvent rows, the booking's state and events, and the emails queued.

On SQLite every transaction takes the write lock (``BEGIN IMMEDIATE``), so this module never keeps
a session open while a request, the live server or another thread needs the database: state is
read through :func:`snapshot`, which closes its session, and every request goes through a helper
that closes the test's session first.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import stripe
from sqlalchemy import func, select

from app.booking import bookings as booking_service
from app.documents import consent
from app.extensions import db
from app.models import (
    Booking,
    BookingEvent,
    BookingState,
    Channel,
    OutboundMessage,
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundKind,
    Role,
    User,
    WebhookEvent,
)
from app.payments import payments
from app.providers.payments import StripeProvider
from app.transactions import commit
from tests.conftest import Factory, empty_tables, login
from tests.services import in_ci

if importlib.util.find_spec("localstripe") is None:  # a test-only extra: pip install -e '.[test]'
    if in_ci():
        raise ImportError("localstripe is not installed; under CI=true this is a failure")
    pytest.skip("localstripe is not installed (pip install -e '.[test]')", allow_module_level=True)

from tests.integration.stripe_server import LocalStripe, event_payload, stripe_signature
from tests.integration.support import live_server, separate_app, wait_for

SECRET_KEY = "sk_test_12345"
WEBHOOK_SECRET = "whsec_test"
DEPOSIT, PRICE = 150_000_00, 450_000_00
S = PaymentStatus


# -- localstripe and the app ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    server = LocalStripe(tmp_path_factory.mktemp("localstripe"))
    server.start()
    port = server.port
    yield server
    server.stop()
    # Released: nothing answers on the port any more, and it can be bound again at once.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


@pytest.fixture(scope="session")
def sdk(localstripe) -> stripe.StripeClient:
    """The test's own SDK client: plays the browser (Stripe.js) and the Stripe dashboard."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe.base_url},
                               max_network_retries=0)


@pytest.fixture(scope="module")
def stripe_app(app, database_url, tmp_path_factory, localstripe):
    """A second app over the suite's (already migrated) database, paying through localstripe."""
    with separate_app(
        database_url, tmp_path_factory.mktemp("stripe-instance"), PAYMENTS_PROVIDER="stripe",
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=localstripe.base_url,
    ) as stripe_app:
        assert isinstance(stripe_app.extensions["countdown_payments"], StripeProvider)
        yield stripe_app


@pytest.fixture
def ctx(stripe_app, localstripe):
    """The stripe app's request context for the test; localstripe and the tables start empty."""
    localstripe.reset()
    with stripe_app.test_request_context("/"):
        try:
            yield stripe_app
        finally:
            db.session.remove()
            empty_tables()


# -- helpers --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deposit:
    payment_id: int
    booking_id: int
    reference: str
    user_id: int
    email: str
    intent_id: str


def deposit_ready() -> Deposit:
    """A tourist with a live hold and signed consent who has started paying the deposit."""
    from datetime import timedelta

    from app.timeutil import now_utc

    factory = Factory()
    document = factory.consent_document()
    tourist = factory.user()
    # The balance falls due months ahead: room for monthly installments.
    flight = factory.flight(seat_count=2, price_minor=PRICE, deposit_minor=DEPOSIT, currency="USD",
                            launch_at=now_utc() + timedelta(days=200))
    booking = booking_service.hold_seat(flight.id, tourist)
    consent.sign(booking, tourist, version_id=document.id, signed_name=tourist.name,
                 ip_address="127.0.0.1", user_agent="pytest")
    payment = payments.start_deposit(booking, tourist)
    commit()
    deposit = Deposit(payment.id, booking.id, booking.reference, tourist.id, tourist.email,
                      payment.provider_payment_id)
    db.session.remove()
    return deposit


def pay_in_localstripe(sdk, intent_id: str, payment_method: str = "pm_card_visa"):
    """What Stripe.js does on the checkout page: put the card on the intent and confirm it."""
    sdk.v1.payment_intents.update(intent_id, {"payment_method": payment_method})
    return sdk.v1.payment_intents.confirm(intent_id)


def settle(d: Deposit) -> None:
    """Apply the provider's intent, as the browser's return does."""
    db.session.remove()
    payments.sync_payment(db.session.get(Payment, d.payment_id))
    commit()
    db.session.remove()


def stripe_event(sdk, event_type: str, intent_id: str) -> tuple[str, bytes]:
    """localstripe's own event of ``event_type`` for the intent: its id and its body as sent."""
    found = [e for e in sdk.v1.events.list({"type": event_type}).data
             if e.data.object.id == intent_id]
    assert len(found) == 1, found
    return found[0].id, json.dumps(found[0].to_dict()).encode()


def signed_post(client, payload: bytes, signature: str | None = "sign"):
    """POST a webhook body, signed exactly as Stripe signs it unless a signature is given."""
    db.session.remove()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = stripe_signature(payload, WEBHOOK_SECRET)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=payload, headers=headers)


def get(client, url: str):
    db.session.remove()
    return client.get(url)


def logged_in(stripe_app, d: Deposit):
    db.session.remove()
    client = stripe_app.test_client()
    login(client, d.email)
    return client


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def snapshot(d: Deposit) -> SimpleNamespace:
    """The money and the booking as the database has them now, as plain values."""
    db.session.remove()
    payment = db.session.get(Payment, d.payment_id)
    booking = db.session.get(Booking, d.booking_id)
    ledger = payments.ledgers([booking])[booking.id]

    def mails(kind: str) -> int:
        return db.session.scalar(select(func.count(OutboundMessage.id)).where(
            OutboundMessage.user_id == d.user_id, OutboundMessage.kind == kind,
            OutboundMessage.channel == Channel.EMAIL))

    snap = SimpleNamespace(
        status=payment.status, last_error=payment.last_error, attempts=payment.attempts,
        paid_at=payment.paid_at, charge_id=payment.provider_charge_id,
        refunded_minor=payment.refunded_minor, disputed_at=payment.disputed_at,
        events=[(e.kind, e.amount_minor) for e in db.session.scalars(
            select(PaymentEvent).where(PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.id))],
        booking_state=booking.state,
        confirmations=db.session.scalar(select(func.count(BookingEvent.id)).where(
            BookingEvent.booking_id == booking.id, BookingEvent.to_state == BookingState.CONFIRMED)),
        receipts=mails("payment_receipt"), failure_mails=mails("reminder_charge_failed"),
        webhooks=db.session.execute(
            select(WebhookEvent.event_id, WebhookEvent.type).order_by(WebhookEvent.id)).all(),
        paid_minor=ledger.paid_minor, ledger_refunded_minor=ledger.refunded_minor,
        outstanding_minor=ledger.outstanding_minor, deposit_paid=ledger.deposit_paid,
    )
    db.session.remove()
    return snap


def assert_untouched(snap: SimpleNamespace) -> None:
    """The deposit is where start_deposit left it: pending, nothing paid, the seat only held."""
    assert (snap.status, snap.paid_at, snap.charge_id) == (S.PENDING, None, None)
    assert snap.events == [("intent_created", DEPOSIT)]
    assert (snap.booking_state, snap.confirmations, snap.receipts) == (BookingState.HELD, 0, 0)
    assert (snap.paid_minor, snap.deposit_paid, snap.outstanding_minor) == (0, False, PRICE)


def assert_paid_once(snap: SimpleNamespace) -> None:
    assert snap.status is S.SUCCEEDED and snap.paid_at is not None and snap.charge_id
    assert [kind for kind, _ in snap.events].count("succeeded") == 1
    assert ("succeeded", DEPOSIT) in snap.events and snap.failure_mails == 0
    assert (snap.booking_state, snap.confirmations, snap.receipts) == (BookingState.CONFIRMED, 1, 1)
    assert (snap.paid_minor, snap.deposit_paid, snap.outstanding_minor) == (DEPOSIT, True, PRICE - DEPOSIT)


# -- 1. the deposit -------------------------------------------------------------------------------

def test_deposit_through_stripe_confirms_the_booking_on_return(ctx, localstripe, sdk):
    d = deposit_ready()

    # Starting again (a double click, a reload) reuses the payment row and its intent.
    booking, tourist = db.session.get(Booking, d.booking_id), db.session.get(User, d.user_id)
    again = payments.start_deposit(booking, tourist)
    assert (again.id, again.provider_payment_id) == (d.payment_id, d.intent_id)
    commit()
    key = f"countdown-payment-{d.payment_id}"
    creates = [k for method, path, k in localstripe.requests if (method, path) == ("POST", "/v1/payment_intents")]
    assert creates == [key], "one create, carrying the payment row's idempotency key"

    intents = sdk.v1.payment_intents.list().data
    assert [i.id for i in intents] == [d.intent_id]
    intent = intents[0]
    assert (intent.amount, intent.currency, intent.status) == (DEPOSIT, "usd", "requires_payment_method")
    assert intent.metadata.to_dict() == {"payment_id": str(d.payment_id), "booking_id": str(d.booking_id),
                                         "kind": "deposit"}
    assert intent.receipt_email == d.email

    # The same create sent again with the same key (a retry after a lost answer) gives back the
    # same intent, and the key cannot be reused for another amount.
    replay = payments.provider().create_intent(db.session.get(Payment, d.payment_id), customer_email=d.email)
    assert replay.id == d.intent_id and [i.id for i in sdk.v1.payment_intents.list().data] == [d.intent_id]
    raw = sdk.v1.payment_intents.create(
        params={"amount": DEPOSIT, "currency": "usd", "payment_method_types": ["card"],
                "receipt_email": d.email, "metadata": intent.metadata.to_dict()},
        options={"idempotency_key": key})
    assert raw.id == d.intent_id and raw.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        sdk.v1.payment_intents.create(params={"amount": 1_00, "currency": "usd"},
                                      options={"idempotency_key": key})
    assert len(sdk.v1.payment_intents.list().data) == 1

    confirmed = pay_in_localstripe(sdk, d.intent_id)
    assert confirmed.status == "succeeded"
    assert_untouched(snapshot(d))  # paid at Stripe, but nothing is applied until we look

    client = logged_in(ctx, d)
    response = get(client, f"/payments/{d.payment_id}/return")
    assert response.status_code == 302 and response.location.endswith(f"/bookings/{d.reference}")
    assert any("your payment went through" in m for m in flashes(client))
    paid = snapshot(d)
    assert_paid_once(paid)
    assert paid.charge_id == confirmed.latest_charge.id
    assert paid.events == [("intent_created", DEPOSIT), ("succeeded", DEPOSIT)]

    # Coming back again (a reload) applies nothing twice.
    assert get(client, f"/payments/{d.payment_id}/return").status_code == 302
    assert snapshot(d) == paid


def test_a_declined_card_fails_the_payment_and_keeps_the_hold(ctx, sdk):
    d = deposit_ready()
    with pytest.raises(stripe.CardError) as declined:
        pay_in_localstripe(sdk, d.intent_id, "pm_card_chargeCustomerFail")
    assert declined.value.code == "card_declined"

    client = logged_in(ctx, d)
    response = get(client, f"/payments/{d.payment_id}/return")
    assert response.status_code == 302 and response.location.endswith(f"/payments/{d.payment_id}/checkout")
    assert any("Your card was declined." in m for m in flashes(client))
    snap = snapshot(d)
    assert (snap.status, snap.last_error, snap.attempts) == (S.FAILED, "Your card was declined.", 1)
    assert snap.events == [("intent_created", DEPOSIT), ("failed", DEPOSIT)]
    # Declined at the checkout, which says so: no "automatic charge" message.
    assert (snap.booking_state, snap.confirmations, snap.receipts, snap.failure_mails) == (
        BookingState.HELD, 0, 0, 0)
    assert (snap.paid_minor, snap.deposit_paid, snap.paid_at) == (0, False, None)


# -- 3. webhooks ----------------------------------------------------------------------------------

def test_a_webhook_is_only_a_hint_the_intent_is_fetched_again(ctx, sdk):
    """A validly signed event whose object claims success for an intent localstripe has unpaid."""
    d = deposit_ready()
    claim = sdk.v1.payment_intents.retrieve(d.intent_id).to_dict()
    claim.update(status="succeeded", amount_received=DEPOSIT)
    response = signed_post(ctx.test_client(),
                           event_payload("evt_claim", "payment_intent.succeeded", claim))
    assert (response.status_code, response.get_json()["outcome"]) == (200, "unchanged")
    snap = snapshot(d)
    assert_untouched(snap)
    assert snap.webhooks == [("evt_claim", "payment_intent.succeeded")]
    assert sdk.v1.payment_intents.retrieve(d.intent_id).status == "requires_payment_method"


def test_a_succeeded_event_delivered_twice_is_applied_once(ctx, sdk):
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)
    event_id, payload = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    client = ctx.test_client()
    outcomes = [signed_post(client, payload).get_json()["outcome"] for _ in range(2)]
    assert outcomes == ["applied", "duplicate"]
    snap = snapshot(d)
    assert_paid_once(snap)
    assert snap.webhooks == [(event_id, "payment_intent.succeeded")]


@pytest.mark.parametrize("failure_first", [False, True], ids=["failed-after-succeeded", "failed-before-succeeded"])
def test_a_late_payment_failed_event_never_undoes_a_success(ctx, sdk, failure_first):
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)
    succeeded_id, succeeded = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    stale = sdk.v1.payment_intents.retrieve(d.intent_id).to_dict()  # as it looked after a decline
    stale.update(status="requires_payment_method", latest_charge=None,
                 last_payment_error={"code": "card_declined", "message": "Your card was declined."})
    failed = event_payload("evt_stale_failure", "payment_intent.payment_failed", stale)
    client = ctx.test_client()
    order = [failed, succeeded] if failure_first else [succeeded, failed]
    outcomes = [signed_post(client, payload).get_json()["outcome"] for payload in order]
    # Whichever arrives first applies what Stripe says *now* (succeeded); the second finds it done.
    assert outcomes == ["applied", "unchanged"]
    snap = snapshot(d)
    assert_paid_once(snap)
    assert (snap.last_error, snap.attempts) == ("", 0)
    assert {event_id for event_id, _ in snap.webhooks} == {succeeded_id, "evt_stale_failure"}


@pytest.mark.parametrize("forgery", ["stale", "future", "wrong-secret", "tampered-body", "no-signature"])
def test_a_webhook_that_fails_verification_changes_nothing(ctx, sdk, forgery):
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)  # so that an accepted event *would* apply the payment
    _, payload = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    body, signature = payload, stripe_signature(payload, WEBHOOK_SECRET)
    if forgery == "stale":  # correctly signed, 301 s ago: past the 300 s tolerance
        signature = stripe_signature(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    elif forgery == "future":  # correctly signed, dated 10 minutes ahead: beyond any clock skew
        signature = stripe_signature(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + 600)
    elif forgery == "wrong-secret":
        signature = stripe_signature(payload, "whsec_someone_else")
    elif forgery == "tampered-body":
        body = payload.replace(b'"livemode": false', b'"livemode": true')
        assert body != payload
    else:
        signature = None
    response = signed_post(ctx.test_client(), body, signature)
    assert response.status_code == 400
    snap = snapshot(d)
    assert_untouched(snap)
    assert snap.webhooks == []


@pytest.mark.parametrize("age", [280, -60], ids=["280-s-old", "a-minute-ahead"])
def test_a_webhook_signed_just_inside_the_tolerance_is_accepted(ctx, sdk, age):
    """Old, but not too old; or from a clock a little ahead of ours."""
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)
    _, payload = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    signature = stripe_signature(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - age)
    assert signed_post(ctx.test_client(), payload, signature).get_json()["outcome"] == "applied"
    assert_paid_once(snapshot(d))


def test_a_signed_event_naming_an_intent_stripe_does_not_know_changes_nothing(ctx, sdk):
    d = deposit_ready()
    intent = sdk.v1.payment_intents.retrieve(d.intent_id).to_dict()
    intent["id"] = "pi_" + "0" * 24  # signed correctly, but Stripe has no such intent
    response = signed_post(ctx.test_client(), event_payload("evt_unknown_pi", "payment_intent.succeeded", intent))
    assert (response.status_code, response.get_json()["outcome"]) == (200, "unknown intent")
    assert_untouched(snapshot(d))


@pytest.mark.parametrize("body", [
    {"id": "evt_no_data", "type": "payment_intent.succeeded"},
    {"id": "evt_list", "type": "payment_intent.succeeded", "data": {"object": ["pi_1"]}},
    {"id": "evt_int_id", "type": "payment_intent.succeeded", "data": {"object": {"id": 12345}}},
    {"id": "e" * 300, "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
    ["not", "an", "event"],
], ids=["no-data", "object-is-a-list", "id-is-a-number", "id-too-long", "a-list"])
def test_a_signed_event_of_another_shape_is_refused_and_changes_nothing(ctx, sdk, body):
    d = deposit_ready()
    response = signed_post(ctx.test_client(), json.dumps(body).encode())
    assert response.status_code == 400
    snap = snapshot(d)
    assert_untouched(snap)
    assert snap.webhooks == []


def test_an_unknown_event_type_is_acknowledged_and_changes_nothing(ctx, sdk):
    d = deposit_ready()
    paid = pay_in_localstripe(sdk, d.intent_id)
    charge = sdk.v1.charges.retrieve(paid.latest_charge.id).to_dict()
    response = signed_post(ctx.test_client(), event_payload("evt_other", "charge.succeeded", charge))
    assert (response.status_code, response.get_json()["outcome"]) == (200, "ignored")
    snap = snapshot(d)
    assert_untouched(snap)
    assert snap.webhooks == [("evt_other", "charge.succeeded")]  # remembered, so never redone


def test_a_refund_made_at_stripe_reaches_the_ledger(ctx, sdk):
    """localstripe never sends charge.refunded: the event is signed here, around its real charge."""
    d = deposit_ready()
    paid = pay_in_localstripe(sdk, d.intent_id)
    settle(d)
    outside = sdk.v1.refunds.create({"payment_intent": d.intent_id, "amount": 40_000_00})
    assert outside.status == "succeeded"
    charge = sdk.v1.charges.retrieve(paid.latest_charge.id).to_dict()
    assert charge["amount_refunded"] == 40_000_00
    charge.update(amount_refunded=DEPOSIT, refunded=True)  # the payload lies; Stripe is asked
    client = ctx.test_client()
    first = signed_post(client, event_payload("evt_refund_1", "charge.refunded", charge))
    assert first.get_json()["outcome"] == "refund recorded"
    again = signed_post(client, event_payload("evt_refund_2", "charge.refunded", charge))
    assert again.get_json()["outcome"] == "unchanged"
    snap = snapshot(d)
    assert snap.status is S.SUCCEEDED
    assert (snap.refunded_minor, snap.ledger_refunded_minor) == (40_000_00, 40_000_00)
    assert snap.events == [("intent_created", DEPOSIT), ("succeeded", DEPOSIT), ("refunded_outside", 40_000_00)]
    # Recorded as the provider's refund (shown under the payment, told to the tourist), never
    # sent to Stripe again.
    refunds = db.session.execute(select(Refund.kind, Refund.amount_minor, Refund.status)).all()
    assert [tuple(r) for r in refunds] == [(RefundKind.PROVIDER, 40_000_00, "succeeded")]
    db.session.remove()


def test_a_dispute_flags_the_payment(ctx, sdk, monkeypatch):
    """localstripe has no disputes (no /v1/disputes): the provider's lookup of the disputed charge
    is replaced; everything else, the charge's payment included, is real."""
    d = deposit_ready()
    paid = pay_in_localstripe(sdk, d.intent_id)
    settle(d)
    with pytest.raises(stripe.APIError) as no_such_route:  # why the lookup below is replaced
        sdk.v1.disputes.retrieve("dp_test_1")
    assert no_such_route.value.http_status == 404
    asked: list[str] = []

    def dispute_charge(provider, dispute_id):
        asked.append(dispute_id)
        return paid.latest_charge.id

    monkeypatch.setattr(StripeProvider, "retrieve_dispute_charge", dispute_charge)
    dispute = {"id": "dp_test_1", "object": "dispute", "charge": paid.latest_charge.id,
               "amount": DEPOSIT, "currency": "usd", "reason": "fraudulent", "status": "needs_response"}
    client = ctx.test_client()
    outcomes = [signed_post(client, event_payload(event_id, "charge.dispute.created", dispute)).get_json()["outcome"]
                for event_id in ("evt_dispute_1", "evt_dispute_2")]
    assert outcomes == ["dispute flagged", "dispute flagged"] and asked == ["dp_test_1", "dp_test_1"]
    snap = snapshot(d)
    assert snap.disputed_at is not None and snap.status is S.SUCCEEDED
    assert snap.events == [("intent_created", DEPOSIT), ("succeeded", DEPOSIT), ("disputed", DEPOSIT)]
    detail = db.session.scalar(select(PaymentEvent.detail).where(PaymentEvent.kind == "disputed"))
    db.session.remove()
    assert detail == "dp_test_1"


def test_localstripe_delivers_the_webhook_that_applies_the_payment(ctx, localstripe, sdk):
    """No return page: localstripe itself POSTs the signed event to a live server, a second later."""
    d = deposit_ready()
    with live_server(ctx) as url:
        localstripe.register_webhook("countdown", f"{url}/webhooks/stripe", WEBHOOK_SECRET,
                                     ["payment_intent.succeeded"])
        pay_in_localstripe(sdk, d.intent_id)
        wait_for(lambda: db.session.get(Payment, d.payment_id).status is S.SUCCEEDED,
                 timeout=10, what="localstripe's webhook to apply the deposit")
        db.session.remove()
    event_id, _ = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    snap = snapshot(d)
    assert_paid_once(snap)
    assert snap.webhooks == [(event_id, "payment_intent.succeeded")]


# -- 4. the browser's return and the webhook at once ----------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_return_and_webhook_at_the_same_moment_apply_once(ctx, sdk, monkeypatch, attempt):
    """Both are released together, and both fetch the succeeded intent before either applies it
    (a second barrier inside the provider's fetch), so both really reach apply_intent; the row
    lock lets one apply and the other find it done. PostgreSQL only: on SQLite the first
    transaction holds the database's write lock while it waits at that barrier."""
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)
    event_id, payload = stripe_event(sdk, "payment_intent.succeeded", d.intent_id)
    signature = stripe_signature(payload, WEBHOOK_SECRET)
    browser, stripe_side = logged_in(ctx, d), ctx.test_client()

    fetched = threading.Barrier(2, timeout=10)
    fetch = StripeProvider.retrieve_intent

    def fetch_then_wait(provider, intent_id):
        intent = fetch(provider, intent_id)
        fetched.wait()
        return intent

    monkeypatch.setattr(StripeProvider, "retrieve_intent", fetch_then_wait)
    start = threading.Barrier(2, timeout=10)

    def come_back():
        start.wait()
        return browser.get(f"/payments/{d.payment_id}/return").status_code

    def deliver():
        start.wait()
        response = stripe_side.post("/webhooks/stripe", data=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": signature})
        return response.status_code, response.get_json()["outcome"]

    db.session.remove()
    with ThreadPoolExecutor(max_workers=2) as pool:
        returned, delivered = pool.submit(come_back), pool.submit(deliver)
        assert returned.result(30) == 302
        status, outcome = delivered.result(30)
    assert status == 200 and outcome in ("applied", "unchanged")
    snap = snapshot(d)
    assert_paid_once(snap)
    assert snap.events == [("intent_created", DEPOSIT), ("succeeded", DEPOSIT)]
    assert snap.webhooks == [(event_id, "payment_intent.succeeded")]


# -- 5. refunds -----------------------------------------------------------------------------------

def test_a_refund_through_stripe_is_made_once(ctx, localstripe, sdk):
    d = deposit_ready()
    paid = pay_in_localstripe(sdk, d.intent_id)
    settle(d)
    operator = Factory().user(Role.OPERATIONS)
    refund = payments.refund_payment(db.session.get(Payment, d.payment_id), 50_000_00,
                                     reason="goodwill", actor=operator)
    commit()
    refund_id, provider_refund_id, key = refund.id, refund.provider_refund_id, refund.idempotency_key

    remote = sdk.v1.refunds.list({"payment_intent": d.intent_id}).data
    assert [(r.id, r.amount, r.status) for r in remote] == [(provider_refund_id, 50_000_00, "succeeded")]
    assert remote[0].metadata.to_dict() == {"refund_key": key}

    # The same request again with the same Refund row (a retry after a lost answer): Stripe
    # answers with the first refund and refunds nothing more.
    db.session.remove()
    again = payments.provider().refund(db.session.get(Payment, d.payment_id), db.session.get(Refund, refund_id))
    db.session.remove()
    assert again == provider_refund_id
    assert [r.id for r in sdk.v1.refunds.list({"payment_intent": d.intent_id}).data] == [provider_refund_id]
    assert sdk.v1.charges.retrieve(paid.latest_charge.id).amount_refunded == 50_000_00
    sent = [k for method, path, k in localstripe.requests if (method, path) == ("POST", "/v1/refunds")]
    assert sent == [key, key] == [f"countdown-refund-{d.payment_id}-1"] * 2

    # Stripe's charge.refunded for our own refund is not counted a second time as an outside one.
    charge = sdk.v1.charges.retrieve(paid.latest_charge.id).to_dict()
    outcome = signed_post(ctx.test_client(), event_payload("evt_own_refund", "charge.refunded", charge))
    assert outcome.get_json()["outcome"] == "unchanged"

    snap = snapshot(d)
    assert (snap.status, snap.refunded_minor, snap.ledger_refunded_minor) == (S.SUCCEEDED, 50_000_00, 50_000_00)
    assert snap.events == [("intent_created", DEPOSIT), ("succeeded", DEPOSIT), ("refunded", 50_000_00)]
    rows = db.session.execute(select(Refund.id, Refund.provider_refund_id, Refund.status, Refund.amount_minor)).all()
    db.session.remove()
    assert rows == [(refund_id, provider_refund_id, "succeeded", 50_000_00)]


# -- saved cards and automatic installments -------------------------------------------------------

def saved_card_plan(sdk, d: Deposit, card: str) -> list[int]:
    """Deposit paid, a card saved through a SetupIntent as Stripe.js would, two installments."""
    from datetime import timedelta

    from app.payments import installments
    from app.timeutil import now_utc

    pay_in_localstripe(sdk, d.intent_id)
    settle(d)
    provider = payments.provider()
    booking = db.session.get(Booking, d.booking_id)
    user = booking.user
    user.stripe_customer_id = provider.ensure_customer(user.email, user.name, user.stripe_customer_id)
    setup_id, client_secret = provider.start_card_setup(user.stripe_customer_id, booking.id)
    assert client_secret
    sdk.v1.setup_intents.confirm(setup_id, {"payment_method": card})
    token, last4 = provider.finish_card_setup(setup_id)
    installments.save_card(booking, user, token=token, last4=last4)
    plan = installments.plan_balance(booking, user, 2)
    plan.payments[0].due_at = now_utc() - timedelta(minutes=1)
    commit()
    ids = [p.id for p in plan.payments]
    db.session.remove()
    return ids


def test_an_installment_is_charged_off_session_from_the_saved_card(ctx, sdk):
    from app.payments import installments

    d = deposit_ready()
    first, second = saved_card_plan(sdk, d, "pm_card_visa")
    assert installments.due_payment_ids() == [first]
    assert installments.charge(first) == "charged"
    commit()
    payment = db.session.get(Payment, first)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.provider_payment_id.startswith("pi_")
    intent = sdk.v1.payment_intents.retrieve(payment.provider_payment_id)
    assert intent.status == "succeeded" and intent.amount == payment.amount_minor
    assert db.session.get(Payment, second).status is PaymentStatus.SCHEDULED
    assert installments.charge(first) == "not due"  # a second task does nothing


def test_a_declined_off_session_charge_is_retried_later(ctx, sdk):
    from app.payments import installments

    d = deposit_ready()
    first, _second = saved_card_plan(sdk, d, "pm_card_chargeCustomerFail")
    outcome = installments.charge(first)
    commit()
    payment = db.session.get(Payment, first)
    assert outcome in ("declined", "provider error")
    assert payment.status is PaymentStatus.FAILED and payment.attempts == 1
    assert payment.next_attempt_at is not None


@pytest.mark.parametrize("setup_intent", ["seti_" + "0" * 24, "not-a-setup-intent", "seti_" + "x" * 400])
def test_coming_back_with_a_setup_intent_stripe_does_not_know_saves_no_card(ctx, sdk, setup_intent):
    """The card page's return address is typed by the browser: an unknown or forged setup id is
    told as "not saved", never a 500, and no card is kept."""
    d = deposit_ready()
    pay_in_localstripe(sdk, d.intent_id)
    settle(d)
    client = logged_in(ctx, d)
    response = get(client, f"/bookings/{d.reference}/card/return?setup_intent={setup_intent}&installments=2")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{d.reference}")
    assert "The card was not saved. Please try again." in flashes(client)
    assert db.session.get(Booking, d.booking_id).card_last4 is None
    assert db.session.scalar(select(func.count(Payment.id)).where(
        Payment.booking_id == d.booking_id, Payment.kind == PaymentKind.INSTALLMENT)) == 0


# -- erasure --------------------------------------------------------------------------------------

def test_erasing_a_tourists_data_deletes_their_customer_at_stripe(ctx, sdk):
    from app import personal_data

    d = deposit_ready()
    provider = payments.provider()
    user = db.session.get(Booking, d.booking_id).user
    user.stripe_customer_id = provider.ensure_customer(user.email, user.name, None)
    customer_id = user.stripe_customer_id
    assert sdk.v1.customers.retrieve(customer_id).email == user.email
    personal_data.part("payments").erase(user, None)
    try:  # Stripe answers a deleted customer with "deleted": true, localstripe with a 404
        assert sdk.v1.customers.retrieve(customer_id).get("deleted") is True
    except stripe.InvalidRequestError as exc:
        assert exc.http_status == 404
    provider.forget_customer(customer_id)  # the part run again after a crash: one already gone is done
