"""Charts drawn on the server as inline SVG: no JavaScript, nothing to load, and they print.

Colours and line styles come from classes in panel.css (the CSP allows no inline styles);
every chart has a <title> and a text summary next to it for screen readers.
"""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

from .data import DayPoint

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 24


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _frame(days: list[date], top: float, ticks: list[float], unit: str) -> list[str]:
    parts = []
    for tick in ticks:
        y = _y(tick, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick:g}{unit}</text>'
        )
    step = max(1, len(days) // 8)
    for index in range(0, len(days), step):
        parts.append(
            f'<text class="axis" x="{_x(index, len(days)):.1f}" y="{HEIGHT - 6}" '
            f'text-anchor="middle">{days[index]:%d %b}</text>'
        )
    return parts


def _line(values: list[float | None], top: float, css: str) -> list[str]:
    """A polyline per run of days with data; a lone day is a dot."""
    parts, run = [], []
    for index, value in enumerate(values + [None]):
        if value is not None:
            run.append((_x(index, len(values)), _y(value, top)))
            continue
        if len(run) == 1:
            parts.append(
                f'<circle class="{css}" cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="2.5"/>'
            )
        elif run:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline class="{css}" points="{coords}"/>')
        run = []
    return parts


def _svg(label: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(parts) + "</svg>"
    )


def pain_chart(points: list[DayPoint], target: float | None = None) -> Markup:
    """Leg and back pain (0-10), one point a day; a dashed line marks the meaningful-change
    target when there is a baseline."""
    days = [p.day for p in points]
    parts = _frame(days, 10, [0, 2, 4, 6, 8, 10], "")
    if target is not None:
        y = _y(target, 10)
        parts.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
    parts += _line([p.back for p in points], 10, "back")
    parts += _line([p.leg for p in points], 10, "leg")
    return _svg("Leg pain and back pain, 0 to 10, one point per day", parts)


def sitting_chart(points: list[DayPoint]) -> Markup:
    """Hours sitting each day, as bars."""
    days = [p.day for p in points]
    top = max(8.0, max((p.sitting or 0) / 60 for p in points) if points else 8.0)
    top = float(int(top + 1.999) // 2 * 2)
    parts = _frame(days, top, [t for t in range(0, int(top) + 1, 2)], "h")
    width = max(2.0, (WIDTH - LEFT - RIGHT) / max(1, len(points)) * 0.7)
    for index, point in enumerate(points):
        if point.sitting is None:
            continue
        x, y = _x(index, len(points)), _y(point.sitting / 60, top)
        parts.append(
            f'<rect class="sitting" x="{x - width / 2:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{_y(0, top) - y:.1f}"/>'
        )
    return _svg("Hours sitting per day", parts)
