"""The sums behind the progress screen, kept free of the database so they are easy to test.

- A day's summary: mean and max of its check-ins (several a day are allowed; trends use
  one number a day), the sitting minutes reported that day, and homework done vs due.
- Baseline: the first 7 days of the course (or of the data when there is no course).
- Meaningful change (Ostelo 2008): 2 points on a 0-10 scale, or 30 % of the baseline with a
  floor of 1 point (so 1.0 -> 0.7 is not a change). Counted in tenths of a point, in whole
  numbers, so a boundary counts exactly (4.0 -> 2.8 is 30 %; floats make it 29.999...).
  The one home of the rule: the progress screen, the panel's patient page, report and
  patients list all ask ``meaningful_change`` / ``meaningful_line``. Sitting time has no
  such threshold.
- Homework due: the dosage in force on each day (``Dose``), so changing a dose never
  rewrites the past; "5 days a week" has no fixed weekdays and is spread evenly.
- Sitting and next-day leg pain: Pearson's r over days with both, once there are 14 pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MEANINGFUL_POINTS = 2.0
MEANINGFUL_FRACTION = 0.30
MEANINGFUL_FLOOR = 1.0
# The same rule in tenths of a point, where it is computed.
_POINTS_10 = 20
_FLOOR_10 = 10
_PERCENT = 30
BASELINE_DAYS = 7
MIN_PAIRED_DAYS = 14


@dataclass
class Entry:
    day: date
    leg: int
    back: int
    sitting: int | None = None


@dataclass(frozen=True)
class Dose:
    """How often an exercise is due, in force from ``start`` until the next dose."""

    start: date
    times_per_day: int
    days_per_week: int


@dataclass
class Due:
    """One assignment: on which days it runs and how often it is due on each.

    ``doses`` is the dosage history, oldest first; the first also covers any day before its
    start. Without a history, ``times_per_day`` / ``days_per_week`` hold for every day.
    """

    id: int
    start: date
    end: date | None
    times_per_day: int = 1
    days_per_week: int = 7
    doses: list[Dose] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Asked for every day of every assignment: sorted once, not on each question.
        self._history = sorted(self.doses, key=lambda d: d.start)
        self._single = Dose(self.start, self.times_per_day, self.days_per_week)

    def dose_on(self, day: date) -> Dose:
        if not self._history:
            return self._single
        found = self._history[0]
        for dose in self._history[1:]:
            if dose.start > day:  # oldest first: the rest start later still
                break
            found = dose
        return found

    def runs_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def due_on(self, day: date) -> float:
        if not self.runs_on(day):
            return 0.0
        dose = self.dose_on(day)
        # "5 days a week" has no fixed weekdays: spread it evenly over the week.
        return dose.times_per_day * dose.days_per_week / 7

    def counted(self, day: date, done: int) -> int:
        """Sessions done that day that count: extra ones do not make up for a missed day."""
        return min(done, self.dose_on(day).times_per_day) if self.runs_on(day) else 0

    def due_between(self, first: date, last: date) -> float:
        return sum(
            self.due_on(first + timedelta(days=n)) for n in range(max(0, (last - first).days + 1))
        )


@dataclass
class Day:
    day: date
    entries: int = 0
    leg_mean: float | None = None
    leg_max: int | None = None
    back_mean: float | None = None
    back_max: int | None = None
    sitting_minutes: int | None = None
    homework_due: float = 0.0
    homework_done: int = 0
    adherence: float | None = None  # percent of what was due, capped at 100

    def as_dict(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "entries": self.entries,
            "leg_mean": rounded(self.leg_mean),
            "leg_max": self.leg_max,
            "back_mean": rounded(self.back_mean),
            "back_max": self.back_max,
            "sitting_minutes": self.sitting_minutes,
            "homework_due": rounded(self.homework_due),
            "homework_done": self.homework_done,
            "adherence": rounded(self.adherence),
        }


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def daily(
    entries: list[Entry], done: dict[tuple[int, date], int], dues: list[Due], start: date, end: date
) -> list[Day]:
    """One summary per calendar day from ``start`` to ``end`` inclusive."""
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        summary = Day(day)
        todays = by_day.get(day, [])
        if todays:
            summary.entries = len(todays)
            summary.leg_mean = _mean([e.leg for e in todays])
            summary.leg_max = max(e.leg for e in todays)
            summary.back_mean = _mean([e.back for e in todays])
            summary.back_max = max(e.back for e in todays)
            # Each entry reports "sitting today so far": the largest is the day's figure.
            sittings = [e.sitting for e in todays if e.sitting is not None]
            summary.sitting_minutes = max(sittings) if sittings else None
        for due in dues:
            amount = due.due_on(day)
            if amount:
                summary.homework_due += amount
                summary.homework_done += due.counted(day, done.get((due.id, day), 0))
        if summary.homework_due:
            summary.adherence = min(100.0, 100 * summary.homework_done / summary.homework_due)
        days.append(summary)
    return days


def weekly_adherence(days: list[Day], start: date) -> list[dict]:
    """Adherence per week of the course (week 1 starts on ``start``)."""
    weeks: dict[int, list[Day]] = {}
    for day in days:
        weeks.setdefault((day.day - start).days // 7, []).append(day)
    out = []
    for index in sorted(weeks):
        due = sum(d.homework_due for d in weeks[index])
        done = sum(d.homework_done for d in weeks[index])
        out.append(
            {
                "week": index + 1,
                "start": weeks[index][0].day.isoformat(),
                "due": rounded(due),
                "done": done,
                "adherence": rounded(min(100.0, 100 * done / due)) if due else None,
            }
        )
    return out


def tenths(value: float) -> int:
    """A 0-10 score (or a mean of them) in whole tenths of a point."""
    return int(Decimal(repr(value)).scaleb(1).quantize(Decimal(1), ROUND_HALF_UP))


def _enough(before_10: int, moved_10: int) -> bool:
    """A move of ``moved_10`` tenths from ``before_10`` is meaningful: 2 points, or 30 % of
    the baseline and at least the 1-point floor."""
    return moved_10 >= _POINTS_10 or (
        moved_10 >= _FLOOR_10 and 100 * moved_10 >= _PERCENT * before_10
    )


def meaningful_change(baseline: float | None, current: float | None) -> str | None:
    """ "better" or "worse" when pain moved meaningfully from the baseline, else None."""
    if baseline is None or current is None:
        return None
    before, after = tenths(baseline), tenths(current)
    if _enough(before, before - after):
        return "better"
    if _enough(before, after - before):
        return "worse"
    return None


def percent_change(baseline: float | None, current: float | None) -> float | None:
    """How much lower than the baseline, in percent, counted in tenths (3.0 -> 2.1 is 30.0)."""
    if baseline is None or current is None or tenths(baseline) == 0:
        return None
    before = tenths(baseline)
    return float(Fraction(100 * (before - tenths(current)), before))


def meaningful_line(baseline: float) -> float:
    """The highest score that counts as a meaningful improvement on this baseline: 2 points
    lower, or 30 % lower with a 1-point floor, whichever is reached first (never below 0)."""
    before = tenths(baseline)
    needed = min(_POINTS_10, max(_FLOOR_10, -(-_PERCENT * before // 100)))
    return max(0, before - needed) / 10


@dataclass
class Change:
    measure: str
    baseline: float | None
    current: float | None
    points: float | None = None  # positive = better (lower)
    percent: float | None = None
    improved: bool = False
    meaningful: bool = False
    target: float | None = None  # the meaningful-change line

    def as_dict(self) -> dict:
        return {
            "measure": self.measure,
            "baseline": rounded(self.baseline),
            "current": rounded(self.current),
            "points": rounded(self.points),
            "percent": rounded(self.percent, 1),
            "improved": self.improved,
            "meaningful": self.meaningful,
            "target": rounded(self.target),
        }


def change(
    measure: str, baseline: float | None, current: float | None, pain_scale: bool = True
) -> Change:
    """Lower is better for every measure here (pain, minutes sitting)."""
    result = Change(measure, baseline, current)
    if baseline is None:
        return result
    if pain_scale:
        result.target = meaningful_line(baseline)
    if current is None:
        return result
    result.points = baseline - current
    result.improved = result.points > 0
    if pain_scale:
        result.percent = percent_change(baseline, current)
        result.meaningful = meaningful_change(baseline, current) == "better"
    else:
        # Sitting time has no meaningful-change threshold: report the change, label nothing.
        result.percent = 100 * result.points / baseline if baseline else None
    return result


def window_mean(days: list[Day], attr: str, start: date, end: date) -> float | None:
    """Mean of the daily values in [start, end], over the days that have one."""
    values = [
        getattr(d, attr) for d in days if start <= d.day <= end and getattr(d, attr) is not None
    ]
    return _mean(values)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


@dataclass
class SittingLink:
    pairs: int
    enough: bool
    r: float | None = None
    slope_per_hour: float | None = None  # extra next-day leg pain per extra hour sitting
    points: list[tuple[int, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "pairs": self.pairs,
            "enough": self.enough,
            "min_pairs": MIN_PAIRED_DAYS,
            "r": rounded(self.r),
            "slope_per_hour": rounded(self.slope_per_hour),
            "points": [[x, rounded(y)] for x, y in self.points],
        }


def sitting_link(days: list[Day]) -> SittingLink:
    """Sitting on day d against the mean leg pain of day d+1."""
    by_day = {d.day: d for d in days}
    points = []
    for d in days:
        following = by_day.get(d.day + timedelta(days=1))
        if d.sitting_minutes is not None and following and following.leg_mean is not None:
            points.append((d.sitting_minutes, following.leg_mean))
    link = SittingLink(len(points), len(points) >= MIN_PAIRED_DAYS)
    if not link.enough:
        return link
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    link.points = points
    link.r = pearson(xs, ys)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx:
        link.slope_per_hour = (
            60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sxx
        )
    return link
