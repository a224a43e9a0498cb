"""The one-page progress report as a PDF, drawn with fpdf2 (pure Python, no browser needed).

It says the same as the printable page (both read ``data.Summary``). Text is drawn in
DejaVu Sans when the system has it (Debian/Ubuntu package ``fonts-dejavu-core``), so any
name prints correctly; without it, in the PDF's built-in Helvetica, which can only draw
Latin-1 (other characters become "?").
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from .data import Change, Summary

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


class ReportPDF(FPDF):
    """An A4 page that knows which font it writes in and cleans text for it."""

    def __init__(self):
        super().__init__(format="A4")
        self.family = "Helvetica"
        if all((DEJAVU / name).exists() for name in DEJAVU_STYLES.values()):
            for style, name in DEJAVU_STYLES.items():
                self.add_font("DejaVu", style, str(DEJAVU / name))
            self.family = "DejaVu"

    def use(self, style: str = "", size: float = 10) -> None:
        self.set_font(self.family, style, size)

    def clean(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
        return text.encode("latin-1", "replace").decode("latin-1")


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def change_line(change: Change, unit: str = "") -> str:
    if change.points is None:
        return change.verdict
    direction = "better" if change.points > 0 else "worse" if change.points < 0 else "the same"
    percent = f" ({abs(change.percent):.0f} %)" if change.percent is not None else ""
    return (
        f"{_fmt(change.baseline, unit)} in the first week, {_fmt(change.current, unit)} "
        f"in the last 7 days: {abs(change.points):.1f}{unit}{percent} {direction}"
    )


LEG = (164, 22, 26)
BACK = (31, 95, 139)
TARGET = (43, 122, 61)
GRID = (210, 215, 220)


def _chart(pdf: ReportPDF, s: Summary, height: float = 38.0) -> None:
    """Leg pain (solid) and back pain (thin) a day, 0-10, with the meaningful-change line."""
    points = s.points
    if not any(p.leg is not None for p in points):
        return
    left, top = pdf.l_margin + 8, pdf.get_y() + 2
    width = pdf.w - pdf.r_margin - left

    def x(index: int) -> float:
        return left + width * index / max(1, len(points) - 1)

    def y(value: float) -> float:
        return top + height * (1 - value / 10)

    pdf.use("", 7)
    pdf.set_draw_color(*GRID)
    pdf.set_line_width(0.1)
    for tick in (0, 2, 4, 6, 8, 10):
        pdf.line(left, y(tick), left + width, y(tick))
        pdf.text(left - 5, y(tick) + 1, str(tick))
    step = max(1, len(points) // 6)
    for index in range(0, len(points), step):
        pdf.text(x(index) - 4, top + height + 4, f"{points[index].day:%d %b}")
    target = s.changes["leg"].target
    if target is not None:
        pdf.set_draw_color(*TARGET)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.line(left, y(target), left + width, y(target))
        pdf.set_dash_pattern()
    for attr, colour, line_width in (("back", BACK, 0.3), ("leg", LEG, 0.6)):
        pdf.set_draw_color(*colour)
        pdf.set_line_width(line_width)
        previous = None
        for index, point in enumerate(points):
            value = getattr(point, attr)
            if value is not None and previous is not None:
                pdf.line(x(previous[0]), y(previous[1]), x(index), y(value))
            previous = (index, value) if value is not None else None
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(top + height + 6)
    pdf.use("I", 8)
    pdf.cell(
        0,
        4,
        "Red: leg pain. Blue: back pain. Green dashes: meaningful improvement "
        "(2 points or 30 % below the first week).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def report_pdf(s: Summary, clinic_name: str) -> bytes:
    pdf = ReportPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(pdf.clean(f"Progress report: {s.patient.display_name}"))
    pdf.use("B", 16)
    pdf.cell(
        0, 9, pdf.clean(f"Progress report: {s.patient.display_name}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.use("", 10)
    since = f"since {s.first_day:%d %b %Y}" if s.first_day else "no check-ins yet"
    pdf.cell(
        0,
        6,
        pdf.clean(f"{clinic_name} - {s.today:%d %b %Y} - data {since}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)

    def section(title: str, lines: list[str]) -> None:
        pdf.use("B", 12)
        pdf.cell(0, 7, pdf.clean(title), new_x="LMARGIN", new_y="NEXT")
        pdf.use("", 10)
        for line in lines:
            pdf.multi_cell(0, 5.5, pdf.clean(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    if s.red_flags:
        section(
            "Red flags",
            [
                f"{s.red_flags} red-flag report(s), {s.open_red_flags} not yet "
                "acknowledged. Red flags mean urgent medical care."
            ],
        )
    leg = s.changes["leg"]
    section("Leg pain (0-10, primary measure)", [change_line(leg), leg.verdict])
    _chart(pdf, s)
    section("Back pain (0-10)", [change_line(s.changes["back"])])
    sitting = s.changes["sitting"]
    section("Sitting (minutes a day)", [change_line(sitting, " min")])
    course = s.course
    planned = f" of {course.planned_sessions} planned" if course else ""
    section(
        "Sessions",
        [
            f"{s.attended} attended{planned}, {s.missed} missed"
            + (
                f" ({course.title}, from {course.start_date:%d %b %Y}, {course.weeks} weeks)"
                if course
                else ""
            )
        ],
    )
    section(
        "Homework",
        [
            "Adherence: "
            + (
                f"{s.adherence:.0f} % of what was due"
                if s.adherence is not None
                else "no homework yet"
            )
        ],
    )
    lines = []
    for scores in s.scores:
        q = scores.questionnaire
        base = scores.baseline
        latest = scores.latest
        if base is None:
            continue
        text = (
            f"{q.title}: {base.score:g} of {q.max_score} ({base.timepoint}, "
            f"{base.completed_at:%d %b %Y})"
        )
        if latest is not None:
            text += (
                f" -> {latest.score:g} ({latest.timepoint}, {latest.completed_at:%d %b %Y}); "
                f"change {scores.change:+g} (lower is better)"
            )
        lines.append(text)
    section("Questionnaires", lines or ["None completed yet"])
    pdf.use("I", 8)
    pdf.multi_cell(
        0,
        4.5,
        pdf.clean(
            "Pain scores are the mean of daily means. Meaningful change (Ostelo 2008): 2 points "
            "on a 0-10 scale or 30 % from the first week. Made with Between."
        ),
    )
    return bytes(pdf.output())
