"""Clinics, people and the ways they get in: accounts, invites, login attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clinic.countries import DEFAULT_COUNTRY, country
from ..extensions import Model
from ._types import UTCDateTime, utcnow

_HOME = country(DEFAULT_COUNTRY)


class Role(str, enum.Enum):
    PRACTITIONER = "practitioner"
    PATIENT = "patient"


class Clinic(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # ISO 3166 country: it picks the emergency and same-day numbers the patient app shows.
    country: Mapped[str] = mapped_column(String(2), default=DEFAULT_COUNTRY)
    # What the patient app tells a patient to do; defaults come from the country
    # (backend/clinic/countries.py).
    emergency_number: Mapped[str] = mapped_column(String(20), default=_HOME.emergency_number)
    same_day_advice: Mapped[str] = mapped_column(String(300), default=_HOME.same_day_advice)
    # Red flags nobody acknowledged within this many hours go to the clinic's owner.
    escalation_hours: Mapped[int] = mapped_column(default=4)
    # How long the clinic keeps a closed patient's record before the owner may erase it.
    retention_years: Mapped[int] = mapped_column(default=8)
    # Practitioners must use a second factor (TOTP) to log in.
    two_factor_required: Mapped[bool] = mapped_column(default=False)
    # The reminder settings a new patient starts with, where the clinic changed the shipped
    # ones (backend/reminders/defaults.py); None: the shipped ones.
    reminder_defaults: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="clinic", foreign_keys="User.clinic_id")


class User(UserMixin, Model):
    """A practitioner (belongs to a clinic) or a patient (belongs to a practitioner).

    A patient's ``clinic_id`` is their practitioner's clinic, kept on the row so that
    every "is this in my clinic?" check is one comparison.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    # A practitioner who runs the clinic: invites the team and edits the clinic's settings.
    is_owner: Mapped[bool] = mapped_column(default=False)
    # Bumped on logout and password change: every cookie minted before stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient closed their app account: no login, no pushes; the clinic keeps the record
    # until its retention period has passed and the owner erases it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient has seen, once, that the app supports care and does not replace it.
    disclaimer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (practitioners): the TOTP secret, set when enrolment starts; the
    # second factor is on once a first code confirmed it (two_factor_since).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: a code works once.
    totp_last_step: Mapped[int | None]

    clinic: Mapped[Clinic] = relationship(back_populates="users", foreign_keys=[clinic_id])
    practitioner: Mapped[User | None] = relationship(
        remote_side=[id], foreign_keys=[practitioner_id]
    )

    # Flask-Login: the id in the cookie carries the session version.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT

    @property
    def is_practitioner(self) -> bool:
        return self.role is Role.PRACTITIONER

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class Invite(Model):
    """A one-time, expiring link where an invited patient sets their own password.

    Only a hash of the token is stored: a copy of the database cannot be used to take over
    an account that has not been claimed yet.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])


class SetupLink(Model):
    """A one-time link, printed by ``between serve`` on an empty database, where the first
    clinic's owner sets the clinic up. Valid once, for an hour; only a hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="SET NULL"))


class LoginAttempt(Model):
    """Every login attempt, kept in the database so that throttling holds across workers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )


class PasswordReset(Model):
    """A one-time link, valid for an hour, to choose a new password. Only a hash of the
    token is stored, as for invites."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(Model):
    """One of ten one-time codes that stand in for the authenticator app (hashed)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
