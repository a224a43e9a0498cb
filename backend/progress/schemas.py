"""What the Today, Progress and export answers contain, as the OpenAPI document shows them.

Answers are checked against these on the way out (``extra="forbid"``): a field added to the
code but not here fails the tests instead of going out undocumented.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from ..homework.schemas import AssignmentOut


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- Today -------------------------------------------------------------------------------


class TodayCourse(Out):
    title: str
    planned_sessions: int
    attended: int
    next_session_number: int | None = Field(description='"session 6 of 10": 6; none planned: null')


class NextAppointment(Out):
    starts_at: dt.datetime
    duration_minutes: int


class TodayOut(Out):
    date: dt.date = Field(description="Today in the patient's time zone")
    display_name: str
    course: TodayCourse | None
    next_appointment: NextAppointment | None
    homework: list[AssignmentOut]
    checkins_today: int


# ---- Progress ----------------------------------------------------------------------------


class ProgressCourse(Out):
    title: str
    planned_sessions: int
    attended: int
    start_date: dt.date
    weeks: int


class DaySummary(Out):
    date: dt.date
    entries: int
    leg_mean: float | None
    leg_max: int | None
    back_mean: float | None
    back_max: int | None
    sitting_minutes: int | None
    homework_due: float | None
    homework_done: int
    adherence: float | None = Field(description="Percent of the homework due, at most 100")


class WeekAdherence(Out):
    week: int = Field(description="1 = the course's first week")
    start: dt.date
    due: float | None
    done: int
    adherence: float | None


class Window(Out):
    """The baseline (first week) or the latest week: its dates and mean values."""

    start: dt.date
    end: dt.date
    source: str | None = Field(None, description="baseline only: 'course' or 'data'")
    leg_mean: float | None
    back_mean: float | None
    sitting_minutes: float | None


class ChangeOut(Out):
    measure: str
    baseline: float | None
    current: float | None
    points: float | None
    percent: float | None
    improved: bool
    meaningful: bool
    target: float | None = Field(description="The score that counts as a meaningful change")


class SittingLinkOut(Out):
    pairs: int
    enough: bool
    min_pairs: int
    r: float | None
    slope_per_hour: float | None
    points: list[tuple[int, float | None]] = Field(
        description="[sitting minutes on a day, mean leg pain the day after]"
    )


class ProgressOut(Out):
    start: dt.date
    end: dt.date
    course: ProgressCourse | None
    days: list[DaySummary]
    weeks: list[WeekAdherence]
    adherence: float | None
    baseline: Window | None
    current: Window | None
    changes: list[ChangeOut]
    sitting_link: SittingLinkOut


# ---- Export (a download) -----------------------------------------------------------------


class ExportAccount(Out):
    display_name: str
    email: str
    timezone: str


class ExportCheckIn(Out):
    id: int
    recorded_at: dt.datetime
    local_date: dt.date
    leg_pain: int
    back_pain: int
    locations: list[str]
    side: str | None
    sensations: list[str]
    sitting_minutes: int | None
    note: str | None
    red_flags: list[str]


class ExportCompletion(Out):
    id: int
    completed_at: dt.datetime
    local_date: dt.date
    exercise: str
    feeling: str | None
    note: str | None


class ExportAppointment(Out):
    starts_at: dt.datetime
    status: str
    duration_minutes: int


class ExportResponse(Out):
    questionnaire: str
    timepoint: str
    score: float
    answers: dict[str, int]
    completed_at: dt.datetime


class ExportOut(Out):
    exported_at: dt.datetime
    account: ExportAccount
    checkins: list[ExportCheckIn]
    homework_completions: list[ExportCompletion]
    appointments: list[ExportAppointment]
    questionnaires: list[ExportResponse]
