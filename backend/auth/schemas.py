from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..database import has_nul
from .passwords import MIN_PASSWORD_LENGTH


class Strict(BaseModel):
    """Unknown fields are an error: a typo must not be silently dropped. No text may hold
    a NUL character (the database cannot store one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def no_nul(cls, value):
        if has_nul(value):
            raise ValueError("must not contain a NUL character")
        return value


class LoginIn(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    remember: bool = False


class InviteAcceptIn(Strict):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class ClinicOut(BaseModel):
    id: int
    name: str


class MeOut(BaseModel):
    id: int
    role: str
    display_name: str
    email: str
    timezone: str
    clinic: ClinicOut
