from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.config import LANGUAGES
from app.desk import conversations, saved_answers
from app.desk.labels import TOPICS
from app.i18n import lazy_gettext as _l
from blueprints.forms import REQUIRED

TOPIC_CHOICES = [(topic.value, label) for topic, label in TOPICS.items()]


def _files():
    return MultipleFileField(_l("Attach files (optional)"))


class AskForm(FlaskForm):
    topic = SelectField(_l("What is it about?"), choices=[("", _l("Choose a topic"))] + TOPIC_CHOICES,
                        validators=[DataRequired(_l("Choose what your question is about."))])
    booking = SelectField(_l("Which booking?"), choices=[], validators=[Optional()])
    subject = StringField(_l("Subject"), validators=[DataRequired(REQUIRED), Length(max=conversations.SUBJECT_MAX)])
    body = TextAreaField(_l("Your question"), validators=[
        DataRequired(REQUIRED), Length(min=conversations.BODY_MIN, max=conversations.BODY_MAX)])
    files = _files()


class WriteForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[
        DataRequired(REQUIRED), Length(min=conversations.BODY_MIN, max=conversations.BODY_MAX)])
    files = _files()


class SeenForm(FlaskForm):
    """A one-button action on a conversation, with the last message the page showed."""
    seen = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply to the tourist"), validators=[
        DataRequired(REQUIRED), Length(min=conversations.BODY_MIN, max=conversations.BODY_MAX)])
    files = _files()
    resolve = BooleanField(_l("Resolve the conversation with this answer"))
    seen = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Internal note"), validators=[
        DataRequired(REQUIRED), Length(min=conversations.BODY_MIN, max=conversations.BODY_MAX)])


class AssignForm(FlaskForm):
    owner = SelectField(_l("Owner"), choices=[])


class TopicForm(FlaskForm):
    topic = SelectField(_l("Topic"), choices=TOPIC_CHOICES)
    confirm = BooleanField(_l("I know that the thread and its notes become readable by that topic's staff"))


class MatchForm(FlaskForm):
    email = StringField(_l("The tourist's email address"), validators=[DataRequired(REQUIRED), Length(max=254)])


class RateForm(FlaskForm):
    rating = HiddenField()


class SavedAnswerForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=saved_answers.TITLE_MAX)])
    topic = SelectField(_l("Topic"), choices=[("", _l("Any topic"))] + TOPIC_CHOICES, validators=[Optional()])
    active = BooleanField(_l("Offered in replies"), default=True)


def add_language_fields(form_class: type) -> type:
    """A body per language: ``body_en``, ``body_de``, ... (the default language's required)."""
    fields = {f"body_{code}": TextAreaField(name, validators=[Optional(), Length(max=saved_answers.BODY_MAX)])
              for code, name in LANGUAGES.items()}
    return type(form_class.__name__, (form_class,), fields)


SavedAnswerForm = add_language_fields(SavedAnswerForm)
