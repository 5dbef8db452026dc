"""All models, one module per domain; importing this package registers every table."""

from app.models.accounts import (
    PhoneVerification,
    Role,
    ThrottleHit,
    User,
    UserSession,
    normalise_email,
)
from app.models.bookings import Booking, BookingEvent, BookingState, WaitlistEntry, WaitlistState
from app.models.desk import (
    Conversation,
    ConversationAttachment,
    ConversationMessage,
    ConversationState,
    DeskEvent,
    DeskEventKind,
    MessageKind,
    SavedAnswer,
    Topic,
)
from app.models.documents import (
    Acceptance,
    Document,
    DocumentEvent,
    DocumentEventKind,
    DocumentKind,
    DocumentNotice,
    DocumentScope,
    DocumentText,
    DocumentVersion,
    ImmutableRecordError,
)
from app.models.flightops import Feedback, FlightOutcome, LaunchLink, LaunchUpdate, UpdateKind
from app.models.flights import Flight, FlightEvent, FlightStatus, SlipCause
from app.models.medical import (
    Answer,
    Assessment,
    CaseEvent,
    CaseState,
    EcgResult,
    MedicalAccess,
    MedicalCase,
    MedicalUpload,
    Question,
    QuestionKind,
    Questionnaire,
    SelfCertification,
    VehicleLimits,
)
from app.models.notifications import (
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    QuietHours,
    SmsOptOut,
)
from app.models.payments import (
    Payment,
    PaymentEvent,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundKind,
    SandboxIntent,
    WebhookEvent,
)
from app.models.privacy import (
    DataExport,
    ErasureRequest,
    ErasureState,
    ErasureStep,
    ExportState,
    PrivacyLog,
    PrivacyLogKind,
    RetentionRun,
    RetentionUnlock,
)
from app.models.readiness import GateOverride
from app.models.training import (
    Attendance,
    CalendarFeed,
    ModuleKind,
    PlaceState,
    PlanItem,
    Result,
    SafetyTopic,
    SessionPlace,
    SessionStatus,
    TrainingEvent,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    module_prerequisites,
    session_instructors,
)
from app.models.travel import (
    AgeBand,
    Arrival,
    ArrivalMode,
    Companion,
    EmergencyContact,
    ItineraryChange,
    Manifest,
    Segment,
    SegmentKind,
    SegmentStatus,
    SegmentTemplate,
    Sex,
    TravelAccess,
    TravelDocument,
    TravelDocumentType,
    TravelProfile,
)

__all__ = [
    "DataExport", "ErasureRequest", "ErasureState", "ErasureStep", "ExportState", "PrivacyLog",
    "PrivacyLogKind", "RetentionRun", "RetentionUnlock",
    "PhoneVerification",
    "Conversation", "ConversationAttachment", "ConversationMessage", "ConversationState", "DeskEvent",
    "DeskEventKind", "MessageKind", "SavedAnswer", "Topic",
    "GateOverride", "SlipCause", "LaunchLink", "LaunchUpdate", "UpdateKind", "Feedback", "FlightOutcome",
    "AgeBand", "Arrival", "ArrivalMode", "Companion", "EmergencyContact", "ItineraryChange", "Manifest", "Segment",
    "SegmentKind", "SegmentStatus", "SegmentTemplate", "Sex", "TravelAccess", "TravelDocument", "TravelDocumentType",
    "TravelProfile",
    "Answer", "Assessment", "CaseEvent", "CaseState", "EcgResult", "MedicalAccess", "MedicalCase",
    "MedicalUpload", "Question", "QuestionKind", "Questionnaire", "SelfCertification", "VehicleLimits",
    "Booking", "BookingEvent", "BookingState", "Channel", "Acceptance", "Document", "DocumentEvent",
    "DocumentEventKind", "DocumentScope", "DocumentText", "DocumentVersion", "DocumentKind", "DocumentNotice", "Flight", "FlightEvent", "FlightStatus", "ImmutableRecordError",
    "MessageStatus", "NotificationPreference", "OutboundMessage", "Payment", "PaymentEvent", "PaymentKind", "PaymentStatus",
    "QuietHours", "Refund", "RefundKind", "Role", "SandboxIntent", "SmsOptOut", "ThrottleHit", "WebhookEvent", "User", "UserSession", "WaitlistEntry", "WaitlistState",
    "normalise_email", "ModuleKind", "PlanItem", "SafetyTopic", "TrainingModule", "TrainingPlan",
    "module_prerequisites", "Attendance", "CalendarFeed", "PlaceState", "Result", "SessionPlace",
    "SessionStatus", "TrainingEvent", "TrainingSession", "session_instructors",
]
