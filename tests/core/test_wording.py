"""What the pages say, in the reader's language: system reasons through their labels, one clear
account of a cancelled booking, one word per thing."""

import re
from datetime import timedelta
from pathlib import Path

from app import labels
from app.booking import flights
from app.config import BASE_DIR
from app.extensions import db
from app.models import FlightStatus, Role
from app.payments import cancellations, installments, payments
from app.timeutil import now_utc
from tests.conftest import login
from tests.payments.test_money_and_status import charge_now, flight_data, paid_deposit


def text(html: str) -> str:
    """The page's main content as a reader reads it: tags dropped, spaces collapsed."""
    main = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def page_as(app, user, path: str) -> str:
    client = app.test_client()
    login(client, user)
    response = client.get(path)
    assert response.status_code == 200, path
    return text(response.get_data(as_text=True))


# -- 1. the system's reasons, in the reader's language --------------------------------------------

def test_every_fixed_reason_the_services_write_has_a_label():
    written = set()
    for path in (BASE_DIR / "app").glob("*/*.py"):
        source = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'\breason(?:\.strip\(\) or |=)"([^"]+)"', source))
        written |= set(re.findall(r'\bdetail="([^"]+)"', source))
        written |= set(re.findall(r'(?:_create_hold|_refund_across_payments)\([^"\n]*"([^"]+)"', source))
    assert {"seat held", "deposit paid", "launch moved", "hold expired"} <= written
    assert written <= set(labels.HISTORY_REASONS), written - set(labels.HISTORY_REASONS)


def _cancelled_by_the_tourist(make):
    booking = paid_deposit(make)
    token, last4 = payments.provider().save_card("4242424242424242")
    installments.save_card(booking, booking.user, token=token, last4=last4)
    installments.plan_balance(booking, booking.user, 2)
    cancellations.cancel_booking(booking, booking.user)
    db.session.commit()
    return booking


def test_the_operations_history_shows_the_systems_reasons_in_the_readers_language(app, make):
    booking = _cancelled_by_the_tourist(make)
    english = page_as(app, make.user(Role.OPERATIONS), f"/ops/bookings/{booking.reference}")
    for reason in ("(seat held)", "(deposit paid)", "(cancelled by the tourist)", "(booking cancelled)"):
        assert reason in english, reason

    german = page_as(app, make.user(Role.OPERATIONS, language="de"), f"/ops/bookings/{booking.reference}")
    for reason in ("(Platz reserviert)", "(Anzahlung bezahlt)", "(vom Touristen storniert)", "(Buchung storniert)"):
        assert reason in german, reason
    for english_reason in ("seat held", "deposit paid", "cancelled by the tourist", "booking cancelled"):
        assert english_reason not in german, english_reason


def test_a_reason_a_person_typed_is_shown_as_typed(app, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS, language="de")
    flights.cancel_flight(booking.flight, ops, "vehicle grounded")
    db.session.commit()
    german = page_as(app, ops, f"/ops/bookings/{booking.reference}")
    assert "(vehicle grounded)" in german and "(Flug vom Betreiber abgesagt)" in german  # refund's detail
    assert labels.history_reason("launch moved") == "launch moved"  # outside a request: English
    assert labels.history_reason("  my own words ") == "my own words"


def test_a_launch_move_reads_in_the_readers_language_on_the_operations_history(app, make):
    booking = paid_deposit(make)
    token, last4 = payments.provider().save_card("4242424242424242")
    installments.save_card(booking, booking.user, token=token, last4=last4)
    first, _second = installments.plan_balance(booking, booking.user, 2).payments
    charge_now(first)
    flight = booking.flight
    later = flight.launch_at + timedelta(days=30)
    flights.update_flight(flight, flight_data(flight, status=FlightStatus.DELAYED, launch_at=later,
                                              window_closes_at=later + timedelta(days=2)), make.user(Role.OPERATIONS))
    db.session.commit()
    german = page_as(app, make.user(Role.OPERATIONS, language="de"), f"/ops/bookings/{booking.reference}")
    assert "(Start verschoben)" in german and "(Versuch 1)" in german
    assert "launch moved" not in german and "attempt 1" not in german


# -- 2. a cancelled flight, told once ---------------------------------------------------------------

