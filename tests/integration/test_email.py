"""Email over SMTP, against a real SMTP server (aiosmtpd) run by these tests on 127.0.0.1.

The server is set up as a provider's submission port would be: STARTTLS required, with a
certificate from a certificate authority made for the test run (trusted through
``SSL_CERT_FILE``, as an operator would trust a private CA), and a login required after
STARTTLS. The app under test is a second app over the suite's database with ``SMTP_HOST`` and
``SMTP_PORT`` pointing at it and otherwise default settings. Messages are written by the services,
as in production, and delivered by the Celery task (eager in tests) through Flask-Mailman. What
the server received is parsed with the ``email`` package.

Data is committed for real (the delivery task runs in its own app context and session) and the
tables are emptied after each test.

The last section holds unit tests of ``render_html``, the HTML part of every email.
"""

from __future__ import annotations

import re
import shutil
import smtplib
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.accounts import accounts
from app.booking import bookings
from app.extensions import db
from app.messaging import delivery, outbox
from app.messaging.email_html import render_html
from app.models import Channel, MessageStatus, OutboundMessage, Role
from app.providers.messaging import DeliveryError, SmtpEmailProvider, provider_for
from app.timeutil import now_utc
from app.transactions import commit, rollback
from tests.conftest import Factory, empty_tables, free_port, login
from tests.integration.support import separate_app
from tests.services import in_ci

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test extra: pip install -e '.[test]'")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

#: smtplib's own connect, before the suite's guard (``_no_outbound_network``) replaces it.
_REAL_CONNECT = smtplib.SMTP.connect

SMTP_USER, SMTP_PASSWORD = "countdown", "smtp-secret"
SENDER = "no-reply@countdown.test"
MAIL_FROM = f"Countdown <{SENDER}>"


# -- a certificate authority and a server certificate for 127.0.0.1 ------------------------------

@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> TlsFiles:
    if shutil.which("openssl") is None:
        if in_ci():
            pytest.fail("openssl is needed to make the test certificates; under CI=true this is a failure")
        pytest.skip("openssl is needed to make the test certificates")
    d = tmp_path_factory.mktemp("smtp-tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Countdown test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=d)
    return TlsFiles(ca=d / "ca.pem", cert=d / "server.pem", key=d / "server.key")


def server_tls_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert, files.key)
    return context


# -- the SMTP server --------------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: bytes | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)


class Mailbox:
    """The server's handler: keeps what it accepts; refuses some recipients; checks the login."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.received: list[Received] = []
            self.refused: set[str] = set()
            self.password = SMTP_PASSWORD

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
              and auth_data.password == self.password.encode())
        if not ok:  # handled=False: the server answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            # Real servers quote the address in the reply; Countdown must not repeat it.
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        with self._lock:
            self.received.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content),
                tls=session.ssl is not None, login=login,
            ))
        return "250 2.0.0 Message accepted for delivery"


@pytest.fixture(scope="module")
def mailbox() -> Mailbox:
    return Mailbox()


def start_server(handler, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            server_hostname="mail.countdown.test", **kwargs)
    controller.start()
    return controller


@pytest.fixture(scope="module")
def smtp_server(mailbox, tls_files):
    """A submission server: STARTTLS and a login are required before any mail is taken."""
    controller = start_server(
        mailbox, tls_context=server_tls_context(tls_files), require_starttls=True,
        auth_required=True, authenticator=mailbox.authenticate,
    )
    yield controller
    controller.stop()


@pytest.fixture
def local_smtp_only(monkeypatch):
    """Lets smtplib reach 127.0.0.1 (and nothing else) for this test."""

    def connect(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach a real SMTP server at {host}")
        return _REAL_CONNECT(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", connect)
    monkeypatch.setattr(smtplib.SMTP_SSL, "connect", connect)


@pytest.fixture(scope="module")
def smtp_app(app, database_url, tmp_path_factory, smtp_server):
    """A second app over the suite's (already migrated) database, sending email to the server."""
    with separate_app(
        database_url, tmp_path_factory.mktemp("smtp-instance"), SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_server.port), SMTP_USERNAME=SMTP_USER, SMTP_PASSWORD=SMTP_PASSWORD,
        MAIL_FROM=MAIL_FROM, BASE_URL="https://countdown.test",
    ) as smtp_app:
        assert smtp_app.config["EMAIL_PROVIDER"] == "smtp"
        assert isinstance(provider_for(smtp_app, Channel.EMAIL), SmtpEmailProvider)
        yield smtp_app


