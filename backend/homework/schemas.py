from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import BaseModel, Field

from ..api.fields import EntryTime
from ..auth.schemas import Strict
from ..vocab import FEELINGS

if TYPE_CHECKING:
    Feeling: TypeAlias = str
else:  # the values live once, in backend/vocab.py
    Feeling = Literal[tuple(FEELINGS)]


class ExerciseOut(BaseModel):
    id: int
    slug: str
    name: str
    category: str
    summary: str
    instructions: list[str]
    caution: str
    image: str | None


class Dosage(BaseModel):
    sets: int | None
    reps: int | None
    hold_seconds: int | None
    times_per_day: int
    days_per_week: int


class AssignmentOut(BaseModel):
    id: int
    exercise: ExerciseOut
    dosage: Dosage
    start_date: date
    end_date: date | None
    note: str | None
    done_today: int = Field(description="Completions logged today (patient's local date)")
    paused: bool = Field(
        False,
        description="The patient said it made things worse (or pain spread) and the "
        "practitioner has not looked yet: stop this exercise until they have",
    )


class HomeworkList(BaseModel):
    items: list[AssignmentOut]


class CompletionIn(Strict):
    completed_at: EntryTime | None = None
    feeling: Feeling | None = Field(
        None, description="How it felt; 'spreading' = leg pain went further down the leg"
    )
    note: str | None = Field(None, max_length=1000)


class CompletionOut(BaseModel):
    id: int
    assignment_id: int
    completed_at: datetime
    local_date: date
    feeling: str | None
    note: str | None
