"""Who needs attention first: the patients list of the panel.

Each patient's costly figures (leg pain in the first week and in the last 7 days, the last
check-in, homework done of what was due in the last 7 days) are kept between views in
``PatientSummary`` (backend/panel/summary.py says when they are computed again). A view reads
the patients with their kept figures and their open alerts: two statements. Figures that may
have changed are computed again by ``compute_figures`` for those patients only, aggregated
with GROUP BY, so the number of statements is the same for 10 patients or 10,000
(tests/perf/bench_panel.py checks it):

1. each patient's start of the first week (the current course's start, else their first
   check-in) and their last check-in;
2. and 3. leg pain in the first week and in the last 7 days, each a mean of per-day means,
   reading only those days' rows from the (patient_id, local_date) index;
4. homework done in the last 7 days (capped at what was due each day), and the assignments
   that were running with their doses, to know what was due.

Order: open red flags, then worsening leg pain (the meaningful-change rule of
progress.maths: 2 points, or 30 % and at least 1 point, worse than the first week), "worse after exercise" reports, no check-in for 3 days, homework
adherence under 50 % over the last 7 days; then everyone else by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Date, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..database import writing
from ..extensions import db
from ..models import (
    Alert,
    AlertKind,
    Assignment,
    AssignmentDose,
    CheckIn,
    Completion,
    Course,
    PatientSummary,
    Role,
    User,
)
from ..progress import maths
from ..progress.maths import BASELINE_DAYS
from ..progress.service import due_of
from . import summary

RECENT_DAYS = 7
QUIET_DAYS = 3
LOW_ADHERENCE = 50.0


class plus_days(FunctionElement):
    """``a_date + n days`` on SQLite and PostgreSQL alike."""

    type = Date()
    inherit_cache = True


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    day, days = element.clauses
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


@compiles(plus_days, "postgresql")
def _plus_days_postgresql(element, compiler, **kw):
    day, days = element.clauses
    return f"({compiler.process(day, **kw)} + CAST({compiler.process(days, **kw)} AS INTEGER))"


class Patient(NamedTuple):
    """What the list shows of a patient: plain columns, not a loaded ``User`` (a thousand
    ORM objects cost more than the rest of the list together)."""

    id: int
    display_name: str
    email: str
    active: bool
    practitioner_id: int | None


@dataclass
class Figures:
    """A patient's figures that cost a look at their history (kept in ``PatientSummary``)."""

    baseline_leg: float | None = None
    recent_leg: float | None = None
    worsening: bool = False
    last_checkin: date | None = None
    adherence: float | None = None  # percent of what was due in the last 7 days


@dataclass
class Row:
    """One patient of the list and the reasons they need attention (most urgent first)."""

    patient: Patient
    red_flags: int = 0
    same_day_flags: int = 0  # of those, the ones graded "see a doctor today"
    worse_reports: int = 0
    baseline_leg: float | None = None
    recent_leg: float | None = None
    worsening: bool = False  # the meaningful-change rule, first week to the last 7 days
    last_checkin: date | None = None
    adherence: float | None = None  # percent of what was due in the last 7 days
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    rank: int = 9


def is_worse(baseline: float | None, recent: float | None) -> bool:
    """The meaningful-change rule (progress.maths) applied to getting worse."""
    return maths.meaningful_change(baseline, recent) == "worse"


def search_filter(query: str):
    like = f"%{query.strip().lower()}%"
    return or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like))


