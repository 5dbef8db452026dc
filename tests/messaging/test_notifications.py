"""The notification centre, its unread badge, and notification settings."""

from __future__ import annotations

import re
from datetime import time, timedelta

from app.extensions import db
from app.messaging import inbox, preferences
from app.models import Channel, MessageStatus, OutboundMessage, Role, SmsOptOut
from app.timeutil import now_utc
from tests.conftest import csrf_token, login, post_form
from tests.core.test_queries import count_queries

HTMX = {"HX-Request": "true"}


def notify(user, title: str, *, read: bool = False, minutes_ago: int = 0, status=MessageStatus.SENT,
           body: str = "Something happened.", link: str = "http://countdown.test/journey") -> OutboundMessage:
    """An in-app notification, as the dispatcher leaves it once it is shown."""
    sent = now_utc() - timedelta(minutes=minutes_ago)
    message = OutboundMessage(
        channel=Channel.IN_APP, user_id=user.id, recipient=user.email, kind="test", category="payments",
        subject=title, body=body, link_url=link, status=status, send_at=sent,
        sent_at=sent if status is MessageStatus.SENT else None, read_at=sent if read else None,
    )
    db.session.add(message)
    db.session.flush()
    return message


def badge(client) -> str:
    response = client.get("/notifications/unread", headers=HTMX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    return match.group(0)


def is_checked(page: str, name: str) -> bool:
    return " checked" in input_tag(page, name)


def fresh(message: OutboundMessage) -> OutboundMessage:
    db.session.refresh(message)
    return message


# -- the centre ------------------------------------------------------------------------------------

def test_the_centre_shows_only_my_sent_notifications_newest_first(client, make):
    me, other = make.user(), make.user()
    notify(me, "Deposit received", minutes_ago=30, read=True)
    notify(me, "Balance due soon", minutes_ago=5)
    notify(me, "Not sent yet", status=MessageStatus.QUEUED)
    notify(other, "Someone else's secret")
    db.session.add(OutboundMessage(channel=Channel.EMAIL, user_id=me.id, recipient=me.email, kind="x",
                                   subject="An email, not a notification", status=MessageStatus.SENT,
                                   sent_at=now_utc()))
    db.session.commit()
    login(client, me)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Balance due soon" in page and "Deposit received" in page
    assert page.index("Balance due soon") < page.index("Deposit received")
    for absent in ("Someone else's secret", "Not sent yet", "An email, not a notification"):
        assert absent not in page
    # The unread one says so in words, and has its own button; the read one has neither.
    assert page.count('class="badge badge-unread">Unread</span>') == 1
    assert page.count(">Mark as read<") == 1
    assert 'href="http://countdown.test/journey"' in page and "You have 1 unread notification." in page
    assert "Mark all as read" in page


def test_the_centre_has_an_empty_state_and_needs_a_login(client, make):
    assert client.get("/notifications").status_code == 302
    login(client, make.user(Role.OPERATIONS))  # any role may have notifications
    page = client.get("/notifications").get_data(as_text=True)
    assert "No notifications yet." in page and "Mark all as read" not in page


def test_links_other_than_web_addresses_are_not_shown(client, make):
    me = make.user()
    notify(me, "Odd link", link="javascript:alert(1)")
    notify(me, "No link", link="")
    db.session.commit()
    login(client, me)
    page = client.get("/notifications").get_data(as_text=True)
    assert "javascript:" not in page and ">Open<" not in page


def test_the_centre_pages_through_many(client, make):
    me = make.user()
    for i in range(inbox.PER_PAGE + 3):
        notify(me, f"Note number {i:02d}", minutes_ago=i)
    db.session.commit()
    login(client, me)
    first = client.get("/notifications").get_data(as_text=True)
    assert "Note number 00" in first and "Note number 22" not in first and "Page 1 of 2" in first
    second = client.get("/notifications?page=2", headers=HTMX).get_data(as_text=True)
    assert "<html" not in second and "Note number 22" in second and "Note number 00" not in second
    # Past the end (the list shrank): the last page.
    assert "Note number 22" in client.get("/notifications?page=9").get_data(as_text=True)


def test_the_unread_badge_counts_and_drops_after_mark_read(client, make):
    me, other = make.user(), make.user()
    first = notify(me, "One")
    notify(me, "Two")
    notify(me, "Three")
    notify(me, "Old", read=True)
    notify(other, "Not mine")
    db.session.commit()
    login(client, me)
    assert "3 unread notifications" in badge(client) and ">3<" in badge(client)
    response = post_form(client, f"/notifications/{first.id}/read", page="/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/notifications")
    assert fresh(first).read_at is not None
    assert "2 unread notifications" in badge(client)
    # Marking it again is harmless.
    assert post_form(client, f"/notifications/{first.id}/read", page="/notifications").status_code == 302
    assert "2 unread notifications" in badge(client)


def test_the_badge_is_one_count_query_and_empty_without_unread(client, make):
    me = make.user()
    notify(me, "Read already", read=True)
    db.session.commit()
    login(client, me)
    with count_queries() as statements:
        assert badge(client).strip() == ""
    messages = [s for s in statements if "outbound_messages" in s]
    assert len(messages) == 1 and "count(" in messages[0].lower()
    assert len(statements) <= 2  # the logged-in user, and the count


def test_the_badge_of_an_ended_session_swaps_nothing(client):
    assert client.get("/notifications/unread", headers=HTMX).status_code == 204
    assert client.get("/notifications/unread").status_code == 302


def test_marking_another_tourists_notification_is_a_404_and_changes_nothing(client, make):
    me, other = make.user(), make.user()
    theirs = notify(other, "Theirs")
    db.session.commit()
    login(client, me)
    assert post_form(client, f"/notifications/{theirs.id}/read", page="/notifications").status_code == 404
    assert post_form(client, "/notifications/999999/read", page="/notifications").status_code == 404
    assert fresh(theirs).read_at is None
    # Mark all marks only mine.
    post_form(client, "/notifications/read-all", page="/notifications")
    assert fresh(theirs).read_at is None


def test_mark_all_read(client, make):
    me = make.user()
    messages = [notify(me, f"N{i}") for i in range(3)]
    db.session.commit()
    login(client, me)
    response = post_form(client, "/notifications/read-all", page="/notifications", follow_redirects=True)
    assert "All your notifications are marked as read." in response.get_data(as_text=True)
    assert all(fresh(m).read_at is not None for m in messages)
    assert badge(client).strip() == ""
    assert inbox.unread_count(me) == 0


def test_htmx_gets_the_fragment_and_the_trigger_header(client, make):
    me = make.user()
    one, two = notify(me, "First", minutes_ago=2), notify(me, "Second", minutes_ago=1)
    db.session.commit()
    login(client, me)
    response = post_form(client, f"/notifications/{one.id}/read", page="/notifications", headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "notifications-changed"
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="notification-{one.id}"' in html and "Marked as read" in html
    assert f'id="notification-{two.id}"' not in html  # only the item, and the summary out of band
    assert 'data-hx-swap-oob="innerHTML"' in html and "You have 1 unread notification." in html

    response = post_form(client, "/notifications/read-all", page="/notifications", headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "notifications-changed"
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="notification-{two.id}"' in html
    assert "You have read all your notifications." in html and "Mark as read" not in html

    fragment = client.get("/notifications", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="notifications-head"' in fragment


def test_posts_without_csrf_are_refused(client, make):
    me = make.user()
    message = notify(me, "Protected")
    db.session.commit()
    login(client, me)
    assert client.post(f"/notifications/{message.id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post("/account/notifications", data={"quiet_enabled": "y"}).status_code == 400
    assert fresh(message).read_at is None


def test_the_header_links_to_the_centre_with_a_badge_loaded_later(client, make):
    me = make.user()
    db.session.commit()
    login(client, me)
    page = client.get("/flights").get_data(as_text=True)
    assert re.search(r'<a href="/notifications"[^>]*>(<svg[^>]*>.*?</svg>)?<span class="nav-label">Notifications</span><span class="nav-unread" data-hx-get="/notifications/unread"', page)
    assert 'data-hx-trigger="load, every 30s, notifications-changed from:body"' in page
    with count_queries() as statements:
        client.get("/flights")
    assert not any("outbound_messages" in s for s in statements)


def test_notification_centre_queries_do_not_grow(client, make):
    me = make.user()
    for i in range(2):
        notify(me, f"Small {i}")
    db.session.commit()
    login(client, me)
    with count_queries() as statements:
        assert client.get("/notifications").status_code == 200
    small = len(statements)
    for i in range(15):
        notify(me, f"Large {i}", read=i % 2 == 0)
    db.session.commit()
    with count_queries() as statements:
        assert client.get("/notifications").status_code == 200
    assert len(statements) == small


# -- settings --------------------------------------------------------------------------------------

def settings_data(**overrides) -> dict:
    data = {
        "ch_bookings_email": "y", "ch_bookings_in_app": "y",
        "ch_payments_email": "y", "ch_payments_sms": "y", "ch_payments_in_app": "y",
        "ch_consent_in_app": "y",
        "quiet_enabled": "y", "quiet_starts": "21:30", "quiet_ends": "07:15",
        "language": "de", "timezone": "Europe/Berlin",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_save_channels_quiet_hours_language_and_time_zone(client, make):
    me = make.user(phone="+447946095800")
    db.session.commit()
    login(client, me)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Seat holds and the waiting list" in page and "Flight updates" in page
    response = post_form(client, "/account/notifications", settings_data(), page="/account/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/account/notifications"
    db.session.expire_all()
    prefs = preferences.preferences_of(me)
    assert prefs.channels["bookings"] == {Channel.EMAIL, Channel.IN_APP}
    assert prefs.channels["payments"] == {Channel.EMAIL, Channel.SMS, Channel.IN_APP}
    assert prefs.channels["consent"] == {Channel.IN_APP}
    assert prefs.channels["flight_updates"] == preferences.CATEGORIES["flight_updates"].defaults
    assert (prefs.quiet_enabled, prefs.quiet_starts, prefs.quiet_ends) == (True, time(21, 30), time(7, 15))
    assert (me.language, me.timezone) == ("de", "Europe/Berlin")
    # Saved in the new language; the form shows what was saved.
    page = client.get("/account/notifications").get_data(as_text=True)
    assert '<html lang="de"' in page and 'value="21:30"' in page
    assert not is_checked(page, "ch_consent_email") and is_checked(page, "ch_consent_in_app")

    # Quiet hours off; the times stay as they were.
    post_form(client, "/account/notifications", settings_data(quiet_enabled=None, language="en"), page="/account/notifications")
    db.session.expire_all()
    assert preferences.preferences_of(me).quiet_enabled is False


def test_locked_categories_are_shown_checked_and_disabled(client, make):
    me = make.user(phone="+447946095800")
    db.session.commit()
    login(client, me)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "ch_flight_updates" not in page
    # Flight updates and privacy (every channel the user has: email, SMS, in the app).
    assert page.count("checked disabled") == 6 and "cannot be turned off" in page
    # A forged field for a locked category changes nothing.
    post_form(client, "/account/notifications", settings_data(ch_flight_updates_email=None), page="/account/notifications")
    db.session.expire_all()
    assert Channel.EMAIL in preferences.preferences_of(me).channels["flight_updates"]


def test_equal_quiet_hours_are_refused_at_the_field_and_nothing_changes(client, make):
    me = make.user(language="en", timezone="UTC")
    db.session.commit()
    login(client, me)
    before = preferences.preferences_of(me)
    response = post_form(
        client, "/account/notifications",
        settings_data(quiet_starts="22:00", quiet_ends="22:00", ch_bookings_email=None, language="fr"),
        page="/account/notifications",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="quiet_ends-error" class="field-error">Quiet hours must start and end at different times\.', html)
    assert 'aria-invalid="true"' in input_tag(html, "quiet_ends")
    assert not is_checked(html, "ch_bookings_email")  # the form keeps what was sent
    db.session.expire_all()
    assert preferences.preferences_of(me) == before
    assert (me.language, me.timezone) == ("en", "UTC")


def test_opted_out_number_is_explained(client, make):
    me = make.user(phone="+447946095800")
    db.session.add(SmsOptOut(phone="+447946095800", keyword="STOP", opted_out_at=now_utc() - timedelta(days=3)))
    db.session.commit()
    login(client, me)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Your number +44 7946 095800 replied STOP on" in page
    assert "we send no SMS to it" in page and "Reply START to" in page
    assert 'aria-describedby="sms-note"' in page


def test_no_phone_explains_sms(client, make):
    me = make.user()
    db.session.commit()
    login(client, me)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Your account has no mobile number, so we cannot send you SMS." in page
    assert 'href="/account">Add a mobile number on your account page</a>' in page
    assert "replied STOP" not in page


def test_settings_need_a_login_and_are_linked_from_the_account_page(client, make):
    assert client.get("/account/notifications").status_code == 302
    login(client, make.user())
    assert 'href="/account/notifications"' in client.get("/account").get_data(as_text=True)
    assert csrf_token(client, "/account/notifications")


def test_quiet_hours_without_times_and_a_bad_time_zone_are_refused_together(client, make):
    from tests.fielderrors import field_error

    me = make.user(language="en", timezone="UTC")
    db.session.commit()
    login(client, me)
    before = preferences.preferences_of(me)
    response = post_form(client, "/account/notifications",
                         settings_data(quiet_starts="", quiet_ends="", timezone="Mars/Olympus"),
                         page="/account/notifications")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give both the start and the end" in field_error(html, "quiet_starts")
    assert "Give both the start and the end" in field_error(html, "quiet_ends")
    assert "Not a valid choice" in field_error(html, "timezone")
    db.session.expire_all()
    assert preferences.preferences_of(me) == before and me.timezone == "UTC"
