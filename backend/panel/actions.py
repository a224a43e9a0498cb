"""Panel forms that change data: red flags, homework, the exercise library, the course,
appointments and session notes, invites, questionnaires.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import segno
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..auth.service import create_invite, invite_url, normalize_email
from ..course.questionnaires import InvalidAnswers, score
from ..course.service import current_course
from ..extensions import db
from ..models import (Alert, Appointment, AppointmentStatus, Assignment, Course, Exercise,
                      Invite, Questionnaire, QuestionnaireResponse, Role, User, utcnow)
from ..reminders.outbox import notify_new_homework
from ..timeutil import zone
from .forms import Form, FormError
from .views import bp

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POINT_CODE = re.compile(r"^[A-Za-z]{1,4}\s?-?\d{1,3}$")  # GB30, gb 34, BL-57
POINT_NAME = re.compile(r"^[A-Za-z][A-Za-z'-]{1,23}$")  # Huantiao, Yintang, Ashi
TIMEPOINTS = ("start", "mid", "end", "other")


def _patient_page(patient: User, anchor: str = ""):
    return redirect(url_for("panel.patient", patient_id=patient.id) + anchor, code=303)


# -- alerts -------------------------------------------------------------------------------

@bp.post("/alerts/<int:alert_id>/acknowledge")
@practitioner_required
def acknowledge_alert(alert_id: int):
    """Mark an alert seen: who and when are kept on the alert and in the audit log."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    patient = patient_or_404(alert.patient_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        audit.record("alert.acknowledge", patient, target=f"alert:{alert.id}",
                     kind=alert.kind.value)
    db.session.commit()
    flash(f"Alert for {patient.display_name} marked as seen.")
    return _patient_page(patient, "#alerts")


# -- exercise library ----------------------------------------------------------------------

@bp.get("/exercises")
@practitioner_required
def exercises():
    items = list(db.session.scalars(
        select(Exercise).where((Exercise.clinic_id.is_(None))
                               | (Exercise.clinic_id == current_user.clinic_id))
        .order_by(Exercise.clinic_id.is_not(None), Exercise.name)))
    return render_template("panel/exercises.html", exercises=items, pictures=_pictures())


def _pictures() -> dict[str, str]:
    """The shipped drawings a clinic's own exercise can reuse: image path -> what it shows."""
    return dict(db.session.execute(
        select(Exercise.image, Exercise.name).where(Exercise.clinic_id.is_(None),
                                                    Exercise.image.is_not(None))
        .order_by(Exercise.name)).all())


def _dosage(form: Form) -> dict:
    return dict(sets=form.integer("sets", "Sets", 1, 20),
                reps=form.integer("reps", "Reps", 1, 100),
                hold_seconds=form.integer("hold_seconds", "Hold (seconds)", 1, 600),
                times_per_day=form.integer("times_per_day", "Times a day", 1, 12, required=True),
                days_per_week=form.integer("days_per_week", "Days a week", 1, 7, required=True))


@bp.post("/exercises")
@practitioner_required
def add_exercise():
    """A clinic's own exercise: name, plain steps (one a line) and a default dosage."""
    form = Form()
    name = form.text("name", "Name", 120, required=True)
    summary = form.text("summary", "Summary", 300)
    steps = [line.strip() for line in form.text("instructions", "Instructions", 4000,
                                                required=True).splitlines() if line.strip()]
    caution = form.text("caution", "Caution", 1000)
    image = form.choice("image", "Picture", _pictures(), required=False)
    dosage = _dosage(form)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "exercise"
    form.check(db.session.scalar(select(Exercise.id).where(
        Exercise.clinic_id == current_user.clinic_id, Exercise.slug == slug)) is None,
        "Name", "your clinic already has an exercise with this name")
    form.done()
    exercise = Exercise(clinic_id=current_user.clinic_id, slug=slug, name=name,
                        category="clinic", summary=summary, instructions=steps,
                        caution=caution, image=image, **dosage)
    db.session.add(exercise)
    db.session.flush()
    audit.record("exercise.add", target=f"exercise:{exercise.id}", name=name)
    db.session.commit()
    flash(f"Added “{name}” to your clinic's library.")
    return redirect(url_for("panel.exercises"), code=303)


# -- homework ------------------------------------------------------------------------------

def _assignment_or_404(assignment_id: int) -> tuple[Assignment, User]:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    return assignment, patient_or_404(assignment.patient_id)


