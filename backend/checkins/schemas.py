from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import AwareDatetime, BaseModel, Field, create_model, field_validator

from ..auth.schemas import Strict
from ..vocab import LOCATIONS, SENSATIONS, SIDES
from .red_flags import CHECKIN_FLAGS, LEGACY, QUESTIONS

if TYPE_CHECKING:
    Location: TypeAlias = str
    Side: TypeAlias = str
    Sensation: TypeAlias = str
else:  # the values live once, in backend/vocab.py
    Location = Literal[tuple(LOCATIONS)]
    Side = Literal[tuple(SIDES)]
    Sensation = Literal[tuple(SENSATIONS)]


# Every emergency and same-day question: true (yes), false (no), or null / left out = not
# asked (the patient never saw it). Built from the one vocabulary in red_flags.py.
if TYPE_CHECKING:
    RedFlagAnswers = Strict
else:
    RedFlagAnswers = create_model(
        "RedFlagAnswers",
        __base__=Strict,
        __doc__="Red-flag answers since the last check-in; null or absent = not asked.",
        **{key: (bool | None, Field(None, description=QUESTIONS[key])) for key in CHECKIN_FLAGS},
        # Sent by older versions of the app, perhaps from an offline queue: still accepted, and
        # graded as before, so a red flag queued before an update is never refused.
        **{
            key: (bool | None, Field(None, description=f"Older app versions: {text}"))
            for key, (_grade, text) in LEGACY.items()
        },
    )


class CheckInIn(Strict):
    recorded_at: AwareDatetime | None = Field(
        None,
        description="The phone's time when the entry was made (offline entries arrive later); "
        "default now. A time in the future is clamped to the arrival time; an entry without a "
        "red flag may be at most 60 days old, a red flag is never refused for its time.",
    )
    leg_pain: int | None = Field(None, ge=0, le=10, description="0-10; required without a red flag")
    back_pain: int | None = Field(
        None, ge=0, le=10, description="0-10; required without a red flag"
    )
    locations: list[Location] = Field(default_factory=list, max_length=5)
    side: Side | None = None
    sensations: list[Sensation] = Field(default_factory=list, max_length=6)
    sitting_minutes: int | None = Field(None, ge=0, le=1440)
    note: str | None = Field(None, max_length=2000)
    red_flags: RedFlagAnswers = Field(default_factory=RedFlagAnswers)

    @property
    def flags_yes(self) -> list[str]:
        return [key for key, answer in self.red_flags.model_dump().items() if answer is True]

    @field_validator("locations", "sensations")
    @classmethod
    def no_repeats(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class CheckInOut(BaseModel):
    id: int
    recorded_at: datetime
    local_date: date
    leg_pain: int | None
    back_pain: int | None
    locations: list[str]
    side: str | None
    sensations: list[str]
    sitting_minutes: int | None
    note: str | None
    red_flags: list[str]
    red_flag_answers: dict[str, bool | None]
    has_red_flag: bool
    urgency: str | None = Field(description="emergency, same_day, or null")


class CheckInList(BaseModel):
    items: list[CheckInOut]


class CheckInQuery(Strict):
    since: date | None = None
    limit: int = Field(100, ge=1, le=1000)