def patients_needing_attention(
    clinic_id: int,
    today: date,
    query: str = "",
    tz_name: str = "UTC",
    lead_id: int | None = None,
    recompute: bool = False,
) -> list[Row]:
    """The clinic's patients (or those ``lead_id`` leads), most in need of attention first,
    each with why. ``recompute``: every figure from scratch, nothing kept read or written
    (what the kept figures must always equal)."""
    in_clinic = _in_clinic(clinic_id, query, lead_id)
    rows, figures, seen = _with_figures(in_clinic, today, tz_name, recompute)
    if not rows:
        return []
    if figures and not recompute:
        summary.store(db.session.connection(), figures, seen, today, tz_name)

    # Open alerts, read live.
    ids = select(User.id).where(*in_clinic).scalar_subquery()
    for patient_id, kind, urgency, count in _rows(
        select(Alert.patient_id, Alert.kind, Alert.urgency, func.count())
        .where(Alert.patient_id.in_(ids), Alert.acknowledged_at.is_(None))
        .group_by(Alert.patient_id, Alert.kind, Alert.urgency)
    ):
        row = rows.get(patient_id)
        if row is None:  # a patient added since the list was read: on the next view
            continue
        if kind is AlertKind.RED_FLAG:
            row.red_flags += count
            if urgency == "same_day":
                row.same_day_flags += count
        else:
            row.worse_reports += count

    for row in rows.values():
        _explain(row, today)
    # An open red flag stays on top even for a deactivated patient: it is never buried.
    return sorted(
        rows.values(),
        key=lambda r: (r.rank > 0, not r.patient.active, r.rank, r.patient.display_name.lower()),
    )


def _in_clinic(clinic_id: int, query: str = "", lead_id: int | None = None) -> list:
    in_clinic = [User.clinic_id == clinic_id, User.role == Role.PATIENT]
    if lead_id is not None:
        in_clinic.append(User.practitioner_id == lead_id)
    if query.strip():
        in_clinic.append(search_filter(query))
    return in_clinic


def _with_figures(
    in_clinic: list, today: date, tz_name: str, recompute: bool = False
) -> tuple[dict[int, Row], dict[int, Figures], dict[int, int | None]]:
    """The patients, each with their figures: kept ones where fresh, else computed now.
    Returns the rows by patient id, the figures computed now and the generation each of
    those was seen at (for ``summary.store``)."""
    kept = PatientSummary
    found = _rows(
        select(
            User.id,
            User.display_name,
            User.email,
            User.active,
            User.practitioner_id,
            kept.generation,
            kept.computed_generation,
            kept.computed_for,
            kept.tz,
            kept.baseline_leg,
            kept.recent_leg,
            kept.worsening,
            kept.last_checkin,
            kept.adherence,
        )
        .outerjoin(kept, kept.patient_id == User.id)
        .where(*in_clinic)
        .order_by(User.display_name)
    ).all()
    rows: dict[int, Row] = {}
    stale: dict[int, int | None] = {}  # patient id: the generation seen
    for (
        patient_id,
        name,
        email,
        active,
        lead,
        generation,
        computed_generation,
        computed_for,
        tz,
        baseline_leg,
        recent_leg,
        worsening,
        last_checkin,
        adherence,
    ) in found:
        row = rows[patient_id] = Row(Patient(patient_id, name, email, active, lead))
        if not recompute and summary.is_fresh(
            generation, computed_generation, computed_for, tz, today, tz_name
        ):
            row.baseline_leg, row.recent_leg, row.worsening = baseline_leg, recent_leg, worsening
            row.last_checkin, row.adherence = last_checkin, adherence
        else:
            stale[patient_id] = generation
    figures: dict[int, Figures] = {}
    if stale:
        who = in_clinic if len(stale) == len(rows) else [User.id.in_(sorted(stale))]
        figures = compute_figures(who, today, tz_name)
        # On PostgreSQL each statement sees the latest commits: a patient added after the
        # list was read may have figures too. They are shown from the next view on.
        figures = {p: f for p, f in figures.items() if p in rows}
        for patient_id, f in figures.items():
            row = rows[patient_id]
            row.baseline_leg, row.recent_leg, row.worsening = (
                f.baseline_leg,
                f.recent_leg,
                f.worsening,
            )
            row.last_checkin, row.adherence = f.last_checkin, f.adherence
    return rows, figures, stale


