"""Where a patient is in their course: "session 6 of 10" and the next appointment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Course, User, utcnow


@dataclass
class CourseProgress:
    course: Course | None
    attended: int
    next_appointment: Appointment | None

    @property
    def next_session_number(self) -> int | None:
        """The number the next session will have in the course ("session 6 of 10")."""
        if self.course is None or self.next_appointment is None:
            return None
        return self.attended + 1


def current_course(patient: User) -> Course | None:
    return db.session.scalar(
        select(Course)
        .where(Course.patient_id == patient.id, Course.ended_at.is_(None))
        .order_by(Course.start_date.desc())
        .limit(1)
    )


def course_progress(patient: User, now: datetime | None = None) -> CourseProgress:
    now = now or utcnow()
    course = current_course(patient)
    attended = 0
    if course is not None:
        attended = (
            db.session.scalar(
                select(func.count()).where(
                    Appointment.course_id == course.id,
                    Appointment.status == AppointmentStatus.ATTENDED,
                )
            )
            or 0
        )
    upcoming = db.session.scalar(
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at >= now,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    return CourseProgress(course, attended, upcoming)


TIMEPOINTS = ("start", "mid", "end")


def questionnaire_schedule(course: Course | None) -> list[tuple[str, date]]:
    """Questionnaires are due at the start, the middle and the last day of the course."""
    if course is None:
        return []
    length = course.weeks * 7
    return [
        ("start", course.start_date),
        ("mid", course.start_date + timedelta(days=length // 2)),
        ("end", course.start_date + timedelta(days=length - 1)),
    ]


def due_timepoint(course: Course | None, answered: set[str], today: date) -> str | None:
    """The course's latest time point that has come, if it is still unanswered.

    An earlier one that was missed is not asked for any more: a "start" score given in
    the middle of the course would be no baseline.
    """
    reached = [timepoint for timepoint, day in questionnaire_schedule(course) if day <= today]
    if reached and reached[-1] not in answered:
        return reached[-1]
    return None