@pytest.fixture
def ctx(smtp_app, mailbox, tls_files, local_smtp_only, monkeypatch):
    """The SMTP app's context for the test; the test CA is trusted; the tables start empty."""
    mailbox.reset()
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))
    with smtp_app.app_context():
        try:
            yield smtp_app
        finally:
            db.session.remove()
            empty_tables()


# -- helpers ----------------------------------------------------------------------------------------

def tourist(**kw) -> str:
    """A committed tourist account; its email address."""
    email = Factory().user(**kw).email
    commit()
    return email


def request_reset(email: str) -> OutboundMessage:
    """The service asks for the email; the commit hands it to the (eager) delivery task."""
    accounts.request_password_reset(email)
    commit()
    db.session.remove()
    return db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.recipient == email,
                                      OutboundMessage.kind == "password_reset")
    ).one()


def parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


class Links(HTMLParser):
    """Every <a>: its href and text; and the <html> element's lang."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.lang: str | None = None
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "a":
            self._href, self._text = attrs.get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def hrefs(self) -> list[str]:
        return [href for href, _ in self.links]


def expected_message_id(message: OutboundMessage) -> str:
    return f"<countdown-message-{message.id}.{int(message.created_at.timestamp())}@countdown.test>"


# -- sending -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language, subject, greeting, sentence", [
    ("en", "Choose a new Countdown password", "Hello Jörg Müller,",
     "Someone (we hope you) asked to reset the password of your Countdown account."),
    ("de", "Neues Countdown-Passwort festlegen", "Guten Tag Jörg Müller,",
     "Jemand (hoffentlich Sie) hat das Zurücksetzen des Passworts Ihres Countdown-Kontos angefordert."),
])
def test_a_password_reset_arrives_as_text_and_html_in_the_recipients_language(
    ctx, mailbox, language, subject, greeting, sentence
):
    email = tourist(name="Jörg Müller", language=language, email=f"joerg-{language}@example.com")

    row = request_reset(email)

    assert row.status is MessageStatus.SENT, row.error
    assert row.provider == "smtp"
    assert row.provider_message_id == expected_message_id(row)
    [received] = mailbox.received
    assert received.tls and received.login == SMTP_USER.encode()  # STARTTLS, then the login
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [email]

    mail = received.message
    assert mail["Subject"] == subject
    assert mail["From"] == MAIL_FROM
    assert mail["To"] == email
    assert mail["Message-ID"] == expected_message_id(row)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in mail.iter_parts())
    text, html = parts(mail)["text/plain"], parts(mail)["text/html"]

    # The plain text is the row's body, umlauts intact, with the link.
    assert text.replace("\r\n", "\n").strip() == row.body.strip()
    assert greeting in text and sentence in " ".join(text.split())
    link = re.search(r"https://countdown\.test/\S+", text).group(0)
    assert link == row.link_url

    # The HTML says the same, in the same language, with the link as a link and as a button.
    page = Links(html)
    assert page.lang == language
    assert f"<title>{subject}</title>" in html
    assert greeting in html and sentence in " ".join(html.split())
    with force_locale(language):
        button, footer = gettext("Open in Countdown"), gettext(
            "You receive this email because you have an account with Countdown.")
    assert page.hrefs().count(link) == 2
    assert (link, button) in page.links
    assert footer in html


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_due_reminder_arrives_over_smtp_in_the_recipients_language(ctx, mailbox, language):
    """A dated reminder (the hold about to run out), written by the engine when the seat is held
    and sent when due, through SMTP, in the tourist's language, text and HTML."""
    factory = Factory()
    user = factory.user(name="Jörg Müller", language=language, email=f"hold-{language}@example.com")
    flight = factory.flight(name="Aurora 7")
    booking = bookings.hold_seat(flight.id, user)
    commit()
    [row] = db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.rule == "hold_expiring", OutboundMessage.channel == Channel.EMAIL)).all()
    assert row.status is MessageStatus.QUEUED and mailbox.received == []

    assert delivery.deliver(row.id, now=row.send_at) is MessageStatus.SENT, row.error
    [received] = mailbox.received
    assert received.rcpt_tos == [user.email]
    mail = received.message
    text, html = parts(mail)["text/plain"], parts(mail)["text/html"]
    with force_locale(language):
        greeting = gettext("Hello %(name)s,", name="Jörg Müller")
        ask = gettext("Sign the informed consent and pay the deposit before then to keep it:")
    assert greeting in text and ask in " ".join(text.split())
    assert greeting in html and ask in " ".join(html.split())
    assert "Aurora 7" in mail["Subject"] and Links(html).lang == language
    assert f"/bookings/{booking.id}" in text or booking.reference in text
    assert delivery.deliver(row.id, now=row.send_at) is None and len(mailbox.received) == 1  # once