def refresh(clinic_id: int, today: date, tz_name: str) -> int:
    """Compute and keep the clinic's figures that went stale (the clock does it after each
    clinic's midnight, so that a practitioner's first view of the day need not). Computed in
    a read transaction, written in a short write one; the generation check in
    ``summary.store`` keeps out figures that a write in between made stale. Returns how many
    patients' figures were computed."""
    _, figures, seen = _with_figures(_in_clinic(clinic_id), today, tz_name)
    db.session.rollback()  # end the read; the write below takes the lock only to write
    if figures:
        with writing():
            summary.store(db.session.connection(), figures, seen, today, tz_name)
            db.session.commit()
    return len(figures)


def _rows(statement):
    """Plain rows through the session's connection: no ORM result processing."""
    return db.session.connection().execute(statement)


def compute_figures(who: list, today: date, tz_name: str = "UTC") -> dict[int, Figures]:
    """The figures of the patients ``who`` selects (conditions on ``User``), from scratch."""
    # First and last check-in day and the current course's start, per patient. Correlated
    # min/max over the (patient_id, local_date) index are one index look-up each.
    first = (
        select(func.min(CheckIn.local_date))
        .where(CheckIn.patient_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    last = (
        select(func.max(CheckIn.local_date))
        .where(CheckIn.patient_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    course_start = (
        select(func.max(Course.start_date))
        .where(Course.patient_id == User.id, Course.ended_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    # The first week: the course's if they checked in during it, else from their first
    # check-in (the rule of backend/progress/service.py's baseline_start).
    checked_in_course_week = (
        select(CheckIn.id)
        .where(
            CheckIn.patient_id == User.id,
            CheckIn.local_date >= course_start,
            CheckIn.local_date <= plus_days(course_start, BASELINE_DAYS - 1),
        )
        .correlate(User)
        .exists()
    )
    base_start = case((checked_in_course_week, course_start), else_=first)

    # Leg pain in the first week, a mean of per-day means (several check-ins a day count
    # once), computed per patient: each reads only their first 7 days from the index. (A
    # join of the check-ins with the starts made PostgreSQL hash the whole year's check-ins,
    # 0.5-15 s for 1,000 patients.)
    first_week_days = (
        select(func.avg(CheckIn.leg_pain).label("leg"))
        .where(
            CheckIn.patient_id == User.id,
            CheckIn.local_date >= base_start,
            CheckIn.local_date <= plus_days(base_start, BASELINE_DAYS - 1),
        )
        .group_by(CheckIn.local_date)
        .correlate(User)
        .subquery()
    )
    baseline = select(func.avg(first_week_days.c.leg)).correlate(User).scalar_subquery()

    # 1. Each patient's first-week start, leg pain in that week, and last check-in.
    figures: dict[int, Figures] = {}
    ids = select(User.id).where(*who).scalar_subquery()
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    compare = set()  # patients whose baseline week ended before the recent week starts
    for patient_id, start, leg, last_day in _rows(
        select(User.id, base_start, baseline, last).where(*who)
    ):
        start = _as_date(start)
        figures[patient_id] = Figures(last_checkin=_as_date(last_day))
        if leg is not None:  # a day with only a red flag sent alone has no pain score
            figures[patient_id].baseline_leg = float(leg)
        if start is not None and start + timedelta(days=BASELINE_DAYS - 1) < recent_start:
            compare.add(patient_id)

    # 2. Leg pain in the last 7 days, a mean of per-day means too.
    recent_days = (
        select(CheckIn.patient_id, func.avg(CheckIn.leg_pain).label("leg"))
        .where(
            CheckIn.patient_id.in_(ids),
            CheckIn.local_date >= recent_start,
            CheckIn.local_date <= today,
        )
        .group_by(CheckIn.patient_id, CheckIn.local_date)
        .subquery()
    )
    for patient_id, leg in _rows(
        select(recent_days.c.patient_id, func.avg(recent_days.c.leg)).group_by(
            recent_days.c.patient_id
        )
    ):
        if patient_id in compare and leg is not None:
            figures[patient_id].recent_leg = float(leg)

    # 3. Homework: what was due and what was done over the last 7 days, each day against
    # the dose in force that day (progress.maths, the one home of that arithmetic).
    running = (
        Assignment.patient_id.in_(ids),
        Assignment.start_date <= today,
        or_(Assignment.end_date.is_(None), Assignment.end_date >= recent_start),
    )
    # Plain rows, not loaded objects: due_of reads the same columns from either.
    doses: dict[int, list] = {}
    for dose in _rows(  # one statement however many assignments
        select(
            AssignmentDose.assignment_id,
            AssignmentDose.effective_from,
            AssignmentDose.times_per_day,
            AssignmentDose.days_per_week,
        )
        .join(Assignment, AssignmentDose.assignment_id == Assignment.id)
        .where(*running)
        .order_by(AssignmentDose.effective_from)
    ):
        doses.setdefault(dose.assignment_id, []).append(dose)
    assignments = {
        a.id: (a.patient_id, due_of(a, tz_name, doses.get(a.id, [])))
        for a in _rows(
            select(
                Assignment.id,
                Assignment.patient_id,
                Assignment.start_date,
                Assignment.end_date,
                Assignment.ended_at,
                Assignment.times_per_day,
                Assignment.days_per_week,
            ).where(*running)
        )
    }
    due: dict[int, float] = {}
    for patient_id, schedule in assignments.values():
        due[patient_id] = due.get(patient_id, 0.0) + schedule.due_between(recent_start, today)
    done: dict[int, int] = {}
    for assignment_id, day, n in _rows(
        select(Completion.assignment_id, Completion.local_date, func.count())
        .where(
            Completion.patient_id.in_(ids),
            Completion.local_date >= recent_start,
            Completion.local_date <= today,
        )
        .group_by(Completion.assignment_id, Completion.local_date)
    ):
        if assignment_id in assignments:
            patient_id, schedule = assignments[assignment_id]
            on = _as_date(day)
            if on is not None:
                done[patient_id] = done.get(patient_id, 0) + schedule.counted(on, n)
    for patient_id, amount in due.items():
        if amount > 0:
            figures[patient_id].adherence = min(100.0, 100 * done.get(patient_id, 0) / amount)
    for f in figures.values():
        f.worsening = is_worse(f.baseline_leg, f.recent_leg)
    return figures


def _as_date(value) -> date | None:
    """SQLite hands computed dates back as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _explain(row: Row, today: date) -> None:
    reasons = []
    ranks = []
    if row.red_flags:
        ranks.append(0)
        # Said as the patient was told: only same-day flags open means "a doctor today";
        # any emergency (or ungraded) flag means urgent medical care.
        if row.same_day_flags == row.red_flags:
            reasons.append(("danger", "Red flag reported: needs to see a doctor today"))
        else:
            reasons.append(("danger", "Red flag reported: needs urgent medical care"))
    if row.worsening:
        ranks.append(1)
        reasons.append(
            (
                "warn",
                f"Leg pain worse: {row.recent_leg:.1f} in the last 7 days "
                f"vs {row.baseline_leg:.1f} in the first week",
            )
        )
    if row.worse_reports:
        ranks.append(2)
        reasons.append(
            (
                "warn",
                f"Felt worse after exercise ({row.worse_reports} report"
                f"{'s' if row.worse_reports != 1 else ''})",
            )
        )
    if row.patient.active:
        if row.last_checkin is None:
            ranks.append(3)
            reasons.append(("info", "No check-ins yet"))
        elif (today - row.last_checkin).days >= QUIET_DAYS:
            ranks.append(3)
            reasons.append(("info", f"No check-in for {(today - row.last_checkin).days} days"))
    if row.adherence is not None and row.adherence < LOW_ADHERENCE:
        ranks.append(4)
        reasons.append(("info", f"Homework {row.adherence:.0f} % of what was due this week"))
    row.reasons = reasons
    row.rank = min(ranks, default=9)
