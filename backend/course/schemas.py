"""Questionnaire schemas for the patient app."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..api.fields import EntryTime
from ..auth.schemas import Strict


class QuestionnaireItem(BaseModel):
    key: str
    text: str
    min: int
    max: int
    labels: dict[str, str] = {}


class QuestionnaireOut(BaseModel):
    slug: str
    title: str
    instructions: str
    items: list[QuestionnaireItem]
    max_score: int
    higher_is_worse: bool
    due: str | None = Field(description="The course time point (start, mid, end) now due, or null")
    schedule: list[dict] = Field(description="[{timepoint, date, done}] from the course dates")


class QuestionnaireList(BaseModel):
    items: list[QuestionnaireOut]


class ResponseIn(Strict):
    answers: dict[str, int]
    timepoint: Literal["start", "mid", "end", "other"] | None = Field(
        None, description="Omit to use the course time point now due (else 'other')"
    )
    completed_at: EntryTime | None = None


class ResponseOut(BaseModel):
    id: int
    questionnaire: str
    timepoint: str
    score: float
    max_score: int
    completed_at: datetime
