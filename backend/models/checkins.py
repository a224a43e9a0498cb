"""The daily check-in and the alerts it can raise."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import vocab
from ..checkins.red_flags import CHECKIN_FLAGS, answered_yes
from ..extensions import Model
from ._types import UTCDateTime, utcnow

# Where it hurts and how it feels (one home: backend/vocab.py). The red-flag questions live
# in checkins/red_flags.py.
LOCATIONS = tuple(vocab.LOCATIONS)
SIDES = tuple(vocab.SIDES)
SENSATIONS = tuple(vocab.SENSATIONS)
RED_FLAGS = CHECKIN_FLAGS  # asked at every check-in (emergency, then same day)


class CheckIn(Model):
    """One check-in. Several a day are allowed; trends use a per-day summary."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # When the patient made the entry (it may reach us hours later from an offline queue);
    # a phone clock that runs fast is clamped to the arrival time.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The phone's own time, as sent (kept even when it was in the future or very old).
    device_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient's calendar day at that moment, in their own time zone.
    local_date: Mapped[date]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None only in an entry sent for its red-flag answers alone.
    leg_pain: Mapped[int | None]
    back_pain: Mapped[int | None]
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    side: Mapped[str | None] = mapped_column(String(10))
    sensations: Mapped[list[str]] = mapped_column(JSON, default=list)
    sitting_minutes: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # Every red-flag question with its answer: true (yes), false (no) or null / absent
    # (not asked: the patient never saw it), e.g. {"fever": false, "night_pain": null}.
    red_flag_answers: Mapped[dict[str, bool | None]] = mapped_column(JSON, default=dict)
    has_red_flag: Mapped[bool] = mapped_column(default=False)
    # "emergency" or "same_day": the most urgent grade answered yes (None: no red flag).
    urgency: Mapped[str | None] = mapped_column(String(10))

    patient = relationship("User")

    __table_args__ = (
        CheckConstraint("leg_pain BETWEEN 0 AND 10", name="leg_pain_range"),
        CheckConstraint("back_pain BETWEEN 0 AND 10", name="back_pain_range"),
        CheckConstraint(
            "sitting_minutes IS NULL OR sitting_minutes BETWEEN 0 AND 1440", name="sitting_range"
        ),
        Index("ix_check_in_patient_date", "patient_id", "local_date"),
        # The app's history is newest first: this index reads a page without a sort.
        Index("ix_check_in_patient_recorded", "patient_id", "recorded_at"),
    )

    @property
    def red_flags(self) -> list[str]:
        """The flags answered yes, most urgent first (old entries' keys included)."""
        return answered_yes(self.red_flag_answers)


class AlertKind(str, enum.Enum):
    RED_FLAG = "red_flag"
    WORSE_AFTER_EXERCISE = "worse_after_exercise"
    # History red flags or anything else at intake for the practitioner to review, once.
    INTAKE_REVIEW = "intake_review"


# What a practitioner did about an alert, recorded when they acknowledge it.
ALERT_ACTIONS = {
    "called_patient": "Called the patient",
    "advised_emergency": "Advised emergency care",
    "advised_same_day": "Advised a same-day doctor",
    "reviewed": "Reviewed, no action needed",
    "false_alarm": "False alarm (a mis-tap)",
    "other": "Other (see note)",
}


class Alert(Model):
    """Something a practitioner must see: shown at the top of the panel until acknowledged."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(Enum(AlertKind, native_enum=False, length=30))
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id", ondelete="CASCADE"))
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completion.id", ondelete="CASCADE")
    )
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # For a red flag: "emergency" or "same_day".
    urgency: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the clinic's owner(s) were told because nobody acknowledged in time.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was done (a key of ALERT_ACTIONS) and a note, recorded on acknowledging.
    action: Mapped[str | None] = mapped_column(String(30))
    action_note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )

    patient = relationship("User", foreign_keys=[patient_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])

    __table_args__ = (Index("ix_alert_patient_open", "patient_id", "acknowledged_at"),)

    @property
    def action_label(self) -> str | None:
        return ALERT_ACTIONS.get(self.action or "")
