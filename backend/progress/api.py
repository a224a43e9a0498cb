"""Patient app endpoints: today, progress, my data (export, delete my account)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, session
from flask_login import current_user, logout_user
from pydantic import Field
from sqlalchemy import select

from .. import audit
from ..api import ApiError, route
from ..auth import accounts
from ..auth.passwords import verify_password
from ..auth.schemas import Strict
from ..course.service import course_progress
from ..database import writes_on_get
from ..extensions import db
from ..homework import service as homework
from ..intake import service as intake_service
from ..models import (
    Alert,
    AlertKind,
    Appointment,
    CheckIn,
    Completion,
    Intake,
    QuestionnaireResponse,
    Role,
    User,
    utcnow,
)
from ..timeutil import today_for
from . import service
from .schemas import ExportOut, NextAppointment, ProgressOut, TodayCourse, TodayOut

bp = Blueprint("progress", __name__, url_prefix="/api")


class DeleteAccountIn(Strict):
    password: str = Field(min_length=1, max_length=1024)


@route(bp, "/today", response=TodayOut, role=Role.PATIENT)
def today():
    """What the Today screen shows: next appointment, session N of M, today's homework."""
    patient = current_user
    day = today_for(patient.timezone)
    info = course_progress(patient)
    done = homework.done_counts(patient, day)
    paused = homework.paused_ids(patient.id)
    checkins_today = db.session.execute(
        select(db.func.count()).where(CheckIn.patient_id == patient.id, CheckIn.local_date == day)
    ).scalar_one()
    appointment = info.next_appointment
    return TodayOut(
        date=day,
        display_name=patient.display_name,
        course=None
        if info.course is None
        else TodayCourse(
            title=info.course.title,
            planned_sessions=info.course.planned_sessions,
            attended=info.attended,
            next_session_number=info.next_session_number,
        ),
        next_appointment=None
        if appointment is None
        else NextAppointment(
            starts_at=appointment.starts_at, duration_minutes=appointment.duration_minutes
        ),
        homework=[
            homework.assignment_out(a, done.get(a.id, 0), a.id in paused)
            for a in homework.active_assignments(patient, day)
        ],
        # After an emergency red flag, exercises wait until the practitioner has looked.
        homework_paused=homework_paused(patient),
        intake_due=intake_service.of(patient) is None,
        checkins_today=checkins_today,
    )


def homework_paused(patient: User) -> bool:
    """An emergency red flag nobody has acknowledged yet pauses the patient's homework."""
    return (
        db.session.scalar(
            select(Alert.id)
            .where(
                Alert.patient_id == patient.id,
                Alert.kind == AlertKind.RED_FLAG,
                Alert.urgency == "emergency",
                Alert.acknowledged_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


@route(bp, "/progress", response=ProgressOut, role=Role.PATIENT)
def progress():
    """Per-day summaries over the course, change since the first week, sitting vs leg pain."""
    return ProgressOut.model_validate(service.progress(current_user))


def _my_entries(patient: User) -> tuple[list[CheckIn], list[Completion]]:
    checkins = list(
        db.session.scalars(
            select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.recorded_at)
        )
    )
    completions = list(
        db.session.scalars(
            select(Completion)
            .where(Completion.patient_id == patient.id)
            .order_by(Completion.completed_at)
        )
    )
    return checkins, completions


def _checkin_dict(c: CheckIn) -> dict:
    return {
        "id": c.id,
        "recorded_at": c.recorded_at.isoformat(),
        "local_date": c.local_date.isoformat(),
        "leg_pain": c.leg_pain,
        "back_pain": c.back_pain,
        "locations": c.locations,
        "side": c.side,
        "sensations": c.sensations,
        "sitting_minutes": c.sitting_minutes,
        "note": c.note,
        "red_flags": c.red_flags,
    }


def _completion_dict(c: Completion) -> dict:
    return {
        "id": c.id,
        "completed_at": c.completed_at.isoformat(),
        "local_date": c.local_date.isoformat(),
        "exercise": c.assignment.exercise.name,
        "feeling": c.feeling,
        "note": c.note,
    }


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def my_data(patient: User) -> ExportOut:
    """A copy of everything the patient entered, as the JSON export gives it."""
    checkins, completions = _my_entries(patient)
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient.id)
        .order_by(Appointment.starts_at)
    )
    responses = db.session.scalars(
        select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
    )
    intake = db.session.scalar(select(Intake).where(Intake.patient_id == patient.id))
    data = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "display_name": patient.display_name,
            "email": patient.email,
            "timezone": patient.timezone,
        },
        "checkins": [_checkin_dict(c) for c in checkins],
        "homework_completions": [_completion_dict(c) for c in completions],
        "appointments": [
            {
                "starts_at": a.starts_at.isoformat(),
                "status": a.status.value,
                "duration_minutes": a.duration_minutes,
            }
            for a in appointments
        ],
        "questionnaires": [
            {
                "questionnaire": r.questionnaire.title,
                "timepoint": r.timepoint,
                "score": r.score,
                "answers": r.answers,
                "completed_at": r.completed_at.isoformat(),
            }
            for r in responses
        ],
        "intake": None
        if intake is None
        else {"answers": intake.answers, "submitted_at": intake.submitted_at.isoformat()},
    }
    return ExportOut.model_validate(data)


