from sqlalchemy import select

from app.extensions import db
from app.messaging import delivery, outbox
from app.models import Channel, OutboundMessage, Role
from app.transactions import commit
from tests.conftest import login, post_form


def test_outbox_lists_email_and_sms_for_operations(client, make):
    ops = make.user(Role.OPERATIONS)
    tourist = make.user(phone="+15550100")
    outbox.queue_email("password_reset", user=tourist, url="http://x/reset/abc", minutes=60)
    db.session.add(OutboundMessage(
        channel=Channel.SMS, user_id=tourist.id, recipient=tourist.phone, kind="test",
        body="T-minus 3 days: your launch window opens soon.",
    ))
    db.session.commit()
    login(client, ops)
    page = client.get("/outbox").get_data(as_text=True)
    assert tourist.email in page and "+15550100" in page
    sms_only = client.get("/outbox?channel=sms", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "+15550100" in sms_only and tourist.email not in sms_only and "<html" not in sms_only
    mail = db.session.scalars(select(OutboundMessage).where(OutboundMessage.channel == Channel.EMAIL)).one()
    detail = client.get(f"/outbox/{mail.id}").get_data(as_text=True)
    assert "http://x/reset/abc" in detail
    assert client.get("/outbox/999999").status_code == 404


def test_messages_are_written_in_the_recipients_language(client, make):
    tourist = make.user(language="de")
    outbox.queue_email("password_reset", user=tourist, url="http://x/reset/abc", minutes=60)
    mail = db.session.scalars(select(OutboundMessage)).one()
    from flask_babel import force_locale, gettext

    with force_locale("de"):
        expected_subject = gettext("Choose a new Countdown password")
    assert mail.subject == expected_subject


def test_delivery_is_at_most_once(make):
    tourist = make.user()
    message = outbox.queue_email("password_reset", user=tourist, url="http://x", minutes=60)
    db.session.flush()
    assert message.status.value == "queued"  # nothing leaves before the commit
    commit()
    # Eager Celery already delivered it after the commit; delivering again changes nothing.
    db.session.refresh(message)
    assert message.status.value == "sent" and message.attempts == 1
    assert delivery.deliver(message.id) is None
    db.session.refresh(message)
    assert message.attempts == 1


def test_browser_language_is_used_when_nobody_chose(client, make):
    make.flight(name="Alpha")
    page = client.get("/flights", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="it"' in page


def test_picked_language_wins_over_the_browser(client):
    response = post_form(client, "/language", {"language": "pt", "next": "/flights"})
    assert response.status_code == 302 and response.headers["Location"] == "/flights"
    page = client.get("/flights", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="pt"' in page


def test_language_picker_refuses_offsite_redirects_and_unknown_languages(client):
    response = post_form(client, "/language", {"language": "xx", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="en"' in client.get("/flights").get_data(as_text=True)


def test_a_users_language_follows_them(client, make):
    user = make.user(language="es")
    db.session.commit()
    login(client, user)
    assert '<html lang="es"' in client.get("/journey", headers={"Accept-Language": "de"}).get_data(as_text=True)
    post_form(client, "/language", {"language": "fr", "next": "/journey"}, page="/journey")
    db.session.refresh(user)
    assert user.language == "fr"


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok" and response.get_json()["status"] == "ok"


def test_security_headers(client):
    response = client.get("/flights")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_provider_crash_marks_the_message_failed(make, monkeypatch):
    from app.providers.messaging import OutboxProvider

    def crash(self, message):
        raise KeyError("boom")

    monkeypatch.setattr(OutboxProvider, "send", crash)
    message = outbox.queue_email("password_reset", user=make.user(), url="http://x", minutes=60)
    commit()
    db.session.refresh(message)
    assert message.status.value == "failed" and "KeyError" in message.error


def test_interrupted_deliveries_are_sent_again_after_the_lease(make):
    """A worker died while a message was ``sending``: once the lease is over, the message goes back
    to the queue (the outbox provider keeps nothing outside our database to ask about), and one
    that was interrupted too often is marked failed instead of being tried forever."""
    from datetime import timedelta

    from app.models import MessageStatus
    from app.timeutil import now_utc

    now = now_utc()
    lease = timedelta(minutes=5)
    stuck, fresh, tired = (
        outbox.queue_email("password_reset", user=make.user(), url="http://x", minutes=60)
        for _ in range(3)
    )
    for message, claimed in ((stuck, now - timedelta(minutes=30)), (fresh, now - timedelta(minutes=1)),
                             (tired, now - timedelta(minutes=30))):
        message.status, message.claimed_at, message.attempts = MessageStatus.SENDING, claimed, 1
    tired.attempts = delivery.MAX_ATTEMPTS
    db.session.flush()
    assert delivery.recover_stale(now, lease) == 2
    db.session.flush()
    for message in (stuck, fresh, tired):
        db.session.refresh(message)
    assert stuck.status is MessageStatus.QUEUED and "interrupted" in stuck.note
    assert fresh.status is MessageStatus.SENDING
    assert tired.status is MessageStatus.FAILED and "interrupted" in tired.error
    # Sent again by the next delivery, once.
    assert delivery.deliver(stuck.id) is MessageStatus.SENT
    db.session.refresh(stuck)
    assert stuck.attempts == 2 and stuck.provider == "outbox"
