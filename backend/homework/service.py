"""Homework rules shared by the patient app, the panel and reminders."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import Assignment, Completion, Exercise, User
from .schemas import AssignmentOut, Dosage, ExerciseOut


def active_assignments(patient: User, day: date) -> list[Assignment]:
    stmt = (
        select(Assignment)
        .where(
            Assignment.patient_id == patient.id,
            Assignment.ended_at.is_(None),
            Assignment.start_date <= day,
        )
        .where((Assignment.end_date.is_(None)) | (Assignment.end_date >= day))
        .order_by(Assignment.id)
    )
    return list(db.session.scalars(stmt))


def done_counts(patient: User, day: date) -> dict[int, int]:
    rows = db.session.execute(
        select(Completion.assignment_id, func.count())
        .where(Completion.patient_id == patient.id, Completion.local_date == day)
        .group_by(Completion.assignment_id)
    )
    return dict(rows.all())


def exercise_out(exercise: Exercise) -> ExerciseOut:
    return ExerciseOut(
        id=exercise.id,
        slug=exercise.slug,
        name=exercise.name,
        category=exercise.category,
        summary=exercise.summary,
        instructions=exercise.instructions,
        caution=exercise.caution,
        image=exercise.image,
    )


def assignment_out(assignment: Assignment, done_today: int = 0) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.id,
        exercise=exercise_out(assignment.exercise),
        dosage=Dosage(
            sets=assignment.sets,
            reps=assignment.reps,
            hold_seconds=assignment.hold_seconds,
            times_per_day=assignment.times_per_day,
            days_per_week=assignment.days_per_week,
        ),
        start_date=assignment.start_date,
        end_date=assignment.end_date,
        note=assignment.note,
        done_today=done_today,
    )
