import re
from datetime import date, datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboundMessage, Role, User
from tests.conftest import PASSWORD, csrf_token, login, post_form

GOOD = {
    "name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0000",
    "date_of_birth": "1985-12-10", "language": "de", "timezone": "Europe/Berlin",
    "password": "analytical-engine-1843", "confirm": "analytical-engine-1843",
}


def users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_signup_creates_a_logged_in_tourist(client):
    response = post_form(client, "/signup", GOOD, page="/signup")
    assert response.status_code == 302 and response.headers["Location"] == "/flights"
    user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user.role is Role.TOURIST and user.language == "de" and user.timezone == "Europe/Berlin"
    assert user.password_hash.startswith("scrypt:") and "analytical" not in user.password_hash
    journey = client.get("/journey")
    assert journey.status_code == 200 and "Ada Lovelace" in journey.get_data(as_text=True)


def eighteenth_birthday_tomorrow() -> str:
    today = date.today()
    return (today.replace(year=today.year - 18) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"date_of_birth": eighteenth_birthday_tomorrow()}, "You must be 18 or older"),
        ({"confirm": "something-else-entirely"}, "The passwords do not match."),
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters"),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "too easy to guess"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"date_of_birth": ""}, "Enter your date of birth."),
        ({"phone": "call me maybe"}, "Enter a phone number with its country code"),
        ({"language": "xx"}, "Not a valid choice"),
    ],
)
def test_signup_bad_input_says_why_and_saves_nothing(client, change, message):
    before = users()
    response = post_form(client, "/signup", {**GOOD, **change}, page="/signup")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert users() == before


def test_signup_with_a_taken_email_is_refused(client, make):
    make.user(email="ada@example.com")
    before = users()
    response = post_form(client, "/signup", GOOD, page="/signup")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert users() == before


def test_forms_without_csrf_token_are_refused(client):
    before = users()
    response = client.post("/signup", data=GOOD)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert users() == before


def test_login_and_logout(client, make):
    user = make.user()
    db.session.commit()
    assert client.get("/journey").status_code == 302
    login(client, user)
    assert client.get("/journey").status_code == 200
    response = post_form(client, "/logout", page="/journey")
    assert response.status_code == 302
    assert client.get("/journey").status_code == 302


def test_login_with_wrong_password_is_refused_with_one_message(client, make):
    user = make.user()
    response = post_form(client, "/login", {"email": user.email, "password": "wrong-password"}, page="/login")
    assert response.status_code == 401
    assert "The email address or password is wrong." in response.get_data(as_text=True)
    response = post_form(client, "/login", {"email": "nobody@example.com", "password": "wrong-password"}, page="/login")
    assert "The email address or password is wrong." in response.get_data(as_text=True)
    assert client.get("/journey").status_code == 302


def test_login_redirects_only_to_local_pages(client, make):
    user = make.user()
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_login_is_throttled_per_account(app, client, make):
    user = make.user()
    for _ in range(5):
        r = post_form(client, "/login", {"email": user.email, "password": "wrong-password"}, page="/login")
        assert r.status_code == 401
    r = post_form(client, "/login", {"email": user.email, "password": PASSWORD}, page="/login")
    assert r.status_code == 429
    assert "Too many attempts" in r.get_data(as_text=True)
    assert client.get("/journey").status_code == 302
    other = make.user()  # another account is not locked by this one's failures
    assert post_form(client, "/login", {"email": other.email, "password": PASSWORD}, page="/login").status_code == 302


def test_session_cookie_is_http_only_and_lax(client, make):
    user = make.user()
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_reset_by_emailed_one_time_link(client, make):
    user = make.user(language="fr")
    response = post_form(client, "/password/forgot", {"email": user.email.upper()}, page="/password/forgot")
    assert response.status_code == 302
    mail = db.session.scalars(select(OutboundMessage).where(OutboundMessage.user_id == user.id)).one()
    assert mail.status.value == "sent" and mail.recipient == user.email
    link = re.search(r"http://\S+/password/reset/(\S+)", mail.body)
    assert link, mail.body
    path = f"/password/reset/{link.group(1)}"
    opened = client.get(path)
    assert opened.status_code == 302 and opened.headers["Location"] == "/password/reset"  # token leaves the URL
    form = "/password/reset"
    weak = post_form(client, form, {"password": "short", "confirm": "short"}, page=form)
    assert weak.status_code == 422 and "at least 10 characters" in weak.get_data(as_text=True)
    done = post_form(client, form, {"password": "a-brand-new-password", "confirm": "a-brand-new-password"}, page=form)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    login(client, user.email, "a-brand-new-password")
    # The link worked once: it is dead now.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/journey")})
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"] == "/password/forgot"


def test_password_reset_says_the_same_for_unknown_addresses(client):
    response = post_form(client, "/password/forgot", {"email": "nobody@example.com"}, page="/password/forgot")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0


def test_a_tampered_reset_token_is_refused(client, make):
    from app.accounts.accounts import reset_token

    user = make.user()
    token = reset_token(user)
    response = client.get(f"/password/reset/{token[:-2]}xx")
    assert response.status_code == 302 and response.headers["Location"] == "/password/forgot"
    no_link = client.get("/password/reset")  # the form without having opened a link
    assert no_link.status_code == 302 and no_link.headers["Location"] == "/password/forgot"


