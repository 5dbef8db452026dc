"""The Messages page for operations: what was sent to whom, when, on which channel, whether it
arrived, and sending a failed message again."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, MessageStatus, OutboundMessage, Role
from app.timeutil import now_utc
from tests.conftest import csrf_token, login
from tests.core.test_queries import count_queries

S = MessageStatus


def message(user=None, **kw) -> OutboundMessage:
    """A message row as the services leave it (sent, unless told otherwise)."""
    now = now_utc()
    channel = kw.setdefault("channel", Channel.EMAIL)
    kw.setdefault("kind", "password_reset")
    kw.setdefault("status", S.SENT)
    if user is not None:
        kw.setdefault("user_id", user.id)
        kw.setdefault("recipient", user.phone if channel is Channel.SMS else user.email)
    kw.setdefault("recipient", "")
    kw.setdefault("send_at", now - timedelta(minutes=5))
    if kw["status"] is S.SENT:
        kw.setdefault("sent_at", now - timedelta(minutes=4))
        kw.setdefault("provider", "outbox")
    row = OutboundMessage(**kw)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def inbox(make):
    """Five messages to two tourists and one address, one per channel and status."""
    ada = make.user(name="Ada Lovelace", phone="+15550100")
    bob = make.user(name="Bob Fixit", phone="+447700900123")
    rows = {
        "email": message(ada, subject="Receipt for Alpha", body="Thank you.", kind="payment_receipt"),
        "sms": message(bob, channel=Channel.SMS, body="Your payment failed.", status=S.FAILED,
                       kind="reminder_charge_failed", rule="charge_failed", provider="twilio",
                       provider_message_id="SM123", delivery_status="undelivered",
                       error="Twilio error 30003"),
        "in_app": message(ada, channel=Channel.IN_APP, subject="Alpha is delayed", body="Delayed by a day.",
                          kind="reminder_flight_delayed", rule="flight_delayed", urgent=True),
        "reminder": message(bob, channel=Channel.EMAIL, recipient="", status=S.QUEUED,
                            kind="reminder_payment_due", rule="payment_due_7d",
                            send_at=now_utc() + timedelta(days=3)),
        "dropped": message(None, recipient="someone@elsewhere.example", subject="Welcome aboard",
                           body="Hello.", status=S.DROPPED, note="no longer applies"),
    }
    ops = make.user(Role.OPERATIONS, name="Gene Kranz")
    db.session.commit()
    return {"ops": ops, "ada": ada, "bob": bob, **rows}


def shown(client, inbox, query: str = "") -> set[str]:
    """Which of the inbox's messages the list shows, by their detail links."""
    response = client.get(f"/outbox{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {
        name for name, row in inbox.items()
        if isinstance(row, OutboundMessage) and f'href="/outbox/{row.id}"' in html
    }


@pytest.fixture
def ops_client(client, inbox):
    login(client, inbox["ops"])
    return client


def test_the_list_shows_to_whom_what_when_and_how(ops_client, inbox):
    html = ops_client.get("/outbox").get_data(as_text=True)
    assert "<h1>Messages</h1>" in html and ">Messages</a>" in html  # the page and the nav link
    assert shown(ops_client, inbox) == {"email", "sms", "in_app", "reminder", "dropped"}
    # To: the user and the address or number; what: a readable kind; the channel.
    assert "Ada Lovelace" in html and inbox["ada"].email in html and "+447700900123" in html
    assert "Payment receipt" in html and "Payment due in 7 days" in html and "In the app" in html
    assert "Automatic charge did not go through" in html
    # When: a scheduled reminder says so; statuses, and the provider's report.
    assert "scheduled for" in html
    for label in ("Sent", "Failed", "Queued", "Not sent"):
        assert f">{label}</span>" in html
    assert "Provider: Undelivered" in html
    assert "reminder_payment_due" not in html  # no raw kinds where there is a label


