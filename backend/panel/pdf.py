"""The one-page progress report as a PDF, drawn with fpdf2 (pure Python, no browser needed).

It says the same as the printable page (both read ``data.Summary``), in the built-in
Helvetica font, so only Latin-1 text can be drawn: other characters become "?".
"""
from __future__ import annotations

from fpdf import FPDF

from .data import Change, Summary


def _latin1(text: str) -> str:
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    return text.encode("latin-1", "replace").decode("latin-1")


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def change_line(change: Change, unit: str = "") -> str:
    if change.points is None:
        return change.verdict
    direction = "better" if change.points > 0 else "worse" if change.points < 0 else "the same"
    percent = f" ({abs(change.percent):.0f} %)" if change.percent is not None else ""
    return (f"{_fmt(change.baseline, unit)} in the first week, {_fmt(change.current, unit)} "
            f"in the last 7 days: {abs(change.points):.1f}{unit}{percent} {direction}")


def report_pdf(s: Summary, clinic_name: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(_latin1(f"Progress report: {s.patient.display_name}"))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin1(f"Progress report: {s.patient.display_name}"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    since = f"since {s.first_day:%d %b %Y}" if s.first_day else "no check-ins yet"
    pdf.cell(0, 6, _latin1(f"{clinic_name} - {s.today:%d %b %Y} - data {since}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    def section(title: str, lines: list[str]) -> None:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in lines:
            pdf.multi_cell(0, 5.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    if s.red_flags:
        section("Red flags", [f"{s.red_flags} red-flag report(s), {s.open_red_flags} not yet "
                              "acknowledged. Red flags mean urgent medical care."])
    leg = s.changes["leg"]
    section("Leg pain (0-10, primary measure)", [change_line(leg), leg.verdict])
    section("Back pain (0-10)", [change_line(s.changes["back"])])
    sitting = s.changes["sitting"]
    section("Sitting (minutes a day)", [change_line(sitting, " min")])
    course = s.course
    planned = f" of {course.planned_sessions} planned" if course else ""
    section("Sessions", [f"{s.attended} attended{planned}, {s.missed} missed"
                         + (f" ({course.title}, from {course.start_date:%d %b %Y}, "
                            f"{course.weeks} weeks)" if course else "")])
    section("Homework", ["Adherence: " + (f"{s.adherence:.0f} % of what was due"
                                          if s.adherence is not None else "no homework yet")])
    lines = []
    for scores in s.scores:
        q = scores.questionnaire
        base = scores.baseline
        latest = scores.latest
        text = f"{q.title}: {base.score:g} of {q.max_score} ({base.timepoint}, " \
               f"{base.completed_at:%d %b %Y})"
        if latest is not None:
            text += f" -> {latest.score:g} ({latest.timepoint}, {latest.completed_at:%d %b %Y}); " \
                    f"change {scores.change:+g} (lower is better)"
        lines.append(text)
    section("Questionnaires", lines or ["None completed yet"])
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4.5, _latin1(
        "Pain scores are the mean of daily means. Meaningful change (Ostelo 2008): 2 points "
        "on a 0-10 scale or 30 % from the first week. Made with Between."))
    return bytes(pdf.output())
