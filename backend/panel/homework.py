"""Homework: assign, change and end a patient's exercises.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

from flask import abort, flash
from flask_login import current_user

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..extensions import db
from ..models import Assignment, Exercise, User, utcnow
from ..reminders.outbox import notify_new_homework
from . import bp
from .exercises import read_dosage
from .forms import Form
from .views import patient_page


def _assignment_or_404(assignment_id: int) -> tuple[Assignment, User]:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    return assignment, patient_or_404(assignment.patient_id)


def _homework_fields(form: Form) -> dict:
    values = read_dosage(form)
    values["start_date"] = form.day("start_date", "Start date", required=True)
    values["end_date"] = form.day("end_date", "End date")
    values["note"] = form.text("note", "Note for the patient", 1000) or None
    if values["start_date"] and values["end_date"]:
        form.check(
            values["end_date"] >= values["start_date"],
            "End date",
            "must be on or after the start date",
        )
    return values


@bp.post("/patients/<int:patient_id>/assignments")
@practitioner_required
def assign(patient_id: int):
    """Give the patient an exercise; it shows in their app at once and a push is queued."""
    patient = patient_or_404(patient_id)
    form = Form()
    exercise_id = form.integer("exercise_id", "Exercise", 1, 2**31 - 1, required=True)
    values = _homework_fields(form)
    exercise = db.session.get(Exercise, exercise_id) if exercise_id else None
    form.check(
        exercise is not None and exercise.clinic_id in (None, patient.clinic_id),
        "Exercise",
        "is not in your library",
    )
    form.done()
    assert exercise is not None  # checked above: form.done() raised otherwise
    assignment = Assignment(
        patient_id=patient.id, exercise_id=exercise.id, assigned_by_id=current_user.id, **values
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "homework.assign", patient, target=f"assignment:{assignment.id}", exercise=exercise.name
    )
    notify_new_homework(patient)
    db.session.commit()
    flash(f"Assigned {exercise.name}.")
    return patient_page(patient, "#homework")


@bp.post("/assignments/<int:assignment_id>")
@practitioner_required
def change_assignment(assignment_id: int):
    assignment, patient = _assignment_or_404(assignment_id)
    form = Form()
    values = _homework_fields(form)
    form.check(assignment.ended_at is None, "Homework", "has ended; assign it again instead")
    form.done()
    for key, value in values.items():
        setattr(assignment, key, value)
    audit.record(
        "homework.change",
        patient,
        target=f"assignment:{assignment.id}",
        **{k: str(v) if v is not None else None for k, v in values.items() if k != "note"},
    )
    notify_new_homework(patient)
    db.session.commit()
    flash(f"Updated {assignment.exercise.name}.")
    return patient_page(patient, "#homework")


@bp.post("/assignments/<int:assignment_id>/end")
@practitioner_required
def end_assignment(assignment_id: int):
    assignment, patient = _assignment_or_404(assignment_id)
    if assignment.ended_at is None:
        assignment.ended_at = utcnow()
        audit.record("homework.end", patient, target=f"assignment:{assignment.id}")
        notify_new_homework(patient)
    db.session.commit()
    flash(f"Ended {assignment.exercise.name}.")
    return patient_page(patient, "#homework")
