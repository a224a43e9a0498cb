"""The course of treatment: planned sessions, appointments and session notes.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

import re
from datetime import datetime, timedelta

from flask import abort, flash
from flask_login import current_user

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..course.service import current_course
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Course, utcnow
from ..timeutil import zone
from . import bp
from .forms import Form
from .views import patient_page

POINT_CODE = re.compile(r"^[A-Za-z]{1,4}\s?-?\d{1,3}$")  # GB30, gb 34, BL-57
POINT_NAME = re.compile(r"^[A-Za-z][A-Za-z'-]{1,23}$")  # Huantiao, Yintang, Ashi


def _to_utc(local: datetime) -> datetime:
    return local.replace(tzinfo=zone(current_user.clinic.timezone)).astimezone(zone("UTC"))


def plan_dates(planned: int, weeks: int) -> list[int]:
    """Day offsets spreading ``planned`` sessions evenly over ``weeks`` (10 over 4: 0, 3, 6...)."""
    return [round(i * weeks * 7 / planned) for i in range(planned)]


@bp.post("/patients/<int:patient_id>/course")
@practitioner_required
def plan_course(patient_id: int):
    """Plan a course (e.g. 10 sessions over 4 weeks): its appointments are generated and can
    then be moved one by one. A current course is closed and its future sessions cancelled."""
    patient = patient_or_404(patient_id)
    form = Form()
    title = form.text("title", "Title", 120) or "Course of treatment"
    planned = form.integer("planned_sessions", "Sessions", 1, 60, required=True)
    weeks = form.integer("weeks", "Weeks", 1, 52, required=True)
    start = form.day("start_date", "First session", required=True)
    at = form.clock("time", "Time", required=True)
    form.done()
    # Required fields: form.done() raised if any was missing or wrong.
    assert planned is not None and weeks is not None and start is not None and at is not None
    now = utcnow()
    old = current_course(patient)
    if old is not None:
        old.ended_at = now
        for appointment in old.appointments:
            if appointment.status is AppointmentStatus.SCHEDULED and appointment.starts_at > now:
                appointment.status = AppointmentStatus.CANCELLED
    course = Course(
        patient_id=patient.id,
        practitioner_id=current_user.id,
        title=title,
        planned_sessions=planned,
        start_date=start,
        weeks=weeks,
    )
    db.session.add(course)
    db.session.flush()
    for offset in plan_dates(planned, weeks):
        db.session.add(
            Appointment(
                patient_id=patient.id,
                practitioner_id=current_user.id,
                course_id=course.id,
                starts_at=_to_utc(datetime.combine(start + timedelta(days=offset), at)),
            )
        )
    audit.record(
        "course.plan",
        patient,
        target=f"course:{course.id}",
        sessions=planned,
        weeks=weeks,
        start=start.isoformat(),
    )
    db.session.commit()
    flash(f"Planned {planned} sessions over {weeks} weeks.")
    return patient_page(patient, "#sessions")


@bp.post("/patients/<int:patient_id>/appointments")
@practitioner_required
def add_appointment(patient_id: int):
    patient = patient_or_404(patient_id)
    form = Form()
    starts = form.moment("starts_at", "Date and time", required=True)
    minutes = form.integer("duration_minutes", "Length (minutes)", 5, 240) or 45
    form.done()
    assert starts is not None  # required: form.done() raised otherwise
    course = current_course(patient)
    appointment = Appointment(
        patient_id=patient.id,
        practitioner_id=current_user.id,
        course_id=course.id if course else None,
        starts_at=_to_utc(starts),
        duration_minutes=minutes,
    )
    db.session.add(appointment)
    db.session.flush()
    audit.record("appointment.add", patient, target=f"appointment:{appointment.id}")
    db.session.commit()
    flash("Appointment added.")
    return patient_page(patient, "#sessions")


def parse_acupoints(raw: str, form: Form) -> list[str]:
    """ "GB30, gb34 BL57; huantiao, Ashi" -> ["GB30", "GB34", "BL57", "Huantiao", "Ashi"]."""
    points = []
    for token in re.split(r"[,;\n]+|\s{2,}|(?<=\d)\s+", raw):
        token = token.strip()
        if not token:
            continue
        if POINT_CODE.match(token):
            token = re.sub(r"[\s-]", "", token).upper()
        elif POINT_NAME.match(token):
            token = token.capitalize()
        else:
            form.check(
                False,
                "Acupoints",
                f"“{token[:20]}” is not a point code or name such as "
                "GB30, Huantiao or Ashi (separate points with commas)",
            )
            continue
        if token not in points:
            points.append(token)
    form.check(len(points) <= 40, "Acupoints", "at most 40 points")
    return points


@bp.post("/appointments/<int:appointment_id>")
@practitioner_required
def update_appointment(appointment_id: int):
    """Mark a session attended, missed or cancelled, move it, or write its note."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    patient = patient_or_404(appointment.patient_id)
    form = Form()
    status = form.choice("status", "Status", [s.value for s in AppointmentStatus])
    starts = form.moment("starts_at", "Date and time")
    note = form.text("note", "Session note", 5000)
    points = parse_acupoints(form.text("acupoints", "Acupoints", 500), form)
    form.done()
    appointment.status = AppointmentStatus(status)
    if starts is not None:
        appointment.starts_at = _to_utc(starts)
    appointment.note = note or None
    appointment.acupoints = points
    audit.record(
        "appointment.update", patient, target=f"appointment:{appointment.id}", status=status
    )
    db.session.commit()
    flash("Session saved.")
    return patient_page(patient, f"#appointment-{appointment.id}")