def test_operations_do_not_see_a_reset_link_that_went_out_by_real_mail(ctx, mailbox):
    """With real mail the link is for its recipient alone: the Messages page hides the text of a
    password reset (with the outbox, in development, the page is the delivery and shows it)."""
    email = tourist(email="reset-me@example.com")
    ops_email = tourist(email="ops-reader@example.com", role=Role.OPERATIONS)
    row = request_reset(email)
    assert row.status is MessageStatus.SENT
    row_id, link = row.id, row.link_url
    db.session.remove()  # the test's own transaction would hold SQLite's write lock
    client = ctx.test_client()
    login(client, ops_email)
    page = client.get(f"/outbox/{row_id}").get_data(as_text=True)
    assert link and link not in page
    assert "meant for its recipient alone" in page
    assert "Choose a new Countdown password" in page  # the subject still says what it was


def test_sending_again_after_an_interrupted_send_keeps_the_message_id(ctx, mailbox):
    """SMTP cannot say whether a message arrived: it is sent again, under the same Message-ID."""
    user = Factory().user()
    provider = provider_for(ctx, Channel.EMAIL)
    message = outbox.queue_email("password_reset", user=user, url="https://countdown.test/r/1", minutes=60)
    db.session.flush()

    assert provider.find_sent(message) is None
    first, second = provider.send(message), provider.send(message)

    assert first == second == expected_message_id(message)
    assert [r.message["Message-ID"] for r in mailbox.received] == [first, first]
    rollback()


def test_without_html_the_email_is_plain_text(ctx, mailbox):
    user = Factory().user()
    message = OutboundMessage(channel=Channel.EMAIL, user_id=user.id, recipient=user.email,
                              subject="Grüße", body="Nur Text: Größe & Maße\n", kind="test")
    db.session.add(message)
    db.session.flush()

    provider_for(ctx, Channel.EMAIL).send(message)

    mail = mailbox.received[0].message
    assert mail.get_content_type() == "text/plain"
    assert mail["Subject"] == "Grüße"
    assert mail.get_content().strip() == "Nur Text: Größe & Maße"
    rollback()


# -- failures -----------------------------------------------------------------------------------------

def assert_failed_without_leaking(row: OutboundMessage, email: str, *expected: str) -> None:
    assert row.status is MessageStatus.FAILED
    assert row.sent_at is None
    for part in expected:
        assert part in row.error, row.error
    assert email not in row.error and email.split("@")[0] not in row.error
    assert "password" not in row.error.lower() and "http" not in row.error


