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
from .checkins import LOCATIONS, RED_FLAGS, SENSATIONS, SIDES, Alert, AlertKind, CheckIn
from .course import Appointment, AppointmentStatus, Course, Questionnaire, QuestionnaireResponse
from .homework import FEELINGS, Assignment, Completion, Exercise
from .mail import MailMessage
from .push import OutboxMessage, PushSubscription, ReminderPreference

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
    "FEELINGS",
    "Assignment",
    "Completion",
    "Exercise",
    "MailMessage",
    "OutboxMessage",
    "PushSubscription",
    "ReminderPreference",
]
