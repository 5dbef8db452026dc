"""Email and SMS providers.

The outbox providers are the embedded default: a message "sent" through them stays in the
``outbound_messages`` table, which staff read at ``/outbox``. The real providers hand the same row
to an SMTP server or to Twilio.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from flask import Flask

from app.models import Channel, OutboundMessage


class DeliveryError(RuntimeError):
    pass


class MessageProvider(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> str | None:
        """Deliver ``message``; return the provider's id for it."""


class OutboxProvider:
    name = "outbox"

    def send(self, message: OutboundMessage) -> str | None:
        return None  # the row itself is the outbox


class SmtpEmailProvider:
    name = "smtp"

    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self.host, self.port = cfg["SMTP_HOST"], cfg["SMTP_PORT"]
        self.username, self.password = cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"]
        self.starttls = cfg["SMTP_STARTTLS"]
        self.sender = cfg["MAIL_FROM"]

    def send(self, message: OutboundMessage) -> str | None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        msg_id = make_msgid(domain="countdown")
        mail["Message-ID"] = msg_id
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP delivery failed: {type(exc).__name__}") from exc
        return msg_id


class TwilioSmsProvider:
    name = "twilio"

    def __init__(self, app: Flask) -> None:
        from twilio.rest import Client

        cfg = app.config
        self.client = Client(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"])
        self.from_number = cfg["TWILIO_FROM_NUMBER"]
        self.messaging_service_sid = cfg["TWILIO_MESSAGING_SERVICE_SID"]

    def send(self, message: OutboundMessage) -> str | None:
        from twilio.base.exceptions import TwilioException

        kwargs = {"to": message.recipient, "body": message.body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        try:
            return self.client.messages.create(**kwargs).sid
        except TwilioException as exc:
            raise DeliveryError(f"Twilio delivery failed: {type(exc).__name__}") from exc


def init_providers(app: Flask) -> None:
    email = app.config["EMAIL_PROVIDER"]
    sms = app.config["SMS_PROVIDER"]
    providers: dict[Channel, MessageProvider] = {
        Channel.EMAIL: SmtpEmailProvider(app) if email == "smtp" else OutboxProvider(),
        Channel.SMS: TwilioSmsProvider(app) if sms == "twilio" else OutboxProvider(),
    }
    app.extensions["countdown_messaging"] = providers


def provider_for(app: Flask, channel: Channel) -> MessageProvider:
    return app.extensions["countdown_messaging"][channel]
