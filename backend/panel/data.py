"""One patient's data as the panel shows it: daily series, adherence, questionnaires, summary.

Trends use one number a day (several check-ins a day are allowed): the mean of the day's
pain scores, and the largest "sitting today" the patient reported that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import vocab
from ..course.service import current_course, questionnaire_schedule
from ..extensions import db
from ..homework.service import paused_ids
from ..models import (
    Alert,
    AlertKind,
    Appointment,
    AppointmentStatus,
    Assignment,
    CheckIn,
    Completion,
    Course,
    Questionnaire,
    QuestionnaireResponse,
    User,
)
from ..progress import maths
from ..progress.maths import BASELINE_DAYS
from ..progress.service import baseline_start, due_of
from ..timeutil import local_date

CHART_DAYS = 56  # eight weeks on screen; the report covers the whole course


@dataclass
class DayPoint:
    day: date
    leg: float | None = None
    back: float | None = None
    sitting: int | None = None


def daily(patient: User, start: date, end: date) -> list[DayPoint]:
    """One point per calendar day in [start, end]; days without a check-in are empty."""
    rows = db.session.execute(
        select(
            CheckIn.local_date,
            func.avg(CheckIn.leg_pain),
            func.avg(CheckIn.back_pain),
            func.max(CheckIn.sitting_minutes),
        )
        .where(
            CheckIn.patient_id == patient.id, CheckIn.local_date >= start, CheckIn.local_date <= end
        )
        .group_by(CheckIn.local_date)
    )
    # A day with only a red flag sent alone has no pain score: None, like a day without data.
    found = {
        day: (
            None if leg is None else float(leg),
            None if back is None else float(back),
            sitting,
        )
        for day, leg, back, sitting in rows
    }
    points = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        leg, back, sitting = found.get(day, (None, None, None))
        points.append(DayPoint(day, leg, back, sitting))
    return points


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


@dataclass
class Change:
    """Baseline (first week) against the last 7 days; lower is better.

    Whether a change is meaningful is decided in one place, ``progress.maths``; sitting
    time (``pain_scale=False``) has no threshold, so it is never labelled meaningful."""

    baseline: float | None
    current: float | None
    pain_scale: bool = True

    @property
    def points(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.baseline - self.current

    @property
    def percent(self) -> float | None:
        if self.pain_scale:
            return maths.percent_change(self.baseline, self.current)
        if self.points is None or not self.baseline:
            return None
        return 100 * self.points / self.baseline

    @property
    def target(self) -> float | None:
        """The score that would be a meaningful improvement (pain only)."""
        if self.baseline is None or not self.pain_scale:
            return None
        return maths.meaningful_line(self.baseline)

    @property
    def direction(self) -> str:
        if self.points is None:
            return ""
        return "better" if self.points > 0 else "worse" if self.points < 0 else "no change"

    @property
    def responder(self) -> bool:
        """A meaningful improvement (Ostelo 2008)."""
        return self.pain_scale and maths.meaningful_change(self.baseline, self.current) == "better"

    @property
    def worse(self) -> bool:
        return self.pain_scale and maths.meaningful_change(self.baseline, self.current) == "worse"

    @property
    def verdict(self) -> str:
        if self.points is None:
            return "Not enough check-ins to compare yet"
        if not self.pain_scale:
            return ""
        if self.responder:
            return "Meaningful improvement"
        if self.worse:
            return "Meaningfully worse"
        return "No meaningful change yet"


def pain_changes(patient: User, today: date) -> dict[str, Change]:
    start = baseline_start(patient)
    if start is None:
        return {
            "leg": Change(None, None),
            "back": Change(None, None),
            "sitting": Change(None, None, pain_scale=False),
        }
    base_end = start + timedelta(days=BASELINE_DAYS - 1)
    points = daily(patient, start, max(today, base_end))
    base = [p for p in points if p.day <= base_end]
    recent_start = today - timedelta(days=6)
    recent = [p for p in points if p.day >= recent_start] if recent_start > base_end else []
    return {
        name: Change(
            _mean(getattr(p, name) for p in base),
            _mean(getattr(p, name) for p in recent),
            pain_scale=name != "sitting",
        )
        for name in ("leg", "back", "sitting")
    }


@dataclass
class Adherence:
    assignment: Assignment
    due: float
    done: int

    @property
    def percent(self) -> float | None:
        return min(100.0, 100 * self.done / self.due) if self.due else None


def adherence(patient: User, today: date, since: date | None = None) -> list[Adherence]:
    """Per assignment: sessions done (at most what was due each day) over sessions due."""
    assignments = list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.patient_id == patient.id)
            .options(selectinload(Assignment.doses))
            .order_by(Assignment.ended_at.is_not(None), Assignment.start_date)
        )
    )
    dues = {a.id: due_of(a, patient.timezone) for a in assignments}
    counts = db.session.execute(
        select(Completion.assignment_id, Completion.local_date, func.count())
        .where(Completion.patient_id == patient.id, Completion.local_date <= today)
        .group_by(Completion.assignment_id, Completion.local_date)
    )
    done: dict[int, int] = {}
    for assignment_id, day, count in counts:
        due = dues.get(assignment_id)
        if due is not None and (since is None or day >= since):
            done[assignment_id] = done.get(assignment_id, 0) + due.counted(day, count)
    return [
        Adherence(
            a,
            dues[a.id].due_between(max(a.start_date, since) if since else a.start_date, today),
            done.get(a.id, 0),
        )
        for a in assignments
    ]


def overall(items: list[Adherence]) -> float | None:
    due = sum(i.due for i in items)
    return min(100.0, 100 * sum(i.done for i in items) / due) if due else None


@dataclass
class Scores:
    questionnaire: Questionnaire
    responses: list[QuestionnaireResponse]

    @property
    def baseline(self) -> QuestionnaireResponse | None:
        starts = [r for r in self.responses if r.timepoint == "start"]
        first = starts or self.responses
        return first[0] if first else None

    @property
    def latest(self) -> QuestionnaireResponse | None:
        return self.responses[-1] if len(self.responses) > 1 else None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.latest is None:
            return None
        return self.latest.score - self.baseline.score


def questionnaire_scores(patient: User) -> list[Scores]:
    questionnaires = list(
        db.session.scalars(
            select(Questionnaire)
            .where(
                (Questionnaire.clinic_id.is_(None)) | (Questionnaire.clinic_id == patient.clinic_id)
            )
            .order_by(Questionnaire.clinic_id.is_not(None), Questionnaire.title)
        )
    )
    responses = list(
        db.session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.completed_at)
        )
    )
    return [Scores(q, [r for r in responses if r.questionnaire_id == q.id]) for q in questionnaires]


def schedule(course: Course | None) -> list[tuple[str, date]]:
    return questionnaire_schedule(course)


def sessions(patient: User) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .order_by(Appointment.starts_at)
        )
    )


def alerts(patient: User) -> list[Alert]:
    return list(
        db.session.scalars(
            select(Alert)
            .where(Alert.patient_id == patient.id)
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
        )
    )


def recent_checkins(patient: User, limit: int = 20) -> list[CheckIn]:
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.patient_id == patient.id)
            .order_by(CheckIn.recorded_at.desc())
            .limit(limit)
        )
    )


@dataclass
class Summary:
    """What the one-page report says, shared by the printable page and the PDF."""

    patient: User
    today: date
    course: Course | None
    changes: dict[str, Change]
    adherence: float | None
    attended: int
    missed: int
    scores: list[Scores]
    red_flags: int
    open_red_flags: int
    first_day: date | None
    points: list[DayPoint]  # for the chart: from the first data, at most REPORT_DAYS back
    exercises: list[Adherence] = field(default_factory=list)  # homework, with adherence
    paused: set[int] = field(default_factory=set)  # assignments stopped after "worse"
    treated: list[Appointment] = field(default_factory=list)  # sessions with a record
    tz: str = "UTC"

    def exercise_lines(self) -> list[str]:
        return [exercise_line(item, item.assignment.id in self.paused) for item in self.exercises]

    def session_lines(self) -> list[str]:
        return treatment_lines(self.treated, self.tz)


def dosage_text(a: Assignment) -> str:
    parts = []
    if a.sets:
        parts.append(f"{a.sets} set{'s' if a.sets != 1 else ''}")
    if a.reps:
        parts.append(f"{a.reps} reps")
    if a.hold_seconds:
        parts.append(f"hold {a.hold_seconds} s")
    parts += [f"{a.times_per_day}x a day", f"{a.days_per_week} days a week"]
    return ", ".join(parts)


def exercise_line(item: Adherence, paused: bool = False) -> str:
    """One exercise for the report: dose, dates, adherence, and whether it is stopped."""
    a = item.assignment
    dates = f"from {a.start_date:%d %b}" + (f" to {a.end_date:%d %b}" if a.end_date else "")
    if a.ended_at:
        dates += ", ended"
    done = (
        f"done {item.percent:.0f} % of what was due"
        if item.percent is not None
        else "nothing due yet"
    )
    line = f"{a.exercise.name}: {dosage_text(a)}; {dates}; {done}"
    if a.doses and len(a.doses) > 1:
        line += f"; dose changed {len(a.doses) - 1}x (each day counted at its own dose)"
    if paused and not a.ended_at:
        line += "; stopped by the patient after it felt worse, waiting for you to look"
    return line + "."


def _span(values: list[int], unit: str) -> str:
    low, high = min(values), max(values)
    return f"{low}{unit}" if low == high else f"{low}-{high}{unit}"


def treatment_lines(treated: list[Appointment], tz_name: str) -> list[str]:
    """The treated sessions in a few lines, so the report stays on one page: each acupoint
    with how many sessions used it, needles and retention, electro-acupuncture, and every
    adverse event with its date. The patient page keeps each session's full record."""
    if not treated:
        return []
    used: dict[str, int] = {}
    for a in treated:
        for point in a.acupoints:
            used[point] = used.get(point, 0) + 1
    n = len(treated)
    lines = []
    if used:
        lines.append(
            f"Acupoints over {n} treated session{'s' if n != 1 else ''} (sessions using each): "
            + ", ".join(f"{point} ({count})" for point, count in used.items())
            + "."
        )
    facts = []
    needles = [a.needles for a in treated if a.needles is not None]
    if needles:
        facts.append(f"{_span(needles, '')} needles a session")
    retention = [a.retention_minutes for a in treated if a.retention_minutes is not None]
    if retention:
        facts.append(f"retained {_span(retention, ' min')}")
    electro = sum(a.electro for a in treated)
    if electro:
        facts.append(f"electro-acupuncture at {electro} of {n}")
    if facts:
        text = "; ".join(facts)
        lines.append(text[0].upper() + text[1:] + ".")
    lines += [session_line(a, tz_name) for a in treated if a.adverse_events or a.adverse_note]
    return lines