@pytest.mark.parametrize("query, expected", [
    ("?channel=email", {"email", "reminder", "dropped"}),
    ("?channel=sms", {"sms"}),
    ("?channel=in_app", {"in_app"}),
    ("?status=scheduled", {"reminder"}),
    ("?status=sent", {"email", "in_app"}),
    ("?status=failed", {"sms"}),
    ("?status=not_sent", {"dropped"}),
    ("?reminders=1", {"sms", "in_app", "reminder"}),
    ("?q=bob+fix", {"sms", "reminder"}),               # the user's name, any case
    ("?q=%2B44+7700+900123", {"sms", "reminder"}),     # a number typed with spaces
    ("?q=elsewhere.example", {"dropped"}),             # an address without a user
    ("?q=%25", set()),                                  # LIKE wildcards are plain characters
    ("?channel=email&status=sent&q=ada", {"email"}),
    ("?reminders=1&channel=email", {"reminder"}),
    ("?channel=fax&status=lost", {"email", "sms", "in_app", "reminder", "dropped"}),  # ignored
])
def test_filters_show_the_right_rows(ops_client, inbox, query, expected):
    assert shown(ops_client, inbox, query) == expected


def test_filters_answer_htmx_with_the_fragment_and_keep_each_other(ops_client, inbox):
    response = ops_client.get("/outbox?channel=sms&reminders=1", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="m-status"' in html
    # The tabs keep the other filters; the form keeps the channel.
    assert 'href="/outbox?channel=email&amp;reminders=1"' in html
    assert 'href="/outbox?reminders=1"' in html
    assert '<input type="hidden" name="channel" value="sms">' in html
    assert 'id="tab-sms" href="/outbox?channel=sms&amp;reminders=1"' in html
    assert "No messages match these filters." not in html
    assert "No messages match these filters." in ops_client.get("/outbox?q=nobody").get_data(as_text=True)


def test_the_detail_shows_every_fact_and_the_text_only(ops_client, inbox):
    sms = inbox["sms"]
    sms.delivered_at = None
    inbox["email"].html_body = "<p>Thank you.</p><script>alert('x')</script>"
    inbox["email"].body = "Total: <b>$10</b>"
    db.session.commit()
    html = ops_client.get(f"/outbox/{sms.id}").get_data(as_text=True)
    for fact in ("Bob Fixit", "+447700900123", "SMS", "Automatic charge did not go through",
                 "charge_failed", "twilio", "SM123", "Undelivered", "Twilio error 30003",
                 "Your payment failed.", "Send again"):
        assert fact in html, fact
    mail = ops_client.get(f"/outbox/{inbox['email'].id}").get_data(as_text=True)
    assert "Total: &lt;b&gt;$10&lt;/b&gt;" in mail and "<script>alert" not in mail
    assert "Receipt for Alpha" in mail and "Send again" not in mail  # sent: nothing to resend
    reminder = ops_client.get(f"/outbox/{inbox['reminder'].id}").get_data(as_text=True)
    assert "Payment due in 7 days" in reminder and "payment_due_7d" in reminder
    assert "Written when it is sent" in reminder
    assert ops_client.get("/outbox/999999").status_code == 404


def test_a_delivered_sms_shows_its_report(ops_client, inbox):
    delivered = message(inbox["ada"], channel=Channel.SMS, body="T-minus 3 days.", provider="twilio",
                        provider_message_id="SM999", delivery_status="delivered",
                        delivered_at=now_utc() - timedelta(minutes=1))
    db.session.commit()
    assert "Provider: Delivered" in ops_client.get("/outbox?channel=sms").get_data(as_text=True)
    html = ops_client.get(f"/outbox/{delivered.id}").get_data(as_text=True)
    assert "Delivered, " in html and "None received" not in html


def copies_of(original: OutboundMessage) -> list[OutboundMessage]:
    return list(db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.resent_from_id == original.id)
    ))


def test_resending_a_failed_message_makes_one_copy(ops_client, inbox):
    failed = inbox["sms"]
    token = csrf_token(ops_client, f"/outbox/{failed.id}")
    response = ops_client.post(f"/outbox/{failed.id}/resend", data={"csrf_token": token})
    assert response.status_code == 302
    [copy] = copies_of(failed)
    assert response.headers["Location"] == f"/outbox/{copy.id}"
    page = ops_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"The message is being sent again as message #{copy.id}." in page
    assert f'href="/outbox/{failed.id}"' in page  # "sent again from"
    assert copy.recipient == "+447700900123" and copy.body == failed.body
    assert copy.status is S.SENT  # delivered after the commit (the outbox provider)
    assert "Gene Kranz" in copy.note

    # The second click of a double submit: no second copy, and a clear message.
    again = ops_client.post(f"/outbox/{failed.id}/resend", data={"csrf_token": token})
    assert again.status_code == 302 and again.headers["Location"] == f"/outbox/{failed.id}"
    page = ops_client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"This message has already been sent again (message #{copy.id})." in page
    assert "Send again</button>" not in page and f"Sent again as message #{copy.id}" in page
    assert len(copies_of(failed)) == 1
    db.session.refresh(failed)
    assert failed.status is S.FAILED  # the failed one stays on record


