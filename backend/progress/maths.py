"""The sums behind the progress screen, kept free of the database so they are easy to test.

- A day's summary: mean and max of its check-ins (several a day are allowed; trends use
  one number a day), the sitting minutes reported that day, and homework done vs due.
- Baseline: the first 7 days of the course (or of the data when there is no course).
- Meaningful change (Ostelo 2008): 2 points on a 0-10 scale or 30 % of the baseline,
  whichever is reached first, so the line sits at max(baseline - 2, baseline x 0.7).
- Sitting and next-day leg pain: Pearson's r over days with both, once there are 14 pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

MEANINGFUL_POINTS = 2.0
MEANINGFUL_FRACTION = 0.30
BASELINE_DAYS = 7
MIN_PAIRED_DAYS = 14


@dataclass
class Entry:
    day: date
    leg: int
    back: int
    sitting: int | None = None


@dataclass
class Due:
    """One assignment: on which days it runs and how often it is due."""

    id: int
    start: date
    end: date | None
    times_per_day: int
    days_per_week: int

    def due_on(self, day: date) -> float:
        if day < self.start or (self.end is not None and day > self.end):
            return 0.0
        # "5 days a week" has no fixed weekdays: spread it evenly over the week.
        return self.times_per_day * self.days_per_week / 7


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
                # Extra sessions on one day do not make up for a missed one.
                summary.homework_done += min(done.get((due.id, day), 0), due.times_per_day)
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


def meaningful_line(baseline: float) -> float:
    """The score that counts as a meaningful improvement: 2 points or 30 %, whichever first."""
    return max(0.0, baseline - MEANINGFUL_POINTS, baseline * (1 - MEANINGFUL_FRACTION))


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
    result.percent = 100 * result.points / baseline if baseline else None
    result.improved = result.points > 0
    if pain_scale:
        result.meaningful = result.points >= MEANINGFUL_POINTS or (
            result.percent is not None and result.percent >= 100 * MEANINGFUL_FRACTION
        )
    else:
        result.meaningful = (
            result.percent is not None and result.percent >= 100 * MEANINGFUL_FRACTION
        )
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
