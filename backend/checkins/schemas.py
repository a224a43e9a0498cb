from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import BaseModel, Field, field_validator

from ..api.fields import EntryTime
from ..auth.schemas import Strict
from ..models import RED_FLAGS
from ..vocab import LOCATIONS, SENSATIONS, SIDES

if TYPE_CHECKING:
    Location: TypeAlias = str
    Side: TypeAlias = str
    Sensation: TypeAlias = str
else:  # the values live once, in backend/vocab.py
    Location = Literal[tuple(LOCATIONS)]
    Side = Literal[tuple(SIDES)]
    Sensation = Literal[tuple(SENSATIONS)]
Pain = Field(ge=0, le=10, description="0 = no pain, 10 = worst imaginable (NRS)")


class RedFlagAnswers(Strict):
    """Every red-flag question, asked directly and answered yes (true) or no (false)."""

    bladder_bowel: bool
    saddle_numbness: bool
    both_legs_or_weakness: bool
    after_trauma: bool
    fever: bool
    cancer_history: bool
    weight_loss: bool


assert tuple(RedFlagAnswers.model_fields) == RED_FLAGS


class CheckInIn(Strict):
    recorded_at: EntryTime | None = Field(
        None, description="When the entry was made (offline entries arrive later); default now"
    )
    leg_pain: int = Pain
    back_pain: int = Pain
    locations: list[Location] = Field(default_factory=list, max_length=5)
    side: Side | None = None
    sensations: list[Sensation] = Field(default_factory=list, max_length=6)
    sitting_minutes: int | None = Field(None, ge=0, le=1440)
    note: str | None = Field(None, max_length=2000)
    red_flags: RedFlagAnswers

    @field_validator("locations", "sensations")
    @classmethod
    def no_repeats(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class CheckInOut(BaseModel):
    id: int
    recorded_at: datetime
    local_date: date
    leg_pain: int
    back_pain: int
    locations: list[str]
    side: str | None
    sensations: list[str]
    sitting_minutes: int | None
    note: str | None
    red_flags: list[str]
    has_red_flag: bool


class CheckInList(BaseModel):
    items: list[CheckInOut]


class CheckInQuery(Strict):
    since: date | None = None
    limit: int = Field(100, ge=1, le=1000)
