"""The desk's long pieces of HTML written in Python: the inbox's rows (fifty a page, seven cells
each) and its flight filter (sixty flights). A Jinja loop with a test, a lookup and an escape per
cell was the larger part of the inbox's rendering. The same HTML as the templates wrote; user text
is escaped as ``{{ }}`` escapes it, and a translation is used as the templates' ``_()`` uses it
(as markup, its values escaped)."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup, escape

from app.desk import clock, labels
from app.formats import iso, when
from app.i18n import gettext
from app.i18n import markup as _
from app.models import Channel
from app.urls import url_maker


def inbox_rows(rows, now: datetime) -> Markup:
    """A ``<tr>`` per conversation (rows of the inbox's statement): its subject and link, its
    tourist (or an unmatched SMS's number), topic, state, when the answer is due and since when
    the tourist waits (late or soon due marked), its owner and the flight of its booking."""
    url = url_maker("desk.staff.conversation", "conversation_id")
    topics = {t: escape(str(label)) for t, label in labels.TOPICS.items()}
    states = {s: f'<span class="badge badge-desk-{s.value}">{escape(str(label))}</span>'
              for s, label in labels.STATES.items()}
    # (Translations outside the f-strings: Babel's extraction does not look inside them.)
    sms_text, late_text, soon_text = _("SMS"), _("Late"), _("Soon due")
    not_our_turn_text, nobody_text = _("Not our turn"), _("Nobody yet")
    sms = f' <small class="muted">· {sms_text}</small>'
    late = f'<span class="badge badge-blocked">{late_text}</span>'
    soon = f'<span class="badge badge-waiting">{soon_text}</span>'
    not_our_turn = f'<span class="muted">{not_our_turn_text}</span>'
    nobody = f'<span class="muted">{nobody_text}</span>'
    # As the template's _() gives it: the translation as markup, its value escaped (here into a
    # plain str: Markup's own % costs more than the row's other cells together).
    waiting = gettext("waiting since %(when)s")
    html = []
    for c in rows:
        standing = clock.standing(c.waiting_since, c.due_at, now)
        if c.due_at is not None:
            badge = late if standing == "late" else soon if standing == "near" else ""
            since = waiting % {"when": escape(when(c.waiting_since, "short"))}
            due = (f'{badge}\n        <time datetime="{escape(iso(c.due_at))}">{escape(when(c.due_at, "short"))}</time>'
                   f'<br><small class="muted">{since}</small>')
        else:
            due = not_our_turn
        who = escape(c.tourist) if c.user_id is not None else f'<span class="muted">{escape(c.phone)}</span>'
        flight = (f'{escape(c.flight)}<br><small class="muted">{escape(c.reference)}</small>'
                  if c.booking_id is not None and c.flight is not None else "")
        marked = f' class="desk-{standing}"' if standing in ("near", "late") else ""
        html.append(
            f"\n    <tr{marked}>\n"
            f'      <th scope="row"><a href="{escape(url(c.id))}">{escape(c.subject)}</a>'
            f'{sms if c.last_channel is Channel.SMS else ""}</th>\n'
            f"      <td>{who}</td>\n"
            f"      <td>{topics[c.topic]}</td>\n"
            f"      <td>{states[c.state]}</td>\n"
            f"      <td>{due}</td>\n"
            f"      <td>{escape(c.owner) if c.owner is not None else nobody}</td>\n"
            f"      <td>{flight}</td>\n"
            f"    </tr>\n    "
        )
    return Markup("".join(html))


def thread(messages, conversation, viewer: str) -> Markup:
    """A conversation's messages, each an ``<li>``: who wrote it (the tourist reads "You" and "Our
    team"; staff read names, and the internal notes by whom), when and whether by SMS, the text and
    its files to download (for ``viewer`` "tourist" or "staff"). Was an include per message, each
    copying the page's whole context."""
    files = url_maker(f"desk.{viewer}.attachment", "attachment_id", conversation_id=conversation.id)
    tourist = _("You") if viewer == "tourist" else escape(
        conversation.user.name if conversation.user else conversation.phone)
    our_team, by_sms = _("Our team"), _("by SMS")
    badge = f' <span class="badge">{our_team}</span>' if viewer == "tourist" else ""
    html = []
    for m in messages:
        kind = m.kind.value
        if kind == "tourist":
            who, after = tourist, ""
        elif kind == "note":
            who, after = _("Internal note by %(name)s", name=m.author.name if m.author else ""), ""
        else:
            who, after = escape(m.author.name) if m.author else our_team, badge
        sms = f" · {by_sms}" if m.channel is Channel.SMS else ""
        attached = ""
        if m.attachments:
            # As the template's ``(size / 1024) | round(0) | int``: Python's round, halves to even.
            items = "".join(f'<li><a href="{escape(files(a.id))}">{escape(a.filename)}</a> '
                            f'<small class="muted">({int(round(a.size / 1024, 0))} KB)</small></li>'
                            for a in m.attachments)
            attached = f'\n  <ul class="desk-files">\n    {items}\n  </ul>\n  '
        html.append(
            f'<li class="desk-message desk-message-{kind}">\n  <p class="desk-message-head">\n'
            f"    <strong>{who}</strong>{after}\n"
            f'    <small class="muted">{escape(when(m.created_at, "medium"))}{sms}</small>\n  </p>\n'
            f'  <div class="message-body">{escape(m.body)}</div>\n  {attached}\n</li>'
        )
    return Markup("".join(html))