def test_a_refused_recipient_fails_the_message_without_naming_the_address(ctx, mailbox):
    email = tourist(email="nobody-here@example.com")
    mailbox.refused.add(email)

    row = request_reset(email)

    assert_failed_without_leaking(row, email, "SMTPRecipientsRefused", "550")
    assert mailbox.received == []


def test_a_closed_port_fails_the_message(ctx, mailbox, monkeypatch):
    email = tourist()
    monkeypatch.setattr(ctx.extensions["mailman"], "port", free_port())  # nothing listens there

    row = request_reset(email)

    assert_failed_without_leaking(row, email, "ConnectionRefusedError")


def test_a_server_certificate_that_is_not_trusted_fails_the_message(ctx, mailbox, monkeypatch):
    """STARTTLS checks the certificate (smtplib alone would not): nothing goes to an impostor."""
    monkeypatch.delenv("SSL_CERT_FILE")
    email = tourist()

    row = request_reset(email)

    assert_failed_without_leaking(row, email, "SSLCertVerificationError")
    assert mailbox.received == []


def test_a_wrong_smtp_password_fails_the_message(ctx, mailbox):
    mailbox.password = "changed-on-the-server"
    email = tourist()

    row = request_reset(email)

    assert_failed_without_leaking(row, email, "SMTPAuthenticationError", "535")
    assert mailbox.received == []


def test_the_provider_raises_delivery_error(ctx, mailbox):
    """The contract the delivery service relies on: a refusal is a DeliveryError."""
    user = Factory().user(email="refused@example.com")
    mailbox.refused.add(user.email)
    message = outbox.queue_email("password_reset", user=user, url="https://countdown.test/r/2", minutes=60)
    db.session.flush()

    with pytest.raises(DeliveryError) as refused:
        provider_for(ctx, Channel.EMAIL).send(message)

    assert "550" in str(refused.value) and user.email not in str(refused.value)
    assert refused.value.__cause__ is None  # the server's reply (with the address) is not chained
    rollback()


def test_an_invalid_address_is_a_delivery_error_that_does_not_repeat_it(ctx, mailbox):
    message = OutboundMessage(id=424242, channel=Channel.EMAIL, recipient="evil@example.com\nBcc: x@example.com",
                              subject="Hi", body="Hello\n", kind="test", created_at=now_utc())

    with pytest.raises(DeliveryError) as invalid:
        provider_for(ctx, Channel.EMAIL).send(message)

    assert "not valid" in str(invalid.value) and "example.com" not in str(invalid.value)
    assert mailbox.received == []


@pytest.mark.parametrize("mail_from, base_url, domain", [
    ("Countdown <hello@mail.countdown.example>", "https://other.example", "mail.countdown.example"),
    ("no-address", "https://countdown.example:8443/app", "countdown.example"),
    ("Countdown <hello@bücher.example>", "", "xn--bcher-kva.example"),
    ("", "", "countdown.invalid"),
])
def test_the_message_id_domain(mail_from, base_url, domain):
    from app.providers.messaging import message_id_domain

    assert message_id_domain(mail_from, base_url) == domain


def test_implicit_tls_on_port_465_style(app, database_url, tmp_path, tls_files, local_smtp_only, monkeypatch):
    """SMTP_USE_SSL: TLS from the first byte (no STARTTLS), the certificate checked."""
    box = Mailbox()
    controller = start_server(box, ssl_context=server_tls_context(tls_files))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))
    try:
        with separate_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(controller.port),
                          SMTP_USE_SSL="1", MAIL_FROM=MAIL_FROM) as ssl_app, ssl_app.app_context():
            assert ssl_app.config["MAIL_USE_SSL"] and not ssl_app.config["MAIL_USE_TLS"]
            user = Factory().user(language="de")
            message = outbox.queue_email("password_reset", user=user, url="https://countdown.test/r/3", minutes=60)
            db.session.flush()
            assert provider_for(ssl_app, Channel.EMAIL).send(message) == expected_message_id(message)
            rollback()
    finally:
        controller.stop()
    [received] = box.received
    assert received.message["Subject"] == "Neues Countdown-Passwort festlegen"


