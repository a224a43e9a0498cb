from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .passwords import MIN_PASSWORD_LENGTH


class Strict(BaseModel):
    """Unknown fields are an error: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