def session_line(a: Appointment, tz_name: str) -> str:
    """One treated session for the report: acupoints, needles, retention, electro, events."""
    parts = [", ".join(a.acupoints) if a.acupoints else "no acupoints recorded"]
    if a.needles is not None:
        parts.append(f"{a.needles} needle{'s' if a.needles != 1 else ''}")
    if a.retention_minutes is not None:
        parts.append(f"retained {a.retention_minutes} min")
    if a.electro:
        parts.append("electro-acupuncture")
    if a.adverse_events or a.adverse_note:
        events = ", ".join(vocab.label(vocab.ADVERSE_EVENTS, e) for e in a.adverse_events or [])
        parts.append("adverse event: " + " - ".join(filter(None, [events, a.adverse_note or ""])))
    return f"{local_date(a.starts_at, tz_name):%d %b %Y}: " + "; ".join(parts)


REPORT_DAYS = 180


def summary(patient: User, today: date) -> Summary:
    course = current_course(patient)
    first_day = baseline_start(patient)
    chart_start = max(first_day or today, today - timedelta(days=REPORT_DAYS - 1))
    chart_start = min(chart_start, today - timedelta(days=13))
    appts = sessions(patient)
    if course is not None:
        appts = [a for a in appts if a.course_id == course.id]
    flags = [a for a in alerts(patient) if a.kind is AlertKind.RED_FLAG]
    tz = patient.clinic.timezone if patient.clinic else "UTC"
    exercises = adherence(patient, today)
    return Summary(
        patient=patient,
        today=today,
        course=course,
        changes=pain_changes(patient, today),
        adherence=overall(exercises),
        attended=sum(a.status is AppointmentStatus.ATTENDED for a in appts),
        missed=sum(a.status is AppointmentStatus.MISSED for a in appts),
        scores=[s for s in questionnaire_scores(patient) if s.responses],
        red_flags=len(flags),
        open_red_flags=sum(a.acknowledged_at is None for a in flags),
        first_day=first_day,
        points=daily(patient, chart_start, today),
        exercises=exercises,
        paused=paused_ids(patient.id),
        treated=[
            a
            for a in appts
            if a.status is AppointmentStatus.ATTENDED
            and (a.acupoints or a.needles is not None or a.adverse_events or a.electro)
        ],
        tz=tz,
    )
