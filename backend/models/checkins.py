"""The daily check-in and the alerts it can raise."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow

# Where it hurts, how it feels, and the red-flag questions asked in every check-in.
LOCATIONS = ("lower_back", "buttock", "thigh", "calf", "foot")
SIDES = ("left", "right", "both")
SENSATIONS = ("sharp", "burning", "shooting", "tingling", "numbness", "weakness")
RED_FLAGS = (
    "bladder_bowel",  # loss of control, difficulty starting, reduced feeling
    "saddle_numbness",  # groin, genitals, inner thighs
    "both_legs_or_weakness",  # sciatica in both legs, or weakness getting worse quickly
    "after_trauma",  # started after a serious fall or accident
    "fever",
    "cancer_history",
    "weight_loss",  # unexplained
)


class CheckIn(Model):
    """One check-in. Several a day are allowed; trends use a per-day summary."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # When the patient made the entry (it may reach us hours later from an offline queue).
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The patient's calendar day at that moment, in their own time zone.
    local_date: Mapped[date]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leg_pain: Mapped[int]
    back_pain: Mapped[int]
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    side: Mapped[str | None] = mapped_column(String(10))
    sensations: Mapped[list[str]] = mapped_column(JSON, default=list)
    sitting_minutes: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # Every red-flag question with its answer, e.g. {"fever": false, ...}.
    red_flag_answers: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    has_red_flag: Mapped[bool] = mapped_column(default=False)

    patient = relationship("User")

    __table_args__ = (
        CheckConstraint("leg_pain BETWEEN 0 AND 10", name="leg_pain_range"),
        CheckConstraint("back_pain BETWEEN 0 AND 10", name="back_pain_range"),
        CheckConstraint(
            "sitting_minutes IS NULL OR sitting_minutes BETWEEN 0 AND 1440", name="sitting_range"
        ),
        Index("ix_check_in_patient_date", "patient_id", "local_date"),
    )

    @property
    def red_flags(self) -> list[str]:
        return [flag for flag in RED_FLAGS if self.red_flag_answers.get(flag)]


class AlertKind(str, enum.Enum):
    RED_FLAG = "red_flag"
    WORSE_AFTER_EXERCISE = "worse_after_exercise"


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )

    patient = relationship("User", foreign_keys=[patient_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])

    __table_args__ = (Index("ix_alert_patient_open", "patient_id", "acknowledged_at"),)