def _homework_fields(form: Form) -> dict:
    values = _dosage(form)
    values["start_date"] = form.day("start_date", "Start date", required=True)
    values["end_date"] = form.day("end_date", "End date")
    values["note"] = form.text("note", "Note for the patient", 1000) or None
    if values["start_date"] and values["end_date"]:
        form.check(values["end_date"] >= values["start_date"], "End date",
                   "must be on or after the start date")
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
    form.check(exercise is not None and exercise.clinic_id in (None, patient.clinic_id),
               "Exercise", "is not in your library")
    form.done()
    assignment = Assignment(patient_id=patient.id, exercise_id=exercise.id,
                            assigned_by_id=current_user.id, **values)
    db.session.add(assignment)
    db.session.flush()
    audit.record("homework.assign", patient, target=f"assignment:{assignment.id}",
                 exercise=exercise.name)
    notify_new_homework(patient)
    db.session.commit()
    flash(f"Assigned {exercise.name}.")
    return _patient_page(patient, "#homework")


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
    audit.record("homework.change", patient, target=f"assignment:{assignment.id}",
                 **{k: str(v) if v is not None else None for k, v in values.items()
                    if k != "note"})
    notify_new_homework(patient)
    db.session.commit()
    flash(f"Updated {assignment.exercise.name}.")
    return _patient_page(patient, "#homework")


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
    return _patient_page(patient, "#homework")


# -- the course and its appointments -----------------------------------------------------------

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
    now = utcnow()
    old = current_course(patient)
    if old is not None:
        old.ended_at = now
        for appointment in old.appointments:
            if appointment.status is AppointmentStatus.SCHEDULED and appointment.starts_at > now:
                appointment.status = AppointmentStatus.CANCELLED
    course = Course(patient_id=patient.id, practitioner_id=current_user.id, title=title,
                    planned_sessions=planned, start_date=start, weeks=weeks)
    db.session.add(course)
    db.session.flush()
    for offset in plan_dates(planned, weeks):
        db.session.add(Appointment(
            patient_id=patient.id, practitioner_id=current_user.id, course_id=course.id,
            starts_at=_to_utc(datetime.combine(start + timedelta(days=offset), at))))
    audit.record("course.plan", patient, target=f"course:{course.id}", sessions=planned,
                 weeks=weeks, start=start.isoformat())
    db.session.commit()
    flash(f"Planned {planned} sessions over {weeks} weeks.")
    return _patient_page(patient, "#sessions")


@bp.post("/patients/<int:patient_id>/appointments")
@practitioner_required
def add_appointment(patient_id: int):
    patient = patient_or_404(patient_id)
    form = Form()
    starts = form.moment("starts_at", "Date and time", required=True)
    minutes = form.integer("duration_minutes", "Length (minutes)", 5, 240) or 45
    form.done()
    course = current_course(patient)
    appointment = Appointment(patient_id=patient.id, practitioner_id=current_user.id,
                              course_id=course.id if course else None,
                              starts_at=_to_utc(starts), duration_minutes=minutes)
    db.session.add(appointment)
    db.session.flush()
    audit.record("appointment.add", patient, target=f"appointment:{appointment.id}")
    db.session.commit()
    flash("Appointment added.")
    return _patient_page(patient, "#sessions")


def parse_acupoints(raw: str, form: Form) -> list[str]:
    """"GB30, gb34 BL57; huantiao, Ashi" -> ["GB30", "GB34", "BL57", "Huantiao", "Ashi"]."""
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
            form.check(False, "Acupoints", f"“{token[:20]}” is not a point code or name such as "
                                           "GB30, Huantiao or Ashi (separate points with commas)")
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
    audit.record("appointment.update", patient, target=f"appointment:{appointment.id}",
                 status=status)
    db.session.commit()
    flash("Session saved.")
    return _patient_page(patient, f"#appointment-{appointment.id}")


# -- invites and accounts ------------------------------------------------------------------

def _qr(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title="Invite link QR code"))


def _show_invite(patient: User, token: str, created: bool):
    """The link and its QR code, shown once: only the token's hash is stored."""
    url = invite_url(token)
    return render_template("panel/invite_created.html", patient=patient, url=url, qr=_qr(url),
                           created=created)


@bp.get("/patients/new")
@practitioner_required
def new_patient():
    return render_template("panel/new_patient.html")


