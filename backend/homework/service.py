"""Homework rules shared by the patient app, the panel and reminders."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import Alert, AlertKind, Assignment, AssignmentDose, Completion, Exercise, User
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


DOSE_FIELDS = ("sets", "reps", "hold_seconds", "times_per_day", "days_per_week")


def change_dose(assignment: Assignment, dose: dict, from_day: date) -> bool:
    """Set the dose from ``from_day`` (the patient's today) on; the days before keep the
    dose they had, so adherence for them is never rewritten. True if the dose changed."""
    old = {key: getattr(assignment, key) for key in DOSE_FIELDS}
    new = {key: dose[key] for key in DOSE_FIELDS}
    if old == new:
        return False
    if not assignment.doses:  # the dose it had from its first day
        assignment.doses.append(AssignmentDose(effective_from=assignment.start_date, **old))
    for row in list(assignment.doses):
        if row.effective_from >= from_day:  # not lived yet, or changed again the same day
            assignment.doses.remove(row)
    db.session.flush()  # the unique (assignment, day) row may have just been removed
    assignment.doses.append(AssignmentDose(effective_from=from_day, **new))
    for key, value in new.items():
        setattr(assignment, key, value)
    return True


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


def paused_ids(patient_id: int) -> set[int]:
    """Assignments the patient said made things worse (or pain spread), and the practitioner
    has not looked at yet: the "stop this exercise" advice stays on them until then."""
    return set(
        db.session.scalars(
            select(Completion.assignment_id)
            .join(Alert, Alert.completion_id == Completion.id)
            .where(
                Alert.patient_id == patient_id,
                Alert.kind == AlertKind.WORSE_AFTER_EXERCISE,
                Alert.acknowledged_at.is_(None),
            )
        )
    )


def assignment_out(
    assignment: Assignment, done_today: int = 0, paused: bool = False
) -> AssignmentOut:
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
        paused=paused,
    )