# A download of one's data is a security event: written to the audit log as it is made.
writes_on_get("progress.export_json")
writes_on_get("progress.export_csv")


@route(bp, "/export.json", response=ExportOut, role=Role.PATIENT)
def export_json():
    """All my entries as JSON (check-ins, homework done, appointments, questionnaires)."""
    audit.record("export", current_user, format="JSON")
    db.session.commit()
    export = my_data(current_user)
    return _download(export.model_dump_json(indent=2), "application/json", "between-my-data.json")


CSV_COLUMNS = [
    "type",
    "when",
    "local_date",
    "leg_pain",
    "back_pain",
    "locations",
    "side",
    "sensations",
    "sitting_minutes",
    "red_flags",
    "exercise",
    "feeling",
    "note",
]


def _safe_cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@route(bp, "/export.csv", produces="text/csv", role=Role.PATIENT)
def export_csv():
    """All my check-ins and homework completions as one CSV table."""
    audit.record("export", current_user, format="CSV")
    db.session.commit()
    checkins, completions = _my_entries(current_user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in checkins:
        writer.writerow(
            map(
                _safe_cell,
                [
                    "checkin",
                    c.recorded_at.isoformat(),
                    c.local_date.isoformat(),
                    c.leg_pain,
                    c.back_pain,
                    " ".join(c.locations),
                    c.side,
                    " ".join(c.sensations),
                    c.sitting_minutes,
                    " ".join(c.red_flags),
                    None,
                    None,
                    c.note,
                ],
            )
        )
    for done in completions:
        writer.writerow(
            map(
                _safe_cell,
                [
                    "homework",
                    done.completed_at.isoformat(),
                    done.local_date.isoformat(),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    done.assignment.exercise.name,
                    done.feeling,
                    done.note,
                ],
            )
        )
    return _download(out.getvalue(), "text/csv", "between-my-data.csv")


@route(bp, "/me", methods=["DELETE"], body=DeleteAccountIn, response=ExportOut, role=Role.PATIENT)
def delete_account(body: DeleteAccountIn):
    """Close my app account (asks for the password again) and get a copy of my data.

    Login, reminders, pushes and app settings end now. What the clinic holds as its clinical
    record (check-ins, alerts, session notes, acupoints, questionnaire and intake answers)
    stays with the clinic, which erases it after its retention period.
    """
    patient = current_user._get_current_object()
    stored_hash = patient.password_hash
    # End the transaction that loaded the account first: Argon2 (about 100 ms) must not run
    # while this request holds SQLite's write lock, as for a login.
    db.session.commit()
    ok, _ = verify_password(stored_hash, body.password)
    if not ok:
        raise ApiError(
            403,
            "wrong_password",
            "That password is not right.",
            {"password": "That password is not right."},
        )
    data = my_data(patient)
    logout_user()
    accounts.close(patient)
    session.clear()
    return data
