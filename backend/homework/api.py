"""Homework endpoints for the patient app."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..alerts import notify
from ..api import route
from ..extensions import db
from ..models import Alert, AlertKind, Assignment, Completion, Role, utcnow
from ..timeutil import local_date, today_for
from ..vocab import WORSE_FEELINGS
from . import service
from .schemas import CompletionIn, CompletionOut, HomeworkList

bp = Blueprint("homework", __name__, url_prefix="/api")


@route(bp, "/homework", response=HomeworkList, role=Role.PATIENT)
def list_homework():
    """Today's homework with its dosage and how often it was done today."""
    today = today_for(current_user.timezone)
    done = service.done_counts(current_user, today)
    paused = service.paused_ids(current_user.id)
    return HomeworkList(
        items=[
            service.assignment_out(a, done.get(a.id, 0), a.id in paused)
            for a in service.active_assignments(current_user, today)
        ]
    )


@route(
    bp,
    "/homework/<int:assignment_id>/completions",
    methods=["POST"],
    body=CompletionIn,
    response=CompletionOut,
    status=201,
    role=Role.PATIENT,
    idempotent=True,
)
def complete(assignment_id: int, body: CompletionIn):
    """Mark homework done once; 'worse' or 'spreading' reaches the practitioner."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.patient_id != current_user.id:
        abort(404)
    completed_at = body.completed_at or utcnow()
    completion = Completion(
        assignment_id=assignment.id,
        patient_id=current_user.id,
        completed_at=completed_at,
        local_date=local_date(completed_at, current_user.timezone),
        feeling=body.feeling,
        note=body.note or None,
    )
    db.session.add(completion)
    db.session.flush()
    if body.feeling in WORSE_FEELINGS:
        alert = Alert(
            patient_id=current_user.id,
            kind=AlertKind.WORSE_AFTER_EXERCISE,
            completion_id=completion.id,
            details={"exercise": assignment.exercise.name, "feeling": body.feeling},
        )
        db.session.add(alert)
        db.session.flush()
        notify.new_alert(alert, current_user)
    return CompletionOut(
        id=completion.id,
        assignment_id=assignment.id,
        completed_at=completion.completed_at,
        local_date=completion.local_date,
        feeling=completion.feeling,
        note=completion.note,
    )