@bp.post("/patients")
@practitioner_required
def invite_patient():
    """Create the patient's account (no password yet) and an invite link for them."""
    form = Form()
    name = form.text("display_name", "Name", 120, required=True)
    email = normalize_email(form.text("email", "Email", 254, required=True))
    if email:
        form.check(bool(EMAIL.match(email)), "Email", "does not look like an email address")
        form.check(db.session.scalar(select(User.id).where(User.email == email)) is None,
                   "Email", "already has an account")
    form.done()
    patient = User(clinic_id=current_user.clinic_id, role=Role.PATIENT,
                   practitioner_id=current_user.id, email=email, display_name=name,
                   timezone=current_user.clinic.timezone)
    db.session.add(patient)
    db.session.flush()
    token = create_invite(patient, current_user)
    audit.record("patient.invite", patient, target=f"patient:{patient.id}")
    db.session.commit()
    return _show_invite(patient, token, created=True), 201


@bp.post("/patients/<int:patient_id>/invite")
@practitioner_required
def resend_invite(patient_id: int):
    """A new link; the old one stops working."""
    patient = patient_or_404(patient_id)
    if not patient.active:
        raise FormError({"Patient": "is deactivated; reactivate them first"})
    token = create_invite(patient, current_user)
    audit.record("patient.invite_resend", patient, target=f"patient:{patient.id}")
    db.session.commit()
    return _show_invite(patient, token, created=False)


@bp.post("/patients/<int:patient_id>/invite/revoke")
@practitioner_required
def revoke_invite(patient_id: int):
    patient = patient_or_404(patient_id)
    now = utcnow()
    revoked = 0
    for invite in db.session.scalars(select(Invite).filter_by(patient_id=patient.id, used_at=None,
                                                              revoked_at=None)):
        invite.revoked_at = now
        revoked += 1
    audit.record("patient.invite_revoke", patient, target=f"patient:{patient.id}",
                 revoked=revoked)
    db.session.commit()
    flash("The invite link no longer works." if revoked else "There was no open invite.")
    return _patient_page(patient, "#account")


@bp.post("/patients/<int:patient_id>/active")
@practitioner_required
def set_active(patient_id: int):
    """Deactivate (logs the patient out everywhere, closes open invites) or reactivate."""
    patient = patient_or_404(patient_id)
    form = Form()
    active = form.choice("active", "Active", ("0", "1")) == "1"
    form.done()
    if patient.active and not active:
        patient.active = False
        patient.session_version += 1
        for invite in db.session.scalars(select(Invite).filter_by(
                patient_id=patient.id, used_at=None, revoked_at=None)):
            invite.revoked_at = utcnow()
    elif active:
        patient.active = True
    audit.record("patient.activate" if active else "patient.deactivate", patient,
                 target=f"patient:{patient.id}")
    db.session.commit()
    flash(f"{patient.display_name} is {'active' if active else 'deactivated'}.")
    return _patient_page(patient, "#account")


# -- questionnaires ------------------------------------------------------------------------

@bp.post("/patients/<int:patient_id>/questionnaires/<slug>")
@practitioner_required
def enter_questionnaire(patient_id: int, slug: str):
    """Enter a questionnaire the patient filled in (e.g. on paper at the session)."""
    patient = patient_or_404(patient_id)
    questionnaire = db.session.scalar(
        select(Questionnaire).where(Questionnaire.slug == slug,
                                    (Questionnaire.clinic_id.is_(None))
                                    | (Questionnaire.clinic_id == patient.clinic_id))
        .order_by(Questionnaire.clinic_id.is_(None)).limit(1))
    if questionnaire is None:
        abort(404)
    form = Form()
    timepoint = form.choice("timepoint", "When", TIMEPOINTS)
    answers = {}
    for item in questionnaire.items:
        value = form.integer(f"item-{item['key']}", item["text"], item["min"], item["max"],
                             required=True)
        if value is not None:
            answers[item["key"]] = value
    form.done()
    try:
        total = score(questionnaire, answers)
    except InvalidAnswers as invalid:
        raise FormError(invalid.fields) from invalid
    response = QuestionnaireResponse(questionnaire_id=questionnaire.id, patient_id=patient.id,
                                     timepoint=timepoint, answers=answers, score=total)
    db.session.add(response)
    db.session.flush()
    audit.record("questionnaire.enter", patient, target=f"response:{response.id}",
                 questionnaire=questionnaire.slug, timepoint=timepoint)
    db.session.commit()
    flash(f"{questionnaire.title}: score {total:g} saved.")
    return _patient_page(patient, "#questionnaires")
