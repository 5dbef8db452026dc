"""SMS through Twilio: the official SDK against a local HTTP server, and Twilio's webhooks.

pytest-httpserver stands in for ``api.twilio.com``: the provider is built with ``TWILIO_API_BASE``
pointing at it, and every test looks at the request the SDK really sent (form fields, Basic auth,
query string). The webhooks are posted as Twilio posts them, signed with
``RequestValidator.compute_signature`` over ``BASE_URL`` + the path, or signed wrong.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from email.utils import format_datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug import Response

from app.config import ConfigError, load_config
from app.desk import conversations
from app.extensions import db
from app.messaging import delivery, preferences
from app.models import (
    Channel,
    Conversation,
    ConversationMessage,
    MessageStatus,
    OutboundMessage,
    PhoneVerification,
    Role,
    SmsOptOut,
    Topic,
    WebhookEvent,
)
from app.providers.messaging import DeliveryError, TwilioSmsProvider
from app.timeutil import now_utc
from tests.integration.support import separate_app

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
FROM_NUMBER = "+12025550100"
SERVICE_SID = "MG" + "b2" * 16
TOURIST = "+14155552671"
BASE = "http://countdown.test"  # BASE_URL of the test app
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
STATUS_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"


# -- Twilio's API, played by pytest-httpserver --------------------------------------------------------

class FakeTwilio:
    """Records what the SDK sent; answers with the JSON given to :meth:`answer`."""

    def __init__(self, httpserver) -> None:
        self.server = httpserver
        self.requests: list[dict] = []

    def answer(self, method: str, payload: dict, status: int = 200) -> None:
        def handler(request):
            self.requests.append({
                "method": request.method, "path": request.path,
                "form": request.form.to_dict(), "args": request.args.to_dict(),
                "authorization": request.headers.get("Authorization", ""),
            })
            return Response(json.dumps(payload), status=status, content_type="application/json")

        self.server.expect_request(MESSAGES_PATH, method=method).respond_with_handler(handler)


def message_json(sid: str, body: str, to: str = TOURIST, created=None) -> dict:
    created = format_datetime(created or now_utc(), usegmt=True)
    return {
        "sid": sid, "account_sid": ACCOUNT_SID, "to": to, "from": FROM_NUMBER, "body": body,
        "status": "queued", "direction": "outbound-api", "num_segments": "1",
        "date_created": created, "date_updated": created, "date_sent": None,
        "messaging_service_sid": None, "error_code": None, "error_message": None,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


@pytest.fixture
def twilio(app, httpserver, monkeypatch):
    """Twilio configured on the app, its API at the local server; returns the FakeTwilio."""
    for key, value in {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE": httpserver.url_for("/").rstrip("/"),
    }.items():
        monkeypatch.setitem(app.config, key, value)
    fake = FakeTwilio(httpserver)
    fake.install = lambda: monkeypatch.setitem(  # the provider the deliver path uses
        app.extensions["countdown_messaging"], Channel.SMS, TwilioSmsProvider(app)
    )
    return fake


def sms_row(**kw) -> OutboundMessage:
    values = dict(
        channel=Channel.SMS, recipient=TOURIST, body="Countdown: your seat hold ends in 10 minutes.",
        kind="test_sms", status=MessageStatus.QUEUED, send_at=now_utc() - timedelta(minutes=1),
    )
    values.update(kw)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.flush()
    return message


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


# -- sending ------------------------------------------------------------------------------------------

def test_deliver_sends_through_the_sdk_from_the_number_with_the_status_callback(app, db_session, twilio):
    twilio.answer("POST", message_json("SM" + "1" * 32, "x"), status=201)
    twilio.install()
    message = sms_row()

    assert delivery.deliver(message.id) is MessageStatus.SENT

    [sent] = twilio.requests
    assert sent["method"] == "POST" and sent["path"] == MESSAGES_PATH
    assert sent["form"] == {
        "To": TOURIST, "From": FROM_NUMBER, "Body": "Countdown: your seat hold ends in 10 minutes.",
        "StatusCallback": BASE + STATUS_PATH,
    }
    assert sent["authorization"] == basic_auth()
    db.session.refresh(message)
    assert (message.status, message.provider, message.provider_message_id) == (
        MessageStatus.SENT, "twilio", "SM" + "1" * 32
    )


def test_a_messaging_service_sends_instead_of_a_number(app, db_session, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_MESSAGING_SERVICE_SID", SERVICE_SID)
    twilio.answer("POST", message_json("SM" + "2" * 32, "x"), status=201)
    message = sms_row(body="Grüße aus dem Orbit 🚀")

    assert TwilioSmsProvider(app).send(message) == "SM" + "2" * 32

    [sent] = twilio.requests
    assert sent["form"] == {
        "To": TOURIST, "MessagingServiceSid": SERVICE_SID, "Body": "Grüße aus dem Orbit 🚀",
        "StatusCallback": BASE + STATUS_PATH,
    }
    assert sent["authorization"] == basic_auth()


def test_a_twilio_error_is_a_delivery_error_with_its_code_and_no_number(app, db_session, twilio):
    twilio.answer("POST", {
        "code": 21211, "message": f"The 'To' number {TOURIST} is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400,
    }, status=400)
    message = sms_row()
    with pytest.raises(DeliveryError) as info:
        TwilioSmsProvider(app).send(message)
    assert "21211" in str(info.value) and "400" in str(info.value)
    assert TOURIST not in str(info.value) and message.body not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__

    # Through the deliver path: failed, with the code, where operations can resend it.
    twilio.install()
    assert delivery.deliver(message.id) is MessageStatus.FAILED
    db.session.refresh(message)
    assert "21211" in message.error and TOURIST not in message.error


def test_twilio_unreachable_is_a_delivery_error(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setitem(app.config, "TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(DeliveryError, match="could not be reached"):
        TwilioSmsProvider(app).send(sms_row())


def test_an_opted_out_number_gets_no_sms(app, db_session, twilio):
    twilio.install()
    preferences.record_opt_out(TOURIST, "STOP")
    message = sms_row()

    assert delivery.deliver(message.id) is MessageStatus.DROPPED
    assert twilio.requests == []
    db.session.refresh(message)
    assert "STOP" in message.note


# -- after a worker died mid-send -----------------------------------------------------------------------

def test_find_sent_returns_the_sid_of_the_message_with_the_same_text(app, db_session, twilio):
    claimed = now_utc() - timedelta(minutes=10)
    message = sms_row(status=MessageStatus.SENDING, claimed_at=claimed)
    twilio.answer("GET", {
        "messages": [
            message_json("SM" + "a" * 32, "Another message", created=claimed),
            message_json("SM" + "b" * 32, message.body, created=claimed + timedelta(seconds=2)),
        ],
        "end": 1, "first_page_uri": MESSAGES_PATH, "next_page_uri": None, "page": 0,
        "page_size": 50, "previous_page_uri": None, "start": 0, "uri": MESSAGES_PATH,
    })

    assert TwilioSmsProvider(app).find_sent(message) == "SM" + "b" * 32

    [asked] = twilio.requests
    assert asked["method"] == "GET" and asked["authorization"] == basic_auth()
    assert asked["args"]["To"] == TOURIST
    # no DateSent filter: a message still queued at Twilio has none, and must be found too
    assert not any(key.startswith("DateSent") for key in asked["args"])


def test_find_sent_ignores_the_same_text_sent_before_the_claim(app, db_session, twilio):
    claimed = now_utc() - timedelta(minutes=10)
    message = sms_row(status=MessageStatus.SENDING, claimed_at=claimed)
    twilio.answer("GET", {
        "messages": [message_json("SM" + "d" * 32, message.body, created=claimed - timedelta(hours=2))],
        "end": 0, "first_page_uri": MESSAGES_PATH, "next_page_uri": None, "page": 0,
        "page_size": 50, "previous_page_uri": None, "start": 0, "uri": MESSAGES_PATH,
    })
    assert TwilioSmsProvider(app).find_sent(message) is None


def test_find_sent_is_none_when_twilio_has_no_such_message(app, db_session, twilio):
    message = sms_row(status=MessageStatus.SENDING, claimed_at=now_utc() - timedelta(minutes=10))
    twilio.answer("GET", {
        "messages": [message_json("SM" + "c" * 32, "Something else")],
        "end": 0, "first_page_uri": MESSAGES_PATH, "next_page_uri": None, "page": 0,
        "page_size": 50, "previous_page_uri": None, "start": 0, "uri": MESSAGES_PATH,
    })
    assert TwilioSmsProvider(app).find_sent(message) is None


def test_find_sent_raises_when_twilio_cannot_be_asked(app, db_session, twilio):
    message = sms_row(status=MessageStatus.SENDING, claimed_at=now_utc() - timedelta(minutes=10))
    twilio.answer("GET", {"code": 20500, "message": "Internal error", "status": 500}, status=500)
    with pytest.raises(DeliveryError, match="20500"):
        TwilioSmsProvider(app).find_sent(message)


def test_recovery_marks_an_interrupted_send_sent_when_twilio_has_it(app, db_session, twilio):
    twilio.install()
    claimed = now_utc() - timedelta(minutes=30)
    message = sms_row(status=MessageStatus.SENDING, claimed_at=claimed, attempts=1, provider="twilio")
    twilio.answer("GET", {
        "messages": [message_json("SM" + "d" * 32, message.body, created=claimed)],
        "end": 0, "first_page_uri": MESSAGES_PATH, "next_page_uri": None, "page": 0,
        "page_size": 50, "previous_page_uri": None, "start": 0, "uri": MESSAGES_PATH,
    })
    delivery.recover_stale()
    db.session.flush()
    db.session.refresh(message)
    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, "SM" + "d" * 32)
    assert [r["method"] for r in twilio.requests] == ["GET"]  # asked, not sent again


# -- webhooks -----------------------------------------------------------------------------------------

@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    return AUTH_TOKEN


def twilio_post(client, path: str, params: dict, *, url: str | None = None, sign_with: str | None = AUTH_TOKEN,
                signature: str | None = None):
    """POST like Twilio: form fields, and a signature over the URL it called."""
    headers = {}
    if signature is None and sign_with is not None:
        signature = RequestValidator(sign_with).compute_signature(url or BASE + path, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    response = client.post(path, data=params, headers=headers)
    db.session.expire_all()  # the request changed rows through its own session
    return response


def status_params(sid: str, status: str, **extra) -> dict:
    return {
        "MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": FROM_NUMBER,
        "To": TOURIST, "MessageStatus": status, "SmsStatus": status, "ApiVersion": "2010-04-01",
        **extra,
    }


def sent_sms(sid: str = "SM" + "e" * 32) -> OutboundMessage:
    return sms_row(status=MessageStatus.SENT, provider="twilio", provider_message_id=sid, sent_at=now_utc())


def snapshot(message: OutboundMessage) -> tuple:
    db.session.refresh(message)
    return message.status, message.delivery_status, message.delivered_at, message.error


def test_a_signed_status_callback_records_delivery(client, token):
    message = sent_sms()
    response = twilio_post(client, STATUS_PATH, status_params(message.provider_message_id, "delivered"))
    assert response.status_code == 204
    status, delivery_status, delivered_at, error = snapshot(message)
    assert (status, delivery_status, error) == (MessageStatus.SENT, "delivered", "")
    assert delivered_at is not None


@pytest.mark.parametrize("how", ["wrong token", "missing", "garbage", "over the request's own URL", "other params"])
def test_a_badly_signed_status_callback_is_refused_and_changes_nothing(client, token, how):
    message = sent_sms()
    before = snapshot(message)
    params = status_params(message.provider_message_id, "undelivered", ErrorCode="30003")
    if how == "wrong token":
        response = twilio_post(client, STATUS_PATH, params, sign_with="another-token")
    elif how == "missing":
        response = twilio_post(client, STATUS_PATH, params, sign_with=None)
    elif how == "garbage":
        response = twilio_post(client, STATUS_PATH, params, signature="bm90IGEgc2lnbmF0dXJl")
    elif how == "over the request's own URL":  # not BASE_URL: the app is behind a proxy
        response = twilio_post(client, STATUS_PATH, params, url="http://localhost" + STATUS_PATH)
    else:  # signed for "delivered", then changed in transit
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            BASE + STATUS_PATH, status_params(message.provider_message_id, "delivered"))
        response = twilio_post(client, STATUS_PATH, params, signature=signature)
    assert response.status_code == 403
    assert snapshot(message) == before


def test_webhooks_are_refused_when_no_auth_token_is_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    message = sent_sms()
    before = snapshot(message)
    # Even "signed" with an empty token, which anyone can compute.
    assert twilio_post(client, STATUS_PATH, status_params(message.provider_message_id, "delivered"),
                       sign_with="").status_code == 403
    assert twilio_post(client, INBOUND_PATH, inbound_params("STOP"), sign_with="").status_code == 403
    assert snapshot(message) == before and preferences.opted_out(TOURIST) is None


def test_the_signature_covers_the_query_string(client, token):
    message = sent_sms()
    path = STATUS_PATH + "?attempt=2"
    response = twilio_post(client, path, status_params(message.provider_message_id, "sent"), url=BASE + path)
    assert response.status_code == 204
    assert snapshot(message)[1] == "sent"
    response = twilio_post(client, path, status_params(message.provider_message_id, "delivered"),
                           url=BASE + STATUS_PATH)
    assert response.status_code == 403
    assert snapshot(message)[1] == "sent"


def test_callbacks_out_of_order_never_move_the_status_backwards(client, token):
    message = sent_sms()
    sid = message.provider_message_id
    for status in ("sent", "delivered", "queued", "sending", "sent"):
        assert twilio_post(client, STATUS_PATH, status_params(sid, status)).status_code == 204
    status, delivery_status, delivered_at, _error = snapshot(message)
    assert (status, delivery_status) == (MessageStatus.SENT, "delivered")
    first_delivered_at = delivered_at
    # The same report twice, and a contradicting one after the final status: both ignored.
    assert twilio_post(client, STATUS_PATH, status_params(sid, "delivered")).status_code == 204
    assert twilio_post(client, STATUS_PATH, status_params(sid, "undelivered", ErrorCode="30005")).status_code == 204
    assert snapshot(message) == (MessageStatus.SENT, "delivered", first_delivered_at, "")


def test_an_undelivered_message_is_marked_failed_with_twilios_code(client, token, make):
    message = sent_sms()
    sid = message.provider_message_id
    assert twilio_post(client, STATUS_PATH, status_params(sid, "sent")).status_code == 204
    response = twilio_post(client, STATUS_PATH, status_params(sid, "undelivered", ErrorCode="30003"))
    assert response.status_code == 204
    status, delivery_status, delivered_at, error = snapshot(message)
    assert (status, delivery_status, delivered_at, error) == (MessageStatus.FAILED, "undelivered", None, "Twilio error 30003")
    # ...so that operations can send it again.
    copy = delivery.resend(message, make.user(Role.OPERATIONS))
    assert copy.status is MessageStatus.QUEUED and copy.recipient == TOURIST


def test_a_callback_for_an_unknown_message_changes_nothing(client, token):
    message = sent_sms()
    before = snapshot(message)
    response = twilio_post(client, STATUS_PATH, status_params("SM" + "f" * 32, "failed", ErrorCode="30006"))
    assert response.status_code == 204
    assert snapshot(message) == before


# -- inbound messages: STOP, START, HELP ------------------------------------------------------------------

def inbound_params(body: str, sid: str = "SM" + "9" * 32, from_number: str = TOURIST) -> dict:
    return {
        "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
        "From": from_number, "To": FROM_NUMBER, "Body": body, "NumMedia": "0", "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


def twiml_messages(response) -> list[str]:
    import xml.etree.ElementTree as ET

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [m.text for m in root.findall("Message")]


def test_stop_opts_the_number_out_and_start_opts_it_back_in(client, token):
    response = twilio_post(client, INBOUND_PATH, inbound_params("STOP", sid="SM" + "1" * 32))
    assert twiml_messages(response) == []  # Twilio confirms STOP itself
    row = preferences.opted_out(TOURIST)
    assert row is not None and row.keyword == "STOP"

    response = twilio_post(client, INBOUND_PATH, inbound_params("start", sid="SM" + "2" * 32))
    assert twiml_messages(response) == []
    assert preferences.opted_out(TOURIST) is None


@pytest.mark.parametrize("body", ["unsubscribe", " Stop. ", "QUIT", "optout", "Cancel", "END", "revoke", "stopall"])
def test_every_opt_out_keyword_opts_out(client, token, body):
    twilio_post(client, INBOUND_PATH, inbound_params(body))
    assert preferences.opted_out(TOURIST) is not None


@pytest.mark.parametrize("body", ["Please don't stop", "stop it now", "", "Hello"])
def test_other_messages_change_nothing_and_get_no_reply(client, token, body):
    response = twilio_post(client, INBOUND_PATH, inbound_params(body))
    assert twiml_messages(response) == []
    assert preferences.opted_out(TOURIST) is None


@pytest.mark.parametrize("body", ["YES", "unstop"])
def test_every_opt_in_keyword_opts_in(client, token, body):
    preferences.record_opt_out(TOURIST, "STOP")
    twilio_post(client, INBOUND_PATH, inbound_params(body))
    assert preferences.opted_out(TOURIST) is None


def test_help_is_answered_with_twiml(client, token, make):
    make.user(phone=TOURIST, language="en")
    [reply] = twiml_messages(twilio_post(client, INBOUND_PATH, inbound_params("help")))
    assert "Countdown" in reply and "STOP" in reply and "START" in reply and BASE in reply
    # INFO too, and from a number no account has (English then).
    [reply] = twiml_messages(twilio_post(
        client, INBOUND_PATH, inbound_params("INFO", sid="SM" + "8" * 32, from_number="+14155550199")))
    assert "STOP" in reply
    assert preferences.opted_out(TOURIST) is None


def test_help_is_answered_in_the_language_of_the_account_with_that_number(app, client, token, make, monkeypatch):
    make.user(phone=TOURIST, language="de")
    import flask_babel

    languages = []
    original = flask_babel.force_locale

    def spy(locale):
        languages.append(str(locale))
        return original(locale)

    monkeypatch.setattr("app.messaging.sms.force_locale", spy)
    [reply] = twiml_messages(twilio_post(client, INBOUND_PATH, inbound_params("HELP")))
    assert reply and languages == ["de"]


def test_an_inbound_message_is_handled_once(client, token):
    sid = "SM" + "7" * 32
    assert len(twiml_messages(twilio_post(client, INBOUND_PATH, inbound_params("HELP", sid=sid)))) == 1
    assert twiml_messages(twilio_post(client, INBOUND_PATH, inbound_params("HELP", sid=sid))) == []

    stop = "SM" + "6" * 32
    twilio_post(client, INBOUND_PATH, inbound_params("STOP", sid=stop))
    preferences.record_opt_in(TOURIST)  # the tourist replied START (another message) meanwhile
    twilio_post(client, INBOUND_PATH, inbound_params("STOP", sid=stop))  # Twilio retries the old one
    assert preferences.opted_out(TOURIST) is None
    events = db.session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.provider == "twilio"))
    assert events == 2


@pytest.mark.parametrize("how", ["wrong token", "missing"])
def test_an_inbound_message_with_a_bad_signature_is_refused(client, token, how):
    params = inbound_params("STOP")
    response = twilio_post(client, INBOUND_PATH, params, sign_with="another-token" if how == "wrong token" else None)
    assert response.status_code == 403
    assert preferences.opted_out(TOURIST) is None
    assert db.session.scalar(select(func.count()).select_from(SmsOptOut)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_inbound_numbers_are_stored_in_e164(client, token):
    # Twilio sends E.164; the opt-out must match the number stored on accounts, in E.164 too.
    twilio_post(client, INBOUND_PATH, inbound_params("STOP", from_number="+1 (415) 555-2671"))
    assert preferences.opted_out(TOURIST) is not None


# -- configuration ------------------------------------------------------------------------------------

PRODUCTION = {
    "COUNTDOWN_ENV": "production", "SECRET_KEY": "s" * 40, "ALLOW_SANDBOX_PROVIDERS": "1",
    "BASE_URL": "https://countdown.example", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "MEDICAL_ENCRYPTION_KEYS": "mq3sVwOyWmrCCAEeUTAd2yS2RZTcJ2Gw-VNd-HsAAb8=",
}


def test_production_twilio_needs_its_token_and_a_sender():
    with pytest.raises(ConfigError) as info:
        load_config(PRODUCTION)
    assert "TWILIO_AUTH_TOKEN" in str(info.value)
    assert "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID" in str(info.value)
    for sender in ({"TWILIO_FROM_NUMBER": FROM_NUMBER}, {"TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID}):
        cfg = load_config({**PRODUCTION, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, **sender})
        assert cfg["SMS_PROVIDER"] == "twilio"


def test_production_refuses_a_test_api_base_and_a_base_url_twilio_cannot_reach():
    ready = {**PRODUCTION, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER}
    with pytest.raises(ConfigError, match="TWILIO_API_BASE"):
        load_config({**ready, "TWILIO_API_BASE": "http://127.0.0.1:8080"})
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config({**ready, "BASE_URL": "http://127.0.0.1:5000"})


# -- the migration that puts stored numbers in E.164 --------------------------------------------------------



def test_the_migration_rewrites_phone_numbers_in_e164(fresh_database_url, tmp_path):
    stored = {
        "a@example.com": "+44 20 7946 0958",
        "b@example.com": "+1 (415) 555-2671",
        "c@example.com": "0049 151 23456789",
        "d@example.com": "+1 555 0100",        # too short: no such number
        "e@example.com": "020 7946 0958",      # no country code
        "f@example.com": "call me",
        "g@example.com": None,
        "h@example.com": "+14155552671",
    }
    with separate_app(fresh_database_url, tmp_path / "instance") as other, other.app_context():
        upgrade(revision="0002")
        users = sa.table("users", sa.column("email"), sa.column("phone"), sa.column("name"),
                         sa.column("password_hash"), sa.column("role"), sa.column("language"),
                         sa.column("timezone"), sa.column("active"), sa.column("created_at"),
                         sa.column("password_changed_at"))
        with db.engine.begin() as conn:
            conn.execute(users.insert(), [
                {"email": email, "phone": phone, "name": "N", "password_hash": "x", "role": "tourist",
                 "language": "en", "timezone": "UTC", "active": True, "created_at": now_utc(),
                 "password_changed_at": now_utc()}
                for email, phone in stored.items()
            ])
        upgrade(revision="0003")
        with db.engine.connect() as conn:
            after = dict(conn.execute(sa.select(users.c.email, users.c.phone)).all())
        upgrade()  # to the head, so that every table the models know is there to be emptied
    assert after == {
        "a@example.com": "+442079460958", "b@example.com": "+14155552671",
        "c@example.com": "+4915123456789", "d@example.com": None, "e@example.com": None,
        "f@example.com": None, "g@example.com": None, "h@example.com": "+14155552671",
    }


# -- inbound messages for the desk ----------------------------------------------------------------------

def test_a_tourists_sms_lands_in_their_conversation_once_however_often_it_is_delivered(client, token, make):
    tourist = make.user(phone=TOURIST)
    db.session.add(PhoneVerification(user_id=tourist.id, phone=TOURIST))
    asked = conversations.start(tourist, topic=Topic.TRAVEL, subject="Hotel", body="Which hotel is it?")
    db.session.commit()
    params = inbound_params("And is breakfast included?", sid="SM" + "5" * 32)
    for _ in range(3):  # Twilio retries when it does not hear back in time
        assert twiml_messages(twilio_post(client, INBOUND_PATH, params)) == []
    said = db.session.scalars(select(ConversationMessage.body).where(
        ConversationMessage.conversation_id == asked.id).order_by(ConversationMessage.id)).all()
    assert said == ["Which hotel is it?", "And is breakfast included?"]
    assert db.session.scalar(select(func.count(Conversation.id))) == 1
    # A badly signed one changes nothing.
    assert twilio_post(client, INBOUND_PATH, inbound_params("Hello?", sid="SM" + "6" * 32), sign_with="x").status_code == 403
    assert db.session.scalar(select(func.count(ConversationMessage.id))) == 2


def test_an_sms_from_an_unknown_number_lands_unmatched(client, token, make):
    make.user(phone=TOURIST)  # the number typed into an account, never verified: not proof enough
    db.session.commit()
    twilio_post(client, INBOUND_PATH, inbound_params("Hi, it's me", sid="SM" + "7" * 32))
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.user_id is None and conversation.phone == TOURIST
    assert db.session.scalars(select(ConversationMessage.body)).all() == ["Hi, it's me"]
    # Keywords are not conversations.
    twilio_post(client, INBOUND_PATH, inbound_params("STOP", sid="SM" + "8" * 31 + "1"))
    assert db.session.scalar(select(func.count(ConversationMessage.id))) == 1
    # A picture without text (MMS) is not lost: staff are told to ask for it in the app.
    twilio_post(client, INBOUND_PATH, {**inbound_params("", sid="SM" + "9" * 31 + "2"), "NumMedia": "2"})
    last = db.session.scalars(select(ConversationMessage.body).order_by(ConversationMessage.id.desc())).first()
    assert "2 picture(s) or file(s) sent by MMS" in last
