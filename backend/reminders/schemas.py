"""Request and response shapes for push subscriptions and reminder preferences."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator

from ..auth.schemas import Strict
from ..timeutil import is_timezone

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="local time, HH:MM")]
Weekday = Annotated[int, Field(ge=1, le=7, description="ISO weekday, 1 = Monday")]


class KeyOut(BaseModel):
    public_key: str = Field(description="VAPID public key, base64url: applicationServerKey")


class SubscriptionKeys(Strict):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class SubscriptionIn(Strict):
    """``PushSubscription.toJSON()`` as the browser gives it."""

    endpoint: str = Field(min_length=1, max_length=2048)
    keys: SubscriptionKeys
    expiration_time: int | None = Field(
        None, validation_alias=AliasChoices("expiration_time", "expirationTime")
    )


class SubscriptionOut(BaseModel):
    id: int
    endpoint: str


class UnsubscribeIn(Strict):
    endpoint: str = Field(min_length=1, max_length=2048)


class TestOut(BaseModel):
    devices: int = Field(description="devices the test was sent to")
    sent: int
    removed: int = Field(description="subscriptions the push service said are gone")
    failed: int
    status: str = Field(description="sent, pending (will retry), failed or expired")


class Preferences(Strict):
    """When to remind, in the patient's own time zone. PUT sends the whole object."""

    timezone: str = Field(max_length=64, description="IANA name, e.g. Europe/London")
    days: list[Weekday] = Field(max_length=7)
    checkin_enabled: bool
    checkin_time: HHMM
    homework_enabled: bool
    homework_times: list[HHMM] = Field(max_length=6)
    sitting_breaks_enabled: bool
    sitting_start: HHMM
    sitting_end: HHMM
    sitting_interval_minutes: int = Field(ge=15, le=240)
    appointment_enabled: bool
    quiet_start: HHMM | None = None
    quiet_end: HHMM | None = None

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError("not a known IANA time zone")
        return value

    @field_validator("days", "homework_times")
    @classmethod
    def no_repeats(cls, value: list) -> list:
        return sorted(set(value))

    @model_validator(mode="after")
    def consistent(self) -> Preferences:
        if self.sitting_start >= self.sitting_end:
            raise ValueError("sitting_end must be after sitting_start")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("give both quiet_start and quiet_end, or neither")
        return self
