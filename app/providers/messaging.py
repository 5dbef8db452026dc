"""Email and SMS providers.

The outbox providers are the embedded default: a message "sent" through them stays in the
``outbound_messages`` table, which staff read at ``/outbox``. The real providers hand the same row
to an SMTP server or to Twilio.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import threading
from datetime import timedelta, timezone
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.smtp import EmailBackend as SmtpBackend
from requests import ConnectionError as RequestsConnectionError
from requests import RequestException, Timeout
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.extensions import mail
from app.models import Channel, OutboundMessage


class DeliveryError(RuntimeError):
    pass


class MessageProvider(Protocol):
    name: str
    #: True when sending leaves the database (SMTP, Twilio). Such a send cannot be part of our
    #: transaction, so the row is marked ``sending`` first and reconciled if the worker dies.
    external: bool

    def send(self, message: OutboundMessage) -> str | None:
        """Deliver ``message``; return the provider's id for it. Raise DeliveryError on refusal."""

    def find_sent(self, message: OutboundMessage) -> str | None:
        """After a worker died mid-send: the provider's id if the provider did get ``message``,
        None if it did not (or cannot tell, as SMTP cannot: the message is then sent again).
        Raises DeliveryError when the provider cannot be asked now (it is asked again later)."""


class OutboxProvider:
    """The row itself is the outbox: sending is the status change, in the same transaction."""

    name = "outbox"
    external = False

    def send(self, message: OutboundMessage) -> str | None:
        return None

    def find_sent(self, message: OutboundMessage) -> str | None:
        return None


class InAppProvider(OutboxProvider):
    """In-app notifications: the row is shown in the user's notification centre once sent."""

    name = "in_app"


class _VerifyingSMTP(smtplib.SMTP):
    """smtplib checks no certificate on STARTTLS unless it is given a context (and Flask-Mailman
    gives none): this connection always checks the server's certificate and name."""

    def starttls(self, *args, context=None, **kwargs):
        if context is None:
            context = ssl.create_default_context()
        return super().starttls(*args, context=context, **kwargs)


class VerifyingEmailBackend(SmtpBackend):
    """Flask-Mailman's SMTP backend, checking the certificate on STARTTLS as it does on SSL."""

    @property
    def connection_class(self):
        return smtplib.SMTP_SSL if self.use_ssl else _VerifyingSMTP


class SmtpEmailProvider:
    """Email through an SMTP server with Flask-Mailman: the plain text, and the HTML if any.

    The server settings are Flask-Mailman's ``MAIL_*``, derived from ``SMTP_*`` in ``app.config``.
    Every row has one Message-ID, the same on every attempt (see :meth:`find_sent`).
    """

    name = "smtp"
    external = True

    def __init__(self, app: Flask) -> None:
        self.sender = app.config["MAIL_FROM"]
        self.domain = message_id_domain(self.sender, app.config["BASE_URL"])

    def message_id(self, message: OutboundMessage) -> str:
        # The row's id and creation time: the same on every attempt, never the same for two rows,
        # even across databases that share a sender domain (staging, a reset development copy).
        return f"<countdown-message-{message.id}.{int(message.created_at.timestamp())}@{self.domain}>"

    def send(self, message: OutboundMessage) -> str | None:
        msg_id = self.message_id(message)
        try:
            email = EmailMultiAlternatives(
                message.subject, message.body, self.sender, [message.recipient],
                headers={"Message-ID": msg_id},
            )
            if message.html_body:
                email.attach_alternative(message.html_body, "text/html")
            for attachment in message.attachments or []:
                email.attach(attachment["filename"], attachment["content"], attachment["content_type"])
            connection = mail.get_connection(VerifyingEmailBackend, fail_silently=False)
            try:
                connection.open()  # opened here, so send_messages leaves the closing to us
                sent = connection.send_messages([email])
            finally:
                # Once the server has taken the message, a failing QUIT must not make it "failed".
                try:
                    connection.close()
                except (OSError, smtplib.SMTPException):
                    pass
        # The server's reply text and the exceptions' own messages often quote the recipient's
        # address, so only the error class and the SMTP code are kept (and nothing is chained).
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(sorted({str(code) for code, _ in exc.recipients.values()}))
            raise DeliveryError(f"SMTP delivery failed: SMTPRecipientsRefused ({codes})") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP delivery failed: {type(exc).__name__} ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"SMTP delivery failed: {type(exc).__name__}") from None
        except OSError as exc:  # refused, unreachable, timed out, TLS: no address in these
            raise DeliveryError(f"SMTP delivery failed: {type(exc).__name__}") from exc
        except ValueError as exc:  # BadHeaderError, an invalid address: their messages quote it
            raise DeliveryError(
                f"SMTP delivery failed: {type(exc).__name__} (an address or a header is not valid)"
            ) from None
        if not sent:
            raise DeliveryError("SMTP delivery failed: the message has no recipient address")
        return msg_id

    def find_sent(self, message: OutboundMessage) -> str | None:
        """SMTP cannot say whether a message arrived, so a message interrupted mid-send is sent
        again, with the same Message-ID: receiving systems use it to drop the duplicate."""
        return None


def message_id_domain(mail_from: str, base_url: str) -> str:
    """The domain of our Message-IDs: the sender address's, else the public address's host."""
    address = parseaddr(mail_from)[1]
    domain = address.rpartition("@")[2].strip().strip(".") if "@" in address else ""
    if not domain:
        domain = (urlsplit(base_url).hostname or "").strip(".")
    try:
        return domain.encode("idna").decode("ascii") if domain else "countdown.invalid"
    except UnicodeError:
        return "countdown.invalid"


