"""Check-in endpoints for the patient app."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from ..api import route
from ..extensions import db
from ..models import Alert, AlertKind, CheckIn, Role, utcnow
from ..timeutil import local_date
from .schemas import CheckInIn, CheckInList, CheckInOut, CheckInQuery

bp = Blueprint("checkins", __name__, url_prefix="/api")


def checkin_out(entry: CheckIn) -> CheckInOut:
    return CheckInOut(
        id=entry.id,
        recorded_at=entry.recorded_at,
        local_date=entry.local_date,
        leg_pain=entry.leg_pain,
        back_pain=entry.back_pain,
        locations=entry.locations,
        side=entry.side,
        sensations=entry.sensations,
        sitting_minutes=entry.sitting_minutes,
        note=entry.note,
        red_flags=entry.red_flags,
        has_red_flag=entry.has_red_flag,
    )


@route(
    bp,
    "/checkins",
    methods=["POST"],
    body=CheckInIn,
    response=CheckInOut,
    status=201,
    role=Role.PATIENT,
    idempotent=True,
)
def create_checkin(body: CheckInIn):
    """Record a check-in. A red-flag answer alerts the practitioner at once."""
    recorded_at = body.recorded_at or utcnow()
    answers = body.red_flags.model_dump()
    entry = CheckIn(
        patient_id=current_user.id,
        recorded_at=recorded_at,
        local_date=local_date(recorded_at, current_user.timezone),
        leg_pain=body.leg_pain,
        back_pain=body.back_pain,
        locations=body.locations,
        side=body.side,
        sensations=body.sensations,
        sitting_minutes=body.sitting_minutes,
        note=body.note or None,
        red_flag_answers=answers,
        has_red_flag=any(answers.values()),
    )
    db.session.add(entry)
    db.session.flush()
    if entry.has_red_flag:
        db.session.add(
            Alert(
                patient_id=current_user.id,
                kind=AlertKind.RED_FLAG,
                check_in_id=entry.id,
                details={"red_flags": entry.red_flags},
            )
        )
    return checkin_out(entry)


@route(bp, "/checkins", query=CheckInQuery, response=CheckInList, role=Role.PATIENT)
def list_checkins(query: CheckInQuery):
    """My check-ins, newest first."""
    stmt = select(CheckIn).where(CheckIn.patient_id == current_user.id)
    if query.since:
        stmt = stmt.where(CheckIn.local_date >= query.since)
    stmt = stmt.order_by(CheckIn.recorded_at.desc()).limit(query.limit)
    return CheckInList(items=[checkin_out(c) for c in db.session.scalars(stmt)])


@route(bp, "/checkins/<int:checkin_id>", response=CheckInOut, role=Role.PATIENT)
def get_checkin(checkin_id: int):
    """One of my check-ins."""
    entry = db.session.get(CheckIn, checkin_id)
    if entry is None or entry.patient_id != current_user.id:
        abort(404)
    return checkin_out(entry)
