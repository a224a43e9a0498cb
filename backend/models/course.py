"""The course of treatment: planned sessions, appointments with their notes, questionnaires."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class Course(Model):
    """A plan such as 10 sessions over 4 weeks. Baseline week = its first 7 days."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120), default="Course of treatment")
    planned_sessions: Mapped[int]
    start_date: Mapped[date]
    weeks: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="course", order_by="Appointment.starts_at"
    )


class AppointmentStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Appointment(Model):
    """One session; its note records what was done, e.g. the acupoints used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(default=45)
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, native_enum=False, length=20), default=AppointmentStatus.SCHEDULED
    )
    note: Mapped[str | None] = mapped_column(Text)
    acupoints: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["GB30", "BL57"]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course | None] = relationship(back_populates="appointments")
    patient = relationship("User", foreign_keys=[patient_id])

    __table_args__ = (Index("ix_appointment_patient_starts", "patient_id", "starts_at"),)


class Questionnaire(Model):
    """A questionnaire is data: items with their scale, scored on the server.

    ``clinic_id`` None = shipped with the app (the Sciatica Bothersomeness Index); a clinic
    that holds a licence can add its own (e.g. the Oswestry Disability Index).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    # [{"key": "leg_pain", "text": "...", "min": 0, "max": 6, "labels": {"0": "...", ...}}]
    items: Mapped[list[dict]] = mapped_column(JSON)
    scoring: Mapped[str] = mapped_column(String(20), default="sum")  # "sum" or "percent"
    min_important_change: Mapped[float | None]  # in score points
    higher_is_worse: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("clinic_id", "slug"),)

    @property
    def max_score(self) -> int:
        return sum(item["max"] for item in self.items)


class QuestionnaireResponse(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE")
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    timepoint: Mapped[str] = mapped_column(String(20), default="other")  # start / mid / end / other
    answers: Mapped[dict[str, int]] = mapped_column(JSON)
    score: Mapped[float]
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship()
