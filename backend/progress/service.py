"""Load a patient's data and run the progress maths on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..course.service import course_progress, current_course
from ..extensions import db
from ..models import Assignment, AssignmentDose, CheckIn, Completion, Course, User
from ..timeutil import local_date, today_for
from . import maths

MAX_DAYS = 400  # a long course plus follow-up; keeps the answer small


class Scheduled(Protocol):
    """What ``due_of`` reads of an assignment (a loaded one, or a plain row of its columns)."""

    id: int
    start_date: date
    end_date: date | None
    ended_at: datetime | None
    times_per_day: int
    days_per_week: int


class Dosed(Protocol):
    """What ``due_of`` reads of a dose (a loaded ``AssignmentDose`` or a plain row)."""

    effective_from: date
    times_per_day: int
    days_per_week: int


def due_of(
    assignment: Assignment | Scheduled,
    tz_name: str,
    doses: Sequence[AssignmentDose | Dosed] | None = None,
) -> maths.Due:
    """An assignment as the maths counts it: its days (to its end date, or the day it was
    ended in ``tz_name``) and its dosage history (``doses`` when the caller loaded them for
    many assignments at once; required for a plain row). The one place that reads both."""
    if doses is None:
        if not isinstance(assignment, Assignment):
            raise TypeError("a plain row of an assignment comes with its doses")
        doses = assignment.doses
    end = assignment.end_date
    if assignment.ended_at is not None:
        stopped = local_date(assignment.ended_at, tz_name)
        end = min(end, stopped) if end else stopped
    return maths.Due(
        assignment.id,
        assignment.start_date,
        end,
        assignment.times_per_day,
        assignment.days_per_week,
        [maths.Dose(d.effective_from, d.times_per_day, d.days_per_week) for d in doses],
    )


def _dues(patient: User) -> list[maths.Due]:
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.patient_id == patient.id)
        .options(selectinload(Assignment.doses))
    )
    return [due_of(a, patient.timezone) for a in assignments]


def _done(patient: User, start: date, end: date) -> dict[tuple[int, date], int]:
    rows = db.session.execute(
        select(Completion.assignment_id, Completion.local_date, func.count())
        .where(
            Completion.patient_id == patient.id,
            Completion.local_date >= start,
            Completion.local_date <= end,
        )
        .group_by(Completion.assignment_id, Completion.local_date)
    )
    return {(assignment_id, day): count for assignment_id, day, count in rows}


def _entries(patient: User, start: date, end: date) -> list[maths.Entry]:
    rows = db.session.execute(
        select(
            CheckIn.local_date, CheckIn.leg_pain, CheckIn.back_pain, CheckIn.sitting_minutes
        ).where(
            CheckIn.patient_id == patient.id, CheckIn.local_date >= start, CheckIn.local_date <= end
        )
    )
    # A red flag sent alone carries no pain scores: it is not a point of the pain trends.
    return [
        maths.Entry(day, leg, back, sitting)
        for day, leg, back, sitting in rows
        if leg is not None and back is not None
    ]


def baseline_start(
    patient: User, course: Course | None = None, first_entry: date | None = None
) -> date | None:
    """Where the first week, the baseline every change is measured from, begins.

    The course's first week if the patient checked in during it, else the week of their
    first check-in. The panel's patient page uses this too, and its patients list counts the
    same in SQL (backend/panel/triage.py).
    """
    course = course or current_course(patient)
    if course is not None and db.session.scalar(
        select(
            select(CheckIn.id)
            .where(
                CheckIn.patient_id == patient.id,
                CheckIn.local_date >= course.start_date,
                CheckIn.local_date < course.start_date + timedelta(days=maths.BASELINE_DAYS),
            )
            .exists()
        )
    ):
        return course.start_date
    return first_entry or db.session.scalar(
        select(func.min(CheckIn.local_date)).where(CheckIn.patient_id == patient.id)
    )


def progress(patient: User, today: date | None = None) -> dict:
    """Per-day summaries over the course, change since the first week, the sitting link."""
    today = today or today_for(patient.timezone)
    course = current_course(patient)
    first_entry = db.session.scalar(
        select(func.min(CheckIn.local_date)).where(CheckIn.patient_id == patient.id)
    )
    candidates = [d for d in (course.start_date if course else None, first_entry) if d]
    start = min(candidates) if candidates else today
    start = max(start, today - timedelta(days=MAX_DAYS - 1))
    days = maths.daily(
        _entries(patient, start, today), _done(patient, start, today), _dues(patient), start, today
    )

    base_start = baseline_start(patient, course, first_entry)
    source = "course" if course and base_start == course.start_date else "data"
    baseline: dict[str, Any] | None = None  # dates as ISO strings, means as numbers
    current: dict[str, Any] | None = None
    changes: list[dict] = []
    if base_start is not None:
        base_end = base_start + timedelta(days=maths.BASELINE_DAYS - 1)
        baseline = {"start": base_start.isoformat(), "end": base_end.isoformat(), "source": source}
        for attr in ("leg_mean", "back_mean", "sitting_minutes"):
            baseline[attr] = maths.window_mean(days, attr, base_start, base_end)
        last = max((d.day for d in days if d.entries), default=None)
        if last is not None and last > base_end:
            cur_start = max(base_end + timedelta(days=1), last - timedelta(days=6))
            current = {"start": cur_start.isoformat(), "end": last.isoformat()}
            for attr in ("leg_mean", "back_mean", "sitting_minutes"):
                current[attr] = maths.window_mean(days, attr, cur_start, last)
        for attr, name, pain in (
            ("leg_mean", "leg_pain", True),
            ("back_mean", "back_pain", True),
            ("sitting_minutes", "sitting_minutes", False),
        ):
            changes.append(
                maths.change(
                    name, baseline[attr], current[attr] if current else None, pain
                ).as_dict()
            )
        for window in (baseline, current):
            if window:
                for attr in ("leg_mean", "back_mean", "sitting_minutes"):
                    window[attr] = maths.rounded(window[attr])

    due = sum(d.homework_due for d in days)
    done = sum(d.homework_done for d in days)
    info = course_progress(patient)
    return {
        "start": start.isoformat(),
        "end": today.isoformat(),
        "course": None
        if course is None
        else {
            "title": course.title,
            "planned_sessions": course.planned_sessions,
            "attended": info.attended,
            "start_date": course.start_date.isoformat(),
            "weeks": course.weeks,
        },
        "days": [d.as_dict() for d in days],
        "weeks": maths.weekly_adherence(days, start),
        "adherence": maths.rounded(min(100.0, 100 * done / due)) if due else None,
        "baseline": baseline,
        "current": current,
        "changes": changes,
        "sitting_link": maths.sitting_link(days).as_dict(),
    }
