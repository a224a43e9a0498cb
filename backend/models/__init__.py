"""All tables, by capability. Import models from here."""

from ._types import UTCDateTime, utcnow
from .accounts import (
    Clinic,
    Invite,
    LoginAttempt,
    PasswordReset,
    RecoveryCode,
    Role,
    SetupLink,
    User,
)
from .audit import AuditEvent, IdempotentRequest
from .checkins import (
    ALERT_ACTIONS,
    LOCATIONS,
    RED_FLAGS,
    SENSATIONS,
    SIDES,
    Alert,
    AlertKind,
    CheckIn,
)
from .course import Appointment, AppointmentStatus, Course, Questionnaire, QuestionnaireResponse
from .homework import FEELINGS, Assignment, AssignmentDose, Completion, Exercise
from .intake import Intake
from .mail import MailMessage
from .push import OutboxMessage, PushSubscription, ReminderPreference
from .summary import PatientSummary

__all__ = [
    "UTCDateTime",
    "utcnow",
    "Clinic",
    "Invite",
    "LoginAttempt",
    "PasswordReset",
    "RecoveryCode",
    "Role",
    "SetupLink",
    "User",
    "AuditEvent",
    "IdempotentRequest",
    "ALERT_ACTIONS",
    "LOCATIONS",
    "RED_FLAGS",
    "SENSATIONS",
    "SIDES",
    "Alert",
    "AlertKind",
    "CheckIn",
    "Appointment",
    "AppointmentStatus",
    "Course",
    "Questionnaire",
    "QuestionnaireResponse",
    "Intake",
    "FEELINGS",
    "Assignment",
    "AssignmentDose",
    "Completion",
    "Exercise",
    "MailMessage",
    "OutboxMessage",
    "PushSubscription",
    "ReminderPreference",
    "PatientSummary",
]