def test_a_flight_cancelled_by_the_operator_is_told_once_with_the_refund_and_what_next(app, make):
    booking = paid_deposit(make)
    booking.user.language = "de"
    flights.cancel_flight(booking.flight, make.user(Role.OPERATIONS), "vehicle grounded")
    db.session.commit()

    page = page_as(app, booking.user, f"/bookings/{booking.reference}")
    told = page[:page.index("Fahrzeug")]  # the page down to the flight's facts
    assert told.count("abgesagt") == 1 and "Annulliert" not in told and "Storniert" not in told, told
    assert "Der Betreiber hat diesen Flug am" in page and "Grund: vehicle grounded" in page
    assert "Wir haben 150.000,00 $ am" in page and "innerhalb von 5–10 Werktagen" in page
    assert "Einen anderen Flug finden" in page and "Einbehalten" not in page
    client = app.test_client()
    login(client, booking.user)
    html = client.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert 'href="/flights"' in html[html.index("happened-title"):]
    assert "flight-change" not in html and "badge-flight-" not in html and "badge-state-" not in html[:html.index("happened-title")]

    booking.user.language = "en"
    db.session.commit()
    page = page_as(app, booking.user, f"/bookings/{booking.reference}")
    told = page[:page.index("Vehicle")]
    assert told.count("cancelled") == 1 and "Cancelled" not in told, told
    assert "The operator cancelled this flight on" in page and "Reason: vehicle grounded" in page
    assert "usually reaches your card within 5–10 business days" in page
    assert "Kept" not in page and "Not refunded" not in page  # everything came back


def test_a_booking_the_tourist_cancelled_says_what_was_retained(app, make):
    booking = _cancelled_by_the_tourist(make)
    page = page_as(app, booking.user, f"/bookings/{booking.reference}")
    assert "You cancelled this booking on" in page
    assert "Not refunded $25,000.00 Retained under the cancellation policy" in page
    assert "Kept" not in page and "(cancelled by the tourist)" not in page
    booking.user.language = "de"
    db.session.commit()
    page = page_as(app, booking.user, f"/bookings/{booking.reference}")
    assert "Nicht erstattet 25.000,00 $ Gemäß den Stornierungsbedingungen einbehalten" in page


# -- 5. the refund form: the most that can be refunded, and who refunded ---------------------------

def test_the_refund_form_says_the_most_left_and_each_refund_says_who_issued_it(app, make):
    booking = paid_deposit(make)
    ops = make.user(Role.OPERATIONS, name="Olga Ops")
    [deposit] = payments.ledgers([booking])[booking.id].payments
    payments.refund_payment(deposit, 1000_50, reason="goodwill", actor=ops)
    db.session.commit()

    page = page_as(app, ops, f"/ops/bookings/{booking.reference}")
    assert "At most $148,999.50 can still be refunded." in page  # before any error
    assert "$1,000.50 refunded (goodwill) · issued by Olga Ops" in page
    ops.language = "de"
    db.session.commit()
    page = page_as(app, ops, f"/ops/bookings/{booking.reference}")
    assert "Es können noch höchstens 148.999,50 $ erstattet werden." in page
    assert "veranlasst von Olga Ops" in page
    # The tourist's page does not name the staff member.
    assert "Olga Ops" not in page_as(app, booking.user, f"/bookings/{booking.reference}")


# -- 7. percentages, one way per language ------------------------------------------------------------

def test_the_cancellation_page_writes_every_percentage_the_locales_way(app, make):
    from babel.numbers import format_percent

    booking = paid_deposit(make)
    db.session.commit()
    for language in ("en", "de", "fr"):
        booking.user.language = language
        db.session.commit()
        client = app.test_client()
        login(client, booking.user)
        html = client.get(f"/bookings/{booking.reference}/cancel").get_data(as_text=True)
        main = html[html.index("<main"):html.index("</main>")]
        shown = set(re.findall(r"\d+[\s\u00a0\u202f]?%", main))
        assert shown, main
        expected = {format_percent(int(re.match(r"\d+", p).group()) / 100, locale=language) for p in shown}
        assert shown == expected, (language, shown, expected)


# -- 6. in-app notifications: no SMS prefix, a plain resolved note -----------------------------------