# -- render_html ------------------------------------------------------------------------------------

def test_render_html_escapes_the_text_and_links_web_addresses(app):
    text = (
        "Hello <b>Ann</b> & Co,\n"
        "second line\n\n"
        "See https://example.com/a?b=1&c=2. Or (https://example.com/wiki/Saturn_(planet)).\n"
        "Not a link: javascript:alert(1) nor ftp://example.com\n\n"
        'Sneaky: https://evil.example/"onmouseover="alert(1)'
    )
    with app.app_context(), force_locale("en"):
        html = render_html("Fares <up> & down", text)

    assert "<b>" not in html and "&lt;b&gt;Ann&lt;/b&gt; &amp; Co," in html
    assert "<title>Fares &lt;up&gt; &amp; down</title>" in html
    assert 'onmouseover="' not in html
    page = Links(html)
    assert page.lang == "en"
    hrefs = page.hrefs()
    assert "https://example.com/a?b=1&c=2" in hrefs  # the full address, without the full stop
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html
    assert "https://example.com/wiki/Saturn_(planet)" in hrefs
    assert "https://evil.example/" in hrefs
    assert not any(h.startswith(("javascript:", "ftp:")) for h in hrefs)
    # Paragraphs from blank lines; a single line break is a <br>.
    paragraphs = re.findall(r"<p\b[^>]*>(.*?)</p>", html, re.S)
    assert re.fullmatch(r"Hello .*Co,<br>\s*second line", paragraphs[0], re.S)
    assert len(paragraphs) >= 3
    assert "Open in Countdown" not in html  # no main link given: no button


def test_render_html_makes_the_main_link_a_button_in_the_current_language(app):
    url = "https://countdown.test/bookings/CD-123"
    with app.app_context(), force_locale("de"):
        html = render_html("Ihre Buchung", f"Guten Tag,\n\nIhre Buchung: {url}\n\nBis bald.", url=url)
        without = render_html("Ihre Buchung", "Guten Tag,\n\nkein Link", url=url)

    page = Links(html)
    assert page.lang == "de"
    assert page.hrefs().count(url) == 2  # the link in the text, and the button after it
    assert url not in without  # a main link that is not in the text is not added


def test_render_html_footer_links_to_the_notification_settings(app):
    with app.app_context(), force_locale("en"):
        html = render_html("Hi", "Hello")
    assert "You receive this email because you have an account with Countdown." in html
    assert ("http://countdown.test/account/notifications", "Choose which messages you get") in Links(html).links


# -- settings ---------------------------------------------------------------------------------------

def test_smtp_settings_become_flask_mailman_settings():
    from app.config import ConfigError, load_config

    starttls = load_config({"SMTP_HOST": "smtp.example.com", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p",
                            "MAIL_FROM": "Countdown <hello@example.com>"})
    assert starttls["EMAIL_PROVIDER"] == "smtp"
    assert {k: starttls[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
                                     "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_TIMEOUT",
                                     "MAIL_DEFAULT_SENDER")} == {
        "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 587, "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False, "MAIL_USERNAME": "u", "MAIL_PASSWORD": "p", "MAIL_TIMEOUT": 30,
        "MAIL_DEFAULT_SENDER": "Countdown <hello@example.com>",
    }
    implicit = load_config({"SMTP_HOST": "smtp.example.com", "SMTP_USE_SSL": "1", "SMTP_TIMEOUT": "10"})
    assert (implicit["MAIL_PORT"], implicit["MAIL_USE_SSL"], implicit["MAIL_USE_TLS"],
            implicit["MAIL_TIMEOUT"]) == (465, True, False, 10)
    assert load_config({})["EMAIL_PROVIDER"] == "outbox"
    with pytest.raises(ConfigError, match="SMTP_USE_SSL and SMTP_STARTTLS"):
        load_config({"SMTP_HOST": "smtp.example.com", "SMTP_USE_SSL": "1", "SMTP_STARTTLS": "1"})
