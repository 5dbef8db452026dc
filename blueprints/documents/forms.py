"""Forms of the documents' pages: accepting a document and asking about it (tourist); a new
document, a version to publish and an answer (operations)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.config import LANGUAGES
from app.documents import documents
from app.documents import labels as document_labels
from app.errors import ServiceError
from app.i18n import lazy_gettext as _l
from app.models import DocumentKind, DocumentScope
from blueprints.documents import widgets
from blueprints.forms import LANGUAGE_CHOICES, REQUIRED, CheckedForm, IntegerField

K = DocumentKind


class AcceptForm(CheckedForm):
    """Sign (consent, waiver) or acknowledge (the others) the version shown, in the language shown.
    The page removes the confirmations that are not its kind's."""
    version_id = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    language = HiddenField(validators=[DataRequired(), Length(max=5)])
    read = BooleanField(_l("I have read and understood this document."),
                        validators=[DataRequired(_l("Please confirm that you have read it."))])
    # The informed consent (14 CFR 460.45).
    not_certified = BooleanField(
        _l("I understand that the United States Government has not certified the launch vehicle "
           "and any reentry vehicle as safe for carrying crew or spaceflight participants."),
        validators=[DataRequired(_l("Please confirm that you understand this."))],
    )
    questions_answered = BooleanField(
        _l("I had the opportunity to ask questions, and I consent to take part in the flight."),
        validators=[DataRequired(_l("Please confirm that you consent."))],
    )
    # The reciprocal waiver of claims (14 CFR 460.49): each participant signs their own.
    own_behalf = BooleanField(
        _l("I sign this waiver for myself alone, and I waive my claims against the FAA and the other "
           "participants of the launch as it says."),
        validators=[DataRequired(_l("Please confirm that you sign for yourself."))],
    )
    signed_name = StringField(_l("Type your full name to sign"), validators=[DataRequired(REQUIRED), Length(max=120)])
    #: Set by the page: the tourist.
    user = None

    def keep_for(self, kind: DocumentKind) -> "AcceptForm":
        if kind is not K.INFORMED_CONSENT:
            del self.not_certified, self.questions_answered
        if kind is not K.WAIVER:
            del self.own_behalf
        if not kind.signed:
            del self.signed_name
        return self

    def service_problems(self) -> list[ServiceError]:
        if self.user is None or "signed_name" not in self._fields:
            return []
        problem = documents.signed_name_problem(self.user, self.signed_name.data)
        return [problem] if problem is not None else []


#: A question about a document is a conversation at the desk; a real one takes a few words.
QUESTION_MIN, QUESTION_MAX = 5, 4000


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question"), validators=[
        DataRequired(REQUIRED), Length(min=QUESTION_MIN, max=QUESTION_MAX)])


class NewDocumentForm(CheckedForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in document_labels.KINDS.items()],
                       widget=widgets.Select())
    scope = SelectField(_l("Asked of"), choices=[(s.value, label) for s, label in document_labels.SCOPES.items()],
                        widget=widgets.Select())
    scope_name = StringField(_l("Vehicle or spaceport"), validators=[Optional(), Length(max=documents.SCOPE_NAME_MAX)],
                             widget=widgets.TextInput())
    flight_id = SelectField(_l("Flight"), coerce=int, choices=[], validators=[Optional()],
                            widget=widgets.Select(keep_last=True))
    default_language = SelectField(_l("Default language (its text is required)"), choices=LANGUAGE_CHOICES,
                                   default="en", widget=widgets.Select())

    def data_for_service(self) -> documents.DocumentData:
        return documents.DocumentData(
            kind=DocumentKind(self.kind.data) if not self.kind.errors and self.kind.data else None,
            scope=DocumentScope(self.scope.data) if not self.scope.errors and self.scope.data else None,
            scope_name=self.scope_name.data or "", flight_id=self.flight_id.data or None,
            default_language=self.default_language.data or "en",
        )

    def service_problems(self) -> list[ServiceError]:
        return documents.document_problems(self.data_for_service())


class VersionForm(CheckedForm):
    """A version's texts (one title and body per language), whether it is a material change,
    what changed; ``confirmed`` once operations have seen the preview and the impact."""
    material = RadioField(_l("This version is"), choices=[
        ("material", _l("A material change: everyone who accepted an earlier version must do it again")),
        ("correction", _l("A correction (spelling, layout): nobody is asked again")),
    ], default="material", validators=[Optional()], validate_choice=False, option_widget=widgets.RadioInput())
    confirmed = HiddenField(widget=widgets.HiddenInput())
    #: The number of the latest version when the form was shown (0: none yet).
    based_on = HiddenField(widget=widgets.HiddenInput())
    #: Set by the page.
    document = None

    def language_fields(self):
        for code, name in LANGUAGES.items():
            yield code, name, self[f"title_{code}"], self[f"body_{code}"], self[f"summary_{code}"]

    def draft(self) -> documents.Draft:
        based_on = (self.based_on.data or "").strip()
        return documents.Draft(
            texts={code: (self[f"title_{code}"].data or "", self[f"body_{code}"].data or "") for code in LANGUAGES},
            material=self.material.data != "correction",
            summaries={code: self[f"summary_{code}"].data or "" for code in LANGUAGES},
            based_on=int(based_on) if based_on.isdigit() else None,
        )

    def service_problems(self) -> list[ServiceError]:
        return documents.draft_problems(self.document, self.draft()) if self.document is not None else []


for _code in LANGUAGES:
    setattr(VersionForm, f"title_{_code}", StringField(_l("Title"), validators=[Optional(), Length(max=documents.TITLE_MAX)],
                                                       widget=widgets.TextInput()))
    setattr(VersionForm, f"body_{_code}", TextAreaField(_l("Text"), validators=[Optional(), Length(max=documents.BODY_MAX)],
                                                        widget=widgets.TextArea()))
    setattr(VersionForm, f"summary_{_code}", TextAreaField(_l("What changed (shown to tourists asked again)"),
                                                           validators=[Optional(), Length(max=documents.SUMMARY_MAX)],
                                                           widget=widgets.TextArea()))