class TwilioSmsProvider:
    """SMS through Twilio Programmable Messaging, with the official SDK.

    Sends from ``TWILIO_MESSAGING_SERVICE_SID`` when set, else from ``TWILIO_FROM_NUMBER``, and asks
    Twilio to report delivery to ``/webhooks/twilio/status`` under ``BASE_URL``.
    ``TWILIO_API_BASE`` (tests and local development only) replaces ``https://api.twilio.com``.
    Errors keep Twilio's error code and HTTP status, never the number or the text.
    """

    name = "twilio"
    external = True
    #: Messages to one number looked at by :meth:`find_sent`.
    FIND_LIMIT = 50

    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self._credentials = (cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"])
        self._api_base = cfg.get("TWILIO_API_BASE", "")
        self._local = threading.local()
        self.from_number = cfg["TWILIO_FROM_NUMBER"]
        self.messaging_service_sid = cfg["TWILIO_MESSAGING_SERVICE_SID"]
        self.base_url = cfg["BASE_URL"]

    @property
    def client(self):
        """One SDK client per thread: the SDK's HTTP client keeps the last response on itself, so
        two threads sharing one (a threads or gevent pool) could read each other's answers."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(*self._credentials, http_client=self._http_client(self._api_base))
            self._local.client = client
        return client

    @staticmethod
    def _http_client(api_base: str, timeout: float = 30):
        """The SDK's own HTTP client, with a timeout, sent to ``api_base`` when one is given, and
        logging no query string (listing messages puts the recipient's number in it)."""
        class HttpClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                if api_base:
                    parts = urlsplit(url)
                    url = api_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
                return super().request(method, url, *args, **kwargs)

            def log_request(self, kwargs) -> None:
                self.logger.info("Twilio API request: %s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

        return HttpClient(timeout=timeout)

    def status_callback_url(self) -> str:
        """The public address of our status callback: under BASE_URL, wherever we are called from
        (a request's own host may be an internal one behind a proxy)."""
        base = urlsplit(self.base_url)
        adapter = current_app.url_map.bind(
            base.netloc, url_scheme=base.scheme or "https", script_name=base.path or "/"
        )
        return adapter.build("messages.webhooks.status", {}, force_external=True)

    @staticmethod
    def _error(exc: Exception) -> DeliveryError:
        """A DeliveryError saying what went wrong without the number or the text (Twilio's own
        messages often quote the number), so it can be stored and logged."""
        if isinstance(exc, TwilioRestException):
            code = f"error {exc.code}" if exc.code else "no error code"
            return DeliveryError(f"Twilio refused the request: {code} (HTTP {exc.status})")
        response = exc.args[1] if len(exc.args) > 1 else None
        if hasattr(response, "status_code"):  # a page of a list that Twilio would not give
            try:
                code = f"error {int(json.loads(response.text)['code'])}"
            except (ValueError, KeyError, TypeError):
                code = "no error code"
            return DeliveryError(f"Twilio refused the request: {code} (HTTP {response.status_code})")
        if isinstance(exc, Timeout) and not isinstance(exc, RequestsConnectionError):
            return DeliveryError(f"Twilio did not answer in time ({type(exc).__name__}); "
                                 "the message may or may not have been sent")
        if isinstance(exc, RequestException):
            return DeliveryError(f"Twilio could not be reached: {type(exc).__name__}")
        return DeliveryError(f"Twilio delivery failed: {type(exc).__name__}")

    def send(self, message: OutboundMessage) -> str | None:
        kwargs = {
            "to": message.recipient, "body": message.body,
            "status_callback": self.status_callback_url(),
        }
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        try:
            return self.client.messages.create(**kwargs).sid
        except (TwilioException, RequestException) as exc:
            raise self._error(exc) from None

    def find_sent(self, message: OutboundMessage) -> str | None:
        """The SID of the message Twilio took for ``message``: one to the same number, created
        since a minute before the claim, with the same text; None when there is none (it is sent
        again). DeliveryError when Twilio cannot be asked, so that nothing is sent twice meanwhile.

        The newest messages to the number are listed without a DateSent filter: a message still
        waiting in Twilio's queue has no DateSent yet, and must be found too."""
        # In UTC: the SDK writes the time as it is, followed by "Z".
        since = ((message.claimed_at or message.created_at) - timedelta(minutes=1)).astimezone(timezone.utc)
        try:
            for sent in self.client.messages.list(to=message.recipient, limit=self.FIND_LIMIT):
                if sent.body == message.body and (sent.date_created is None or sent.date_created >= since):
                    return sent.sid
        except (TwilioException, RequestException) as exc:
            raise self._error(exc) from None
        return None


def init_providers(app: Flask) -> None:
    email = app.config["EMAIL_PROVIDER"]
    sms = app.config["SMS_PROVIDER"]
    providers: dict[Channel, MessageProvider] = {
        Channel.EMAIL: SmtpEmailProvider(app) if email == "smtp" else OutboxProvider(),
        Channel.SMS: TwilioSmsProvider(app) if sms == "twilio" else OutboxProvider(),
        Channel.IN_APP: InAppProvider(),
    }
    app.extensions["countdown_messaging"] = providers


def provider_for(app: Flask, channel: Channel) -> MessageProvider:
    return app.extensions["countdown_messaging"][channel]
