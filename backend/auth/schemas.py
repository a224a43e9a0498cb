from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..database import has_nul
from .passwords import MAX_PASSWORD_LENGTH

# A password is used exactly as typed, spaces included (see passwords.py); what a new one
# must be is checked by the one rule there, for the API and the forms alike.
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(min_length=1, max_length=MAX_PASSWORD_LENGTH),
]


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
    password: Password
    remember: bool = False


class InviteAcceptIn(Strict):
    token: str = Field(min_length=10, max_length=200)
    password: Password


class ForgotIn(Strict):
    email: str = Field(min_length=1, max_length=254)


class ForgotOut(BaseModel):
    message: str
    mail_configured: bool


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password


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