def test_in_app_notices_drop_the_sms_prefix_that_text_messages_keep(app, make):
    from app.messaging import delivery
    from app.models import Channel
    from tests.conftest import outbox

    booking = paid_deposit(make)
    booking.user.phone = "+4915112345678"
    booking.user.language = "de"
    flights.cancel_flight(booking.flight, make.user(Role.OPERATIONS), "")
    [in_app] = outbox(rule="flight_cancelled", channel=Channel.IN_APP)
    [sms] = outbox(rule="flight_cancelled", channel=Channel.SMS)
    delivery.deliver(in_app.id)
    delivery.deliver(sms.id)
    db.session.refresh(in_app)
    db.session.refresh(sms)
    assert sms.body.startswith("Countdown: Der Betreiber hat "), sms.body
    assert in_app.body.startswith("Der Betreiber hat "), in_app.body
    in_app.resolved_at = now_utc()
    db.session.commit()

    page = page_as(app, booking.user, "/notifications")
    assert "Der Betreiber hat" in page and "Countdown:" not in page
    assert "Bereits erledigt: Sie müssen nichts mehr tun." in page
    booking.user.language = "en"
    db.session.commit()
    page = page_as(app, booking.user, "/notifications")
    assert "Already taken care of: nothing more to do." in page and "taken care of since" not in page


# -- 4. the account page: plain words, and which devices -------------------------------------------

CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.1 Mobile/15E148 Safari/604.1")


def test_the_account_page_names_the_other_devices_in_plain_words(app, make):
    from app.accounts import accounts
    from tests.conftest import post_form

    user = make.user(language="de")
    db.session.commit()
    for agent in (CHROME_WINDOWS, SAFARI_IPHONE):
        other = app.test_client()
        other.environ_base["HTTP_USER_AGENT"] = agent
        login(other, user)
    assert accounts.device_name("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0") == "Firefox on Linux"
    assert accounts.device_name("") == "Unknown browser"

    page = page_as(app, user, "/account")
    assert "Chrome auf Windows, angemeldet am" in page and "Safari auf iPhone, angemeldet am" in page
    assert "muss sich dort jeder erneut mit Ihrem Passwort anmelden" in page
    user.language = "en"
    db.session.commit()
    client = app.test_client()
    login(client, user)
    page = text(client.get("/account").get_data(as_text=True))
    assert "Chrome on Windows, logged in on" in page and "Safari on iPhone, logged in on" in page
    assert "wherever a copy of it is kept" not in page
    assert "anyone using them has to log in again with your password" in page
    post_form(client, "/account/sessions/end-others", page="/account")
    page = text(client.get("/account").get_data(as_text=True))
    assert "logged in on this device only" in page and "Chrome on Windows" not in page


# -- 3. German: one word per thing -----------------------------------------------------------------

def test_the_flight_forms_status_error_names_the_statuses_as_the_list_offers_them(app, make):
    from datetime import datetime

    from tests.booking.test_ops import FLIGHT
    from tests.conftest import post_form
    from tests.fielderrors import field_error

    for language, words in (("en", ["Scheduled", "Delayed", "Flown", "Scrubbed", "Cancelled"]),
                            ("de", ["Geplant", "Verspätet", "Durchgeführt", "Start abgebrochen", "Abgesagt"])):
        ops = make.user(Role.OPERATIONS, language=language)
        db.session.commit()
        client = app.test_client()
        login(client, ops)
        yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = post_form(client, "/ops/flights/new", {**FLIGHT, "launch_at": yesterday,
                                                          "window_closes_at": yesterday}, page="/ops/flights/new")
        page = response.get_data(as_text=True)
        error = field_error(page, "launch_at")
        options = re.findall(r"<option[^>]*>([^<]+)</option>", page[page.index('name="status"'):])
        for word in words:
            assert word in options and word in error, (word, error)
    assert "geflogen" not in error and "storniert" not in error


def test_german_names_a_cancelled_flight_abgesagt_a_cancelled_booking_storniert(app, make):
    booking = paid_deposit(make)
    booking.user.language = "de"
    ops = make.user(Role.OPERATIONS, language="de")
    flights.cancel_flight(booking.flight, ops, "")
    db.session.commit()
    ops_page = page_as(app, ops, f"/ops/bookings/{booking.reference}")
    assert "Storniert" in ops_page and "Annulliert" not in ops_page
    flight_page = page_as(app, ops, f"/ops/flights/{booking.flight_id}")
    assert "Abgesagt" in flight_page and "Annulliert" not in flight_page


def test_the_german_catalog_says_one_word_per_thing():
    from babel.messages.pofile import read_po

    with (BASE_DIR / "translations" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="de")
    banned = re.compile(r"annull|flugtauglich|tauglichkeit|bescheinigung|krankenakte|stornobeding", re.I)
    stray = [m.id for m in catalog if m.id
             and banned.search(m.string if isinstance(m.string, str) else " ".join(m.string))]
    assert not stray, stray
