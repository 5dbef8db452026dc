"""The message engine: email, SMS and in-app messages, and the reminders that write them.

It knows no domain. Domains register what it needs to know: their preference categories
(:func:`preferences.register_category`), the subjects reminders are about and the rules that
write them (:func:`reminders.register_subject`, :func:`reminders.register`).

- ``outbox``: render a message in its recipient's language and write it as a row to deliver.
- ``reminders``: rules that plan message rows about a subject and keep them true as it changes.
- ``delivery``: hand due rows to their provider, each once, never lost.
- ``preferences``: channels per category, quiet hours, SMS opt-outs.
- ``inbox``: the in-app notification centre; ``sms``: Twilio's callbacks and inbound keywords.
"""

# The reminder engine receives ``preferences_changed``: loaded with the package, so that saving
# preferences always re-plans what is pending, whichever module of the engine was imported first.
from app.messaging import privacy, reminders  # noqa: E402,F401
