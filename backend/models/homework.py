"""Exercises, the homework a practitioner assigns, and each time the patient does it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow

FEELINGS = ("better", "same", "worse", "spreading")  # spreading: leg pain went further down


class Exercise(Model):
    """A stretch, nerve glide or self-care item. ``clinic_id`` None = the shipped library."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40), default="stretch")
    summary: Mapped[str] = mapped_column(String(300), default="")
    instructions: Mapped[list[str]] = mapped_column(JSON, default=list)  # one step a line
    caution: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str | None] = mapped_column(String(200))  # path under /static/exercises/
    sets: Mapped[int | None]
    reps: Mapped[int | None]
    hold_seconds: Mapped[int | None]
    times_per_day: Mapped[int] = mapped_column(default=1)
    days_per_week: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("clinic_id", "slug"),)


class Assignment(Model):
    """Homework: one exercise for one patient, with its dosage and dates."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercise.id", ondelete="RESTRICT"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sets: Mapped[int | None]
    reps: Mapped[int | None]
    hold_seconds: Mapped[int | None]
    times_per_day: Mapped[int] = mapped_column(default=1)
    days_per_week: Mapped[int] = mapped_column(default=7)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient = relationship("User", foreign_keys=[patient_id])
    exercise: Mapped[Exercise] = relationship()

    __table_args__ = (
        CheckConstraint("times_per_day BETWEEN 1 AND 12", name="times_per_day_range"),
        CheckConstraint("days_per_week BETWEEN 1 AND 7", name="days_per_week_range"),
    )

    def is_active_on(self, day: date) -> bool:
        return (
            self.ended_at is None
            and self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
        )


class Completion(Model):
    """The patient did their homework once, and maybe said how it felt."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    local_date: Mapped[date]
    feeling: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    assignment: Mapped[Assignment] = relationship()

    __table_args__ = (
        Index("ix_completion_patient_date", "patient_id", "local_date"),
        Index("ix_completion_assignment_date", "assignment_id", "local_date"),
    )
