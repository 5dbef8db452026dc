"""Medical assessment: questionnaires, a tourist's case, answers, uploads, assessments, decisions,
self-certifications and the access log. Confidential: free text is encrypted at rest
(:class:`~app.crypto.EncryptedText`), and every view, change and download is logged.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import multilingual
from app.crypto import EncryptedJSON, EncryptedText
from app.extensions import db
from app.models.accounts import User
from app.models.types import UTCDateTime, enum_column
from app.timeutil import now_utc


class QuestionKind(str, enum.Enum):
    YES_NO = "yes_no"
    TEXT = "text"
    NUMBER = "number"            # with a unit and a range
    DATE = "date"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    FILE = "file"                # PDF, JPEG or PNG


class Questionnaire(db.Model):
    """A version of the health questionnaire. Once published it is never changed: medical staff
    edit a new draft version, and cases keep the version they were answered on."""

    __tablename__ = "medical_questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: ``title`` and ``intro`` are in the default language; translations ``{language: {"title",
    #: "intro"}}`` (see :mod:`app.multilingual`).
    default_language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=sql_text("'{}'"))

    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def title_in(self, language: str) -> str:
        return multilingual.text_in(self.texts, language, "title", self.title)

    def intro_in(self, language: str) -> str:
        return multilingual.text_in(self.texts, language, "intro", self.intro)


class Question(db.Model):
    __tablename__ = "medical_questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key", name="uq_medical_questions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("medical_questionnaires.id"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))            # stable name, used by conditions
    text: Mapped[str] = mapped_column(Text)
    help: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    required: Mapped[bool] = mapped_column(default=True)
    unit: Mapped[str] = mapped_column(String(16), default="")
    min_value: Mapped[float | None]
    max_value: Mapped[float | None]
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Options of a multiple-choice question answered only on their own ("None of these").
    exclusive_choices: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=sql_text("'[]'"))
    #: Which dates a date question takes: "past" (today or before: something that happened),
    #: "future" (today or after: something planned) or "any".
    date_range: Mapped[str] = mapped_column(String(8), default="past", server_default="any")
    #: Shown only when the answer to the question ``show_if_key`` is one of ``show_if_values``.
    show_if_key: Mapped[str | None] = mapped_column(String(64))
    show_if_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Translations of ``text``, ``help`` and the choices' labels (the choices themselves are the
    #: values answers keep): ``{language: {"text", "help", "choices": {choice: label}}}``.
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=sql_text("'{}'"))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")

    def text_in(self, language: str) -> str:
        return multilingual.text_in(self.texts, language, "text", self.text)

    def help_in(self, language: str) -> str:
        return multilingual.text_in(self.texts, language, "help", self.help)

    def choice_label(self, choice: str, language: str) -> str:
        """A choice as a reader of ``language`` sees it; the answer keeps the choice itself."""
        return (multilingual.text_in(self.texts, language, "choices", {}) or {}).get(choice) or choice


class CaseState(str, enum.Enum):
    ANSWERING = "answering"            # the tourist is filling in the questionnaire
    SUBMITTED = "submitted"            # waiting for review
    INFO_REQUESTED = "info_requested"  # medical staff asked the tourist something
    CLEARED = "cleared"
    RESTRICTED = "restricted"          # cleared, with stated restrictions
    NOT_CLEARED = "not_cleared"

    @property
    def cleared(self) -> bool:
        return self in (CaseState.CLEARED, CaseState.RESTRICTED)


class MedicalCase(db.Model):
    """One tourist's medical assessment: the questionnaire they answer, its review, the decision
    and how long it holds. A new case is opened when a clearance has to be renewed."""

    __tablename__ = "medical_cases"
    __table_args__ = (Index("ix_medical_cases_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("medical_questionnaires.id"))
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState, 20), default=CaseState.ANSWERING)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    valid_until: Mapped[date | None]
    restrictions: Mapped[str] = mapped_column(EncryptedText, default="")
    info_request: Mapped[str] = mapped_column(EncryptedText, default="")   # what the tourist is asked
    info_response: Mapped[str] = mapped_column(EncryptedText, default="")  # what they answered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    questionnaire: Mapped[Questionnaire] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="case", cascade="all, delete-orphan")
    events: Mapped[list["CaseEvent"]] = relationship(order_by="CaseEvent.id", cascade="all, delete-orphan")


class Answer(db.Model):
    __tablename__ = "medical_answers"
    __table_args__ = (UniqueConstraint("case_id", "question_id", name="uq_medical_answers_case_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("medical_cases.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("medical_questions.id"))
    #: The answer as JSON (bool, str, number, ISO date, list of choices, upload ids), encrypted.
    value: Mapped[Any] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, onupdate=now_utc)

    case: Mapped[MedicalCase] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class MedicalUpload(db.Model):
    """A file a tourist uploaded (an ECG, a letter), stored encrypted outside the web root under a
    random name."""

    __tablename__ = "medical_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("medical_cases.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("medical_questions.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(EncryptedText, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class EcgResult(str, enum.Enum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"
    NOT_DONE = "not_done"


class Assessment(db.Model):
    """What medical staff found: vitals, tests and notes. Values outside the vehicle's physical
    limits or plausible ranges are recorded as flags."""

    __tablename__ = "medical_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("medical_cases.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    systolic_mmhg: Mapped[int]
    diastolic_mmhg: Mapped[int]
    heart_rate_bpm: Mapped[int]
    height_cm: Mapped[float] = mapped_column(Numeric(5, 1))
    weight_kg: Mapped[float] = mapped_column(Numeric(5, 1))
    ecg_result: Mapped[EcgResult] = mapped_column(enum_column(EcgResult))
    centrifuge_g: Mapped[float | None] = mapped_column(Numeric(4, 1))  # highest load tolerated
    other_tests: Mapped[str] = mapped_column(EncryptedText, default="")
    notes: Mapped[str] = mapped_column(EncryptedText, default="")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    @property
    def bmi(self) -> float:
        metres = float(self.height_cm) / 100
        return round(float(self.weight_kg) / (metres * metres), 1)


class CaseEvent(db.Model):
    """Append-only history of a case's state machine."""

    __tablename__ = "medical_case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("medical_cases.id"), index=True)
    from_state: Mapped[CaseState | None] = mapped_column(enum_column(CaseState, 20))
    to_state: Mapped[CaseState] = mapped_column(enum_column(CaseState, 20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    #: "transition" (a move of the state machine), "correction" (medical staff corrected a
    #: decision: the new decision, its ``reason``) or "change_report" (the tourist told the medical
    #: team about a change; ``note`` holds what they wrote).
    kind: Mapped[str] = mapped_column(String(20), default="transition", server_default="transition")
    #: Why a decision was corrected (medical staff only); None for other events.
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    #: The clearance's end this event set (a clearance, or a corrected one), kept with the history.
    valid_until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship()


class SelfCertification(db.Model):
    """Close to launch, the tourist confirms that nothing has changed (or says what has)."""

    __tablename__ = "medical_self_certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("medical_cases.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    changed: Mapped[bool]
    details: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class MedicalAccess(db.Model):
    """Who looked at or changed which medical record, what, and when. Written by every medical
    route; medical staff read a case's log."""

    __tablename__ = "medical_access_log"
    __table_args__ = (Index("ix_medical_access_log_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("medical_cases.id"))
    action: Mapped[str] = mapped_column(String(16))   # view, change, download, decide...
    what: Mapped[str] = mapped_column(String(200))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    actor: Mapped[User | None] = relationship()


class VehicleLimits(db.Model):
    """A vehicle's physical limits for its passengers (e.g. age 18+, height 152-193 cm, weight
    50-101 kg). Keyed by the vehicle's name as flights give it."""

    __tablename__ = "medical_vehicle_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle: Mapped[str] = mapped_column(String(120), unique=True)
    min_age: Mapped[int] = mapped_column(default=18)
    min_height_cm: Mapped[float | None] = mapped_column(Numeric(5, 1))
    max_height_cm: Mapped[float | None] = mapped_column(Numeric(5, 1))
    min_weight_kg: Mapped[float | None] = mapped_column(Numeric(5, 1))
    max_weight_kg: Mapped[float | None] = mapped_column(Numeric(5, 1))
