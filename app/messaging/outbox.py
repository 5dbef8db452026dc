"""Write a message: rendered in its recipient's language, as a row that delivery sends once.

A message is written as ``queued`` in the same transaction as what caused it, so it is never sent
for something that rolled back; one due now is handed to the delivery task after the commit.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytz
from flask import current_app
from flask_babel import _get_current_context, force_locale
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.messaging.email_html import render_html
from app.models import Channel, MessageStatus, OutboundMessage, User
from app.timeutil import now_utc
from app.transactions import after_commit

#: The Celery task that delivers messages by id (worker/tasks.py).
DELIVER_TASK = "countdown.deliver_messages"
S = MessageStatus


@contextmanager
def recipient_locale(user: User | None):
    """Render in the recipient's language and timezone, whoever's request this is."""
    ctx = _get_current_context()
    saved = getattr(ctx, "babel_tzinfo", None)
    ctx.babel_tzinfo = pytz.timezone(user.timezone if user is not None else "UTC")
    try:
        with force_locale(user.language if user is not None else "en"):
            yield
    finally:
        ctx.babel_tzinfo = saved


def _html(subject: str, body: str, url: str | None) -> str:
    return render_html(subject, body, url=url)


def render(name: str, **context) -> str:
    """A message's template, from the template compiled once per process. Rendered by Jinja
    directly: Flask's ``render_template`` adds what the pages' context processors give (the
    language menu, roles), which no message uses, at a third of the cost of a reminder's text."""
    return current_app.jinja_env.get_template(name).render(context)


def _email_text(template: str, user: User | None, context: dict) -> tuple[str, str]:
    text = render(f"email/{template}.txt", user=user, **context)
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def render_email(template: str, user: User | None, **context) -> tuple[str, str, str]:
    """Render ``email/<template>.txt`` in the recipient's language: (subject, text, html).

    The template's first line is the subject; the body follows a blank line. The HTML version is
    the same text in the email layout, so the two never say different things.
    """
    with recipient_locale(user):
        subject, body = _email_text(template, user, context)
        return subject, body, _html(subject, body, context.get("url"))


def render_subject(template: str, user: User | None, **context) -> str:
    """The subject of ``email/<template>.txt`` in the recipient's language (an in-app notice's
    title), without the HTML version an email needs."""
    with recipient_locale(user):
        return _email_text(template, user, context)[0]


def render_sms(template: str, user: User | None, **context) -> str:
    """Render ``sms/<template>.txt`` in the recipient's language. A text message opens with the
    app's name, as a phone does not say who wrote it; the same text in the app (``in_app``) does not."""
    with recipient_locale(user):
        text = " ".join(render(f"sms/{template}.txt", user=user, **context).split())
        return text if context.get("in_app") else _("Countdown: %(message)s", message=text)


def queue_email(
    kind: str, *, user: User | None = None, to: str | None = None, **context
) -> OutboundMessage:
    """An email about something that just happened (a receipt, a password reset): due now."""
    subject, body, html = render_email(kind, user, **context)
    message = OutboundMessage(
        channel=Channel.EMAIL, user_id=user.id if user else None,
        recipient=to or (user.email if user else ""), subject=subject, body=body, html_body=html,
        link_url=context.get("url") or "", kind=kind, send_at=now_utc(),
    )
    db.session.add(message)
    db.session.flush()
    after_commit(DELIVER_TASK, [message.id])
    return message


def queue_sms(kind: str, to: str, text: str, key: str) -> int | None:
    """An SMS to someone without an account (a tourist's companion) about something that just
    happened, due now, written once per ``key`` however often it is asked (the id, or None when
    it exists already). A number that replied STOP is not sent to (delivery checks)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    new_id = db.session.scalar(
        insert(OutboundMessage).values(
            channel=Channel.SMS, user_id=None, recipient=to, body=text, kind=kind, key=key, urgent=True,
            send_at=now_utc(), status=S.QUEUED, context={}, subject="", html_body="", link_url="")
        .on_conflict_do_nothing(index_elements=["key"]).returning(OutboundMessage.id))
    if new_id is not None:
        after_commit(DELIVER_TASK, [new_id])
    return new_id


def drop(message: OutboundMessage, why: str) -> None:
    message.status = S.DROPPED
    message.note = why
