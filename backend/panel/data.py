"""One patient's data as the panel shows it: daily series, adherence, questionnaires, summary.

Trends use one number a day (several check-ins a day are allowed): the mean of the day's
pain scores, and the largest "sitting today" the patient reported that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..course.service import current_course, questionnaire_schedule
from ..extensions import db
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
from ..progress.maths import BASELINE_DAYS, MEANINGFUL_FRACTION, MEANINGFUL_POINTS
from ..progress.service import baseline_start
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
    found = {day: (float(leg), float(back), sitting) for day, leg, back, sitting in rows}
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
    """Baseline (first week) against the last 7 days; lower is better."""

    baseline: float | None
    current: float | None

    @property
    def points(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.baseline - self.current

    @property
    def percent(self) -> float | None:
        if self.points is None or not self.baseline:
            return None
        return 100 * self.points / self.baseline

    @property
    def target(self) -> float | None:
        """The score that would be a meaningful improvement: 2 points or 30 % lower."""
        if self.baseline is None:
            return None
        return max(
            0.0, self.baseline - MEANINGFUL_POINTS, self.baseline * (1 - MEANINGFUL_FRACTION)
        )

    @property
    def direction(self) -> str:
        if self.points is None:
            return ""
        return "better" if self.points > 0 else "worse" if self.points < 0 else "no change"

    @property
    def responder(self) -> bool:
        """A meaningful improvement (Ostelo 2008): 2 points or 30 % better."""
        return self.points is not None and (
            self.points >= MEANINGFUL_POINTS
            or (self.percent is not None and self.percent >= 100 * MEANINGFUL_FRACTION)
        )

    @property
    def worse(self) -> bool:
        return self.points is not None and (
            -self.points >= MEANINGFUL_POINTS
            or (self.percent is not None and -self.percent >= 100 * MEANINGFUL_FRACTION)
        )

    @property
    def verdict(self) -> str:
        if self.points is None:
            return "Not enough check-ins to compare yet"
        if self.responder:
            return "Meaningful improvement (2 points or 30 % better)"
        if self.worse:
            return "Meaningfully worse (2 points or 30 % worse)"
        return "No meaningful change yet"


def pain_changes(patient: User, today: date) -> dict[str, Change]:
    start = baseline_start(patient)
    if start is None:
        return {
            "leg": Change(None, None),
            "back": Change(None, None),
            "sitting": Change(None, None),
        }
    base_end = start + timedelta(days=BASELINE_DAYS - 1)
    points = daily(patient, start, max(today, base_end))
    base = [p for p in points if p.day <= base_end]
    recent_start = today - timedelta(days=6)
    recent = [p for p in points if p.day >= recent_start] if recent_start > base_end else []
    return {
        name: Change(_mean(getattr(p, name) for p in base), _mean(getattr(p, name) for p in recent))
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
            .order_by(Assignment.ended_at.is_not(None), Assignment.start_date)
        )
    )
    counts = db.session.execute(
        select(Completion.assignment_id, Completion.local_date, func.count())
        .where(Completion.patient_id == patient.id)
        .group_by(Completion.assignment_id, Completion.local_date)
    )
    done: dict[int, int] = {}
    by_id = {a.id: a for a in assignments}
    for assignment_id, day, count in counts:
        a = by_id.get(assignment_id)
        if a is not None and (since is None or day >= since):
            done[a.id] = done.get(a.id, 0) + min(count, a.times_per_day)
    out = []
    for a in assignments:
        last = min(
            d
            for d in (
                today,
                a.end_date,
                local_date(a.ended_at, patient.timezone) if a.ended_at else None,
            )
            if d
        )
        first = max(a.start_date, since) if since else a.start_date
        days = max(0, (last - first).days + 1)
        out.append(Adherence(a, days * a.times_per_day * a.days_per_week / 7, done.get(a.id, 0)))
    return out


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
    return Summary(
        patient=patient,
        today=today,
        course=course,
        changes=pain_changes(patient, today),
        adherence=overall(adherence(patient, today)),
        attended=sum(a.status is AppointmentStatus.ATTENDED for a in appts),
        missed=sum(a.status is AppointmentStatus.MISSED for a in appts),
        scores=[s for s in questionnaire_scores(patient) if s.responses],
        red_flags=len(flags),
        open_red_flags=sum(a.acknowledged_at is None for a in flags),
        first_day=first_day,
        points=daily(patient, chart_start, today),
    )