def test_changing_the_password_ends_other_sessions(app, client, make):
    user = make.user()
    login(client, user)
    other = app.test_client()
    login(other, user)
    user.set_password("completely-different-pw")
    db.session.commit()
    assert client.get("/journey").status_code == 302
    assert other.get("/journey").status_code == 302


def test_account_settings_change_language(client, make):
    user = make.user()
    login(client, user)
    response = post_form(client, "/account", {"name": "Ada King", "phone": "", "language": "it", "timezone": "Europe/Rome"}, page="/account")
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.language, user.timezone, user.phone) == ("Ada King", "it", "Europe/Rome", None)


def test_account_settings_bad_input(client, make):
    user = make.user()
    login(client, user)
    response = post_form(client, "/account", {"name": "", "language": "en", "timezone": "Mars/Olympus"}, page="/account")
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.name.startswith("Test")


def test_create_user_command_makes_staff(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--email", "Medic@Example.com", "--name", "Dr Who", "--role", "medical", "--password", "tardis-blue-box"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "medic@example.com"))
    assert user.role is Role.MEDICAL and user.check_password("tardis-blue-box")
    again = runner.invoke(args=["create-user", "--email", "medic@example.com", "--name", "X", "--role", "medical", "--password", "tardis-blue-box"])
    assert again.exit_code != 0 and "already exists" in again.output


# -- sessions and redirects ------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/%09/evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example", "/%5c/evil.example",
    "/%5cevil.example", "//evil.example/", "https://evil.example/", "%20//evil.example",
    "http:/evil.example", "javascript:alert(1)", "/\\evil.example",
])
def test_no_next_leads_to_another_site(client, make, target):
    user = make.user()
    token = csrf_token(client, "/login")
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD,
                                                          "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    language = client.post("/language", data={"language": "de", "next": unquote(target),
                                              "csrf_token": csrf_token(client, "/account")})
    assert language.headers["Location"] == "/"


def test_a_local_next_is_kept(client, make):
    user = make.user()
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/notifications?page=2", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/notifications?page=2"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_logging_out_makes_every_copy_of_the_session_cookie_useless(app, client, make):
    user = make.user()
    login(client, user)
    copied = _cookie(client)
    assert client.get("/journey").status_code == 200
    post_form(client, "/logout", page="/journey")

    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/journey")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_log_out_of_all_other_devices(app, client, make):
    user = make.user()
    phone = app.test_client()
    login(phone, user)
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "also logged in on 1 other device" in page

    response = post_form(client, "/account/sessions/end-others", page="/account", follow_redirects=True)
    assert "You are logged out of 1 other device." in response.get_data(as_text=True)
    assert "logged in on this device only" in response.get_data(as_text=True)
    assert client.get("/journey").status_code == 200  # this device stays logged in
    gone = phone.get("/journey")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]


def test_a_password_reset_ends_every_session(app, client, make):
    user = make.user()
    login(client, user)
    from app.accounts import accounts

    accounts.reset_password(user, "a-new-long-passphrase")
    db.session.flush()
    assert client.get("/journey").status_code == 302


def test_production_headers(app, client):
    app.config["COUNTDOWN_ENV"] = "production"
    try:
        response = client.get("/login")
    finally:
        app.config["COUNTDOWN_ENV"] = "testing"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_session_ends_when_its_lifetime_is_over(app, client, make):
    import time_machine

    user = make.user()
    login(client, user)
    assert client.get("/journey").status_code == 200
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with time_machine.travel(datetime.now() + timedelta(seconds=lifetime + 60)):
        response = client.get("/journey")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- implausible values, all at once ---------------------------------------------------------------

def test_signup_shows_every_problem_at_once_each_at_its_field(client):
    from tests.fielderrors import field_error

    before = users()
    response = post_form(client, "/signup", {
        **GOOD, "date_of_birth": "2015-06-01", "password": "short", "confirm": "different",
    }, page="/signup")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You must be 18 or older" in field_error(page, "date_of_birth")
    assert "Use at least 10 characters" in field_error(page, "password")
    assert "The passwords do not match." in field_error(page, "confirm")
    assert users() == before


@pytest.mark.parametrize("born, message", [
    ("1800-01-01", "more than 120 years ago"),
    ((date.today() + timedelta(days=3)).isoformat(), "cannot be in the future"),
])
def test_signup_refuses_an_implausible_date_of_birth(client, born, message):
    from tests.fielderrors import field_error

    before = users()
    response = post_form(client, "/signup", {**GOOD, "date_of_birth": born, "email": "taken@example"},
                         page="/signup")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(page, "date_of_birth")
    assert "Enter a valid email address." in field_error(page, "email")
    assert users() == before


def test_the_service_refuses_every_problem_of_a_new_account_together(app, make):
    from app.accounts import accounts
    from app.errors import ServiceError

    make.user(email="ada@example.com")
    with pytest.raises(ServiceError) as refused:
        accounts.create_user(email="ada@example.com", name="Ada", password="short",
                             date_of_birth=date(1800, 1, 1), phone="call me")
    fields = {e.field: e.message for e in refused.value.errors}
    assert set(fields) == {"email", "password", "date_of_birth", "phone"}