def test_a_message_that_was_not_failed_is_not_resent(ops_client, inbox):
    before = db.session.scalar(select(func.count(OutboundMessage.id)))
    for name in ("email", "reminder", "dropped"):
        row = inbox[name]
        token = csrf_token(ops_client, f"/outbox/{row.id}")
        response = ops_client.post(f"/outbox/{row.id}/resend", data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"] == f"/outbox/{row.id}"
        page = ops_client.get(f"/outbox/{row.id}").get_data(as_text=True)
        assert "Only a failed message can be sent again." in page
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == before
    db.session.refresh(inbox["email"])
    assert inbox["email"].status is S.SENT


def test_resend_needs_the_csrf_token(ops_client, inbox):
    response = ops_client.post(f"/outbox/{inbox['sms'].id}/resend")
    assert response.status_code == 400
    assert copies_of(inbox["sms"]) == []


@pytest.mark.parametrize("role", [Role.TOURIST, Role.MEDICAL, Role.LOGISTICS])
def test_only_operations_see_or_resend_messages(app, make, inbox, role):
    client = app.test_client()
    login(client, make.user(role) if role is not Role.TOURIST else inbox["bob"])
    failed = inbox["sms"]
    assert client.get("/outbox").status_code == 403
    assert client.get(f"/outbox/{failed.id}").status_code == 403
    token = csrf_token(client, "/account")
    assert client.post(f"/outbox/{failed.id}/resend", data={"csrf_token": token}).status_code == 403
    assert copies_of(failed) == []
    anonymous = app.test_client()
    assert anonymous.get(f"/outbox/{failed.id}").status_code == 302
    assert anonymous.post(f"/outbox/{failed.id}/resend").status_code in (302, 400)
    assert copies_of(failed) == []


def add_messages(make, n: int) -> None:
    for i in range(n):
        user = make.user(phone=f"+1555020{i:04d}")
        channel = (Channel.EMAIL, Channel.SMS, Channel.IN_APP)[i % 3]
        message(user, channel=channel, subject=f"Message {i}", body="Hello.",
                delivery_status="delivered" if channel is Channel.SMS else "")
        message(user, status=S.QUEUED, kind="reminder_payment_due", rule="payment_due_1d",
                send_at=now_utc() + timedelta(days=1))
    db.session.commit()


@pytest.mark.parametrize("query", ["", "?status=sent", "?reminders=1&q=555", "?channel=sms&page=2"])
def test_the_list_loads_in_a_fixed_number_of_queries(client, make, query):
    ops = make.user(Role.OPERATIONS)
    add_messages(make, 3)
    login(client, ops)

    def queries() -> int:
        with count_queries() as statements:
            response = client.get(f"/outbox{query}")
        assert response.status_code == 200
        return len(statements)

    small = queries()
    add_messages(make, 60)  # more than a page
    assert queries() == small


def test_the_loser_of_a_resend_race_changes_nothing(ops_client, inbox, monkeypatch):
    """Two clicks at once on PostgreSQL: both find no copy, and the second one's insert hits the
    unique key of the first one's copy. Simulated here by a copy that appears at the insert."""
    from app.messaging import delivery

    failed = inbox["sms"]
    original = delivery.resend

    def racing(message, actor):
        first = original(message, actor)
        db.session.add(OutboundMessage(
            channel=first.channel, recipient=first.recipient, kind=first.kind, key=first.key,
        ))
        db.session.flush()  # the unique key refuses it, as it refuses the second click's copy

    monkeypatch.setattr(delivery, "resend", racing)
    token = csrf_token(ops_client, f"/outbox/{failed.id}")
    response = ops_client.post(f"/outbox/{failed.id}/resend", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/outbox/{failed.id}"
    assert "This message has already been sent again." in ops_client.get(f"/outbox/{failed.id}").get_data(as_text=True)
    assert copies_of(failed) == []
