"""Practitioner panel pages: the triage list, a patient's page, the report, the audit log.

Every read of a patient's data is written to the audit log (``audit.record``), in the same
transaction as anything else the request does. Forms that change data live in
one module per job beside this one (alerts, exercises, homework, course, invites,
questionnaires).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from .. import audit, vocab
from ..access import patient_or_404, practitioner_required
from ..alerts.report import red_flag_lines
from ..auth import accounts
from ..checkins.red_flags import LABELS
from ..clinic.service import team as clinic_team
from ..course.service import course_progress, current_course
from ..database import record_id
from ..extensions import db, login_manager
from ..homework.service import paused_ids
from ..intake import service as intake_service
from ..intake.form import INTAKE_FORM
from ..models import ALERT_ACTIONS, AuditEvent, Exercise, Invite, Role, User, utcnow
from ..progress.service import baseline_start
from ..timeutil import today_for, zone
from ..vocab import ADVERSE_EVENTS
from . import bp, charts, data, triage
from .forms import FormError

LIST_PAGE = 100  # patients a page of the list
AUDIT_PAGE = 100


def patient_page(patient: User, anchor: str = ""):
    """Back to the patient's page after a form, at the section it changed."""
    return redirect(url_for("panel.patient", patient_id=patient.id) + anchor, code=303)


def clinic_today():
    return today_for(current_user.clinic.timezone)


@bp.errorhandler(FormError)
def bad_form(error: FormError):
    """Bad input: say what to fix; nothing of the request is saved."""
    db.session.rollback()
    return render_template("panel/form_error.html", fields=error.fields, back=_back()), 422


def _back() -> str | None:
    """The page the form was on, if it is one of ours (a link back, never elsewhere)."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


@bp.errorhandler(CSRFError)
def bad_token(error: CSRFError):
    """A form without a valid token. Logged out (e.g. the session ended while the form was
    open): log in first, as for any panel page. Logged in: say so plainly."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_practitioner:
        return "The practitioner panel is for practitioners.", 403
    return render_template(
        "panel/form_error.html",
        back=_back(),
        fields={
            "The form": "had expired or was sent from elsewhere; reload the page and try again"
        },
    ), 400


@bp.get("/")
@practitioner_required
def index():
    query = request.args.get("q", "")[:100]
    number = request.args.get("page", 1, type=record_id)
    # "Mine" (the patients I lead) unless asked for everyone in the clinic.
    everyone = request.args.get("who") == "all"
    rows = triage.patients_needing_attention(
        current_user.clinic_id,
        clinic_today(),
        query,
        current_user.clinic.timezone,
        lead_id=None if everyone else current_user.id,
    )
    # Pages of the ordered list: whoever needs attention is on the first.
    pages = max(1, -(-len(rows) // LIST_PAGE))
    number = min(number, pages)
    shown = rows[(number - 1) * LIST_PAGE : number * LIST_PAGE]
    audit.record(
        "patients.list", target="clinic" if everyone else "mine", query=query, count=len(shown)
    )
    # Render before committing: a commit expires the loaded rows, and reloading them one by
    # one would cost a query per patient.
    html = render_template(
        "panel/index.html",
        rows=shown,
        total=len(rows),
        query=query,
        needing=sum(1 for r in rows if r.reasons),
        page=number,
        pages=pages,
        first=(number - 1) * LIST_PAGE + 1,
        everyone=everyone,
        who="all" if everyone else None,
        leads=_practitioner_names() if everyone else {},
    )
    db.session.commit()
    return html


@bp.get("/sw.js")
def service_worker():
    """The panel's service worker (alert pushes only), served under /panel/ for its scope."""
    response = current_app.send_static_file("js/panel-sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _practitioner_names() -> dict[int, str]:
    """The clinic's practitioners by id (one query), to name each patient's lead; a lead who
    left is marked, so that their patients can be handed on."""
    rows = db.session.execute(
        select(User.id, User.display_name, User.active).where(
            User.clinic_id == current_user.clinic_id, User.role == Role.PRACTITIONER
        )
    ).all()
    return {i: name if active else f"{name} (deactivated)" for i, name, active in rows}


@bp.get("/patients/<int:patient_id>")
@practitioner_required
def patient(patient_id: int):
    patient = patient_or_404(patient_id)
    today = clinic_today()
    # Eight weeks at most, starting with the first data (or the course) when that is later.
    first = baseline_start(patient) or today
    start = max(today - timedelta(days=data.CHART_DAYS - 1), min(first, today - timedelta(days=13)))
    points = data.daily(patient, start, today)
    changes = data.pain_changes(patient, today)
    course = current_course(patient)
    library = list(
        db.session.scalars(
            select(Exercise)
            .where((Exercise.clinic_id.is_(None)) | (Exercise.clinic_id == patient.clinic_id))
            .order_by(Exercise.clinic_id.is_not(None), Exercise.name)
        )
    )
    invite = db.session.scalar(
        select(Invite)
        .where(Invite.patient_id == patient.id)
        .order_by(Invite.created_at.desc())
        .limit(1)
    )
    scores = data.questionnaire_scores(patient)
    intake = intake_service.of(patient)
    audit.record("patient.read", patient, target=f"patient:{patient.id}")
    page = render_template(
        "panel/patient.html",
        patient=patient,
        intake=intake,
        intake_form=INTAKE_FORM,
        raised=intake_service.raises(intake.answers) if intake else [],
        flag_labels=LABELS,
        alert_actions=ALERT_ACTIONS,
        erasable_from=accounts.erasable_from(patient),
        may_erase=accounts.may_erase(patient),
        today=today,
        changes=changes,
        pain_svg=charts.pain_chart(points, changes["leg"].target),
        sitting_svg=charts.sitting_chart(points),
        chart_start=start,
        adherence=data.adherence(patient, today),
        recent_adherence=data.adherence(patient, today, since=today - timedelta(days=6)),
        scores=scores,
        schedule=data.schedule(course),
        done_timepoints={r.timepoint for s in scores for r in s.responses},
        checkins=data.recent_checkins(patient),
        sessions=data.sessions(patient),
        alerts=data.alerts(patient),
        paused=paused_ids(patient.id),
        adverse_events=ADVERSE_EVENTS,
        course=course,
        progress=course_progress(patient),
        library=library,
        invite=invite,
        team=[
            m
            for m in clinic_team(current_user.clinic_id)
            if m.active or m.id == patient.practitioner_id
        ],
        now=utcnow(),
        tz=current_user.clinic.timezone,
    )
    db.session.commit()
    return page


def _report_summary(patient_id: int, action: str) -> data.Summary:
    patient = patient_or_404(patient_id)
    summary = data.summary(patient, clinic_today())
    audit.record(action, patient, target=f"patient:{patient.id}")
    return summary


@bp.get("/patients/<int:patient_id>/report")
@practitioner_required
def report(patient_id: int):
    summary = _report_summary(patient_id, "report.read")
    chart = charts.pain_chart(summary.points, summary.changes["leg"].target)
    page = render_template(
        "panel/report.html",
        s=summary,
        clinic=current_user.clinic,
        chart=chart,
        red_flag_lines=red_flag_lines(summary.patient),
    )
    db.session.commit()
    return page


@bp.get("/patients/<int:patient_id>/report.pdf")
@practitioner_required
def report_pdf(patient_id: int):
    from .pdf import report_pdf as build

    summary = _report_summary(patient_id, "report.pdf")
    body = build(summary, current_user.clinic.name)
    db.session.commit()
    filename = f"between-report-{summary.patient.id}-{summary.today.isoformat()}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _day(text: str | None):
    """A YYYY-MM-DD from the query string, or None (a bad one is simply not a filter)."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


@bp.get("/audit")
@practitioner_required
def audit_log():
    """The clinic's audit trail in plain words, newest first; filtered by patient
    (``?patient=<id>``), person (``?person=<id>``, who did it) and dates (``from``, ``to``,
    in the clinic's time zone). Viewing it is itself an entry."""
    tz = zone(current_user.clinic.timezone)
    stmt = select(AuditEvent).where(AuditEvent.clinic_id == current_user.clinic_id)
    patient_id = request.args.get("patient", type=record_id)
    if patient_id:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    person_id = request.args.get("person", type=record_id)
    if person_id:
        stmt = stmt.where(AuditEvent.actor_id == person_id)
    first, last = _day(request.args.get("from")), _day(request.args.get("to"))
    if first:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(first, time.min, tz))
    if last:
        stmt = stmt.where(AuditEvent.at < datetime.combine(last + timedelta(days=1), time.min, tz))
    before = request.args.get("before", type=record_id)
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    # Newest first along the (clinic_id, at) index; ids grow with time, so "older" pages
    # continue below the last id shown.
    events = list(
        db.session.scalars(
            stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(AUDIT_PAGE)
        )
    )
    people = db.session.execute(
        select(User.id, User.display_name, User.role)
        .where(User.clinic_id == current_user.clinic_id)
        .order_by(User.display_name)
    ).all()
    names = {pid: name for pid, name, _ in people}
    rows = [
        (
            event,
            audit.describe(
                event,
                names.get(event.actor_id) if event.actor_id else None,
                names.get(event.patient_id) if event.patient_id else None,
            ),
        )
        for event in events
    ]
    filters = {
        "patient": patient_id,
        "person": person_id,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
    }
    audit.record(
        "audit.read",
        db.session.get(User, patient_id) if patient_id in names else None,
        target="audit",
        **{f"filter_{k}": v for k, v in filters.items() if v},
    )
    page = render_template(
        "panel/audit.html",
        rows=rows,
        patients=[(pid, name) for pid, name, role in people if role is Role.PATIENT],
        staff=[(pid, name) for pid, name, role in people if role is Role.PRACTITIONER],
        names=names,
        filters=filters,
        page=AUDIT_PAGE,
        tz=current_user.clinic.timezone,
    )
    db.session.commit()
    return page


@bp.app_template_filter("local")
def local_time(moment, tz_name: str = "UTC", fmt: str = "%d %b %Y %H:%M") -> str:
    from ..timeutil import zone

    return "" if moment is None else moment.astimezone(zone(tz_name)).strftime(fmt)


@bp.app_template_filter("adverse_label")
def adverse_label(value: str) -> str:
    return vocab.label(ADVERSE_EVENTS, value)


@bp.app_template_filter("vocab")
def vocab_label(value: str, vocabulary: str) -> str:
    """A check-in value in the words the patient saw (backend/vocab.py)."""
    return vocab.label(vocab.VOCABULARIES[vocabulary], value)
