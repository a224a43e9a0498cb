"""The rules of a clinic's set-up and team, used by the web pages and the command line alike.

Every function adds to the session and leaves the one commit to its caller, except where it
says so. Links carry a random token; only its hash is stored (as for patient invites).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache
from typing import cast
from zoneinfo import available_timezones

from flask import current_app
from sqlalchemy import CursorResult, select, update

from ..auth.service import (
    _token_hash,
    create_invite,
    invite_url,
    new_password_hash,
    normalize_email,
    set_password,
)
from ..extensions import db
from ..mail import mail_configured
from ..models import Clinic, Invite, Role, SetupLink, User, utcnow
from . import mail
from .countries import country

SETUP_LIFETIME = timedelta(hours=1)


class LinkInvalid(Exception):
    """A setup link that is unknown, used or expired (one answer for all three)."""


class EmailTaken(Exception):
    """An account with this email exists already (emails are unique across clinics)."""


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


# -- the first run -----------------------------------------------------------------------


def needs_setup() -> bool:
    """True while the database has no clinic at all."""
    return db.session.scalar(select(Clinic.id).limit(1)) is None


def new_setup_link() -> str:
    """A new one-time setup link's token (the caller commits). Earlier ones stay valid until
    they expire or one of them is used."""
    token = secrets.token_urlsafe(32)
    db.session.add(SetupLink(token_hash=_token_hash(token), expires_at=utcnow() + SETUP_LIFETIME))
    return token


def setup_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/setup/{token}"


def open_setup_link(token: str) -> SetupLink:
    link = db.session.scalar(select(SetupLink).filter_by(token_hash=_token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise LinkInvalid()
    return link


def use_setup_link(link: SetupLink, clinic: Clinic) -> None:
    """Use ``link`` up for ``clinic``, and every other open setup link with it.

    The update only succeeds while the link is unused: of two forms sent at once with the
    same link, one wins and the other gets LinkInvalid (and its clinic is rolled back).
    """
    now = utcnow()
    result = db.session.execute(
        update(SetupLink)
        .where(SetupLink.id == link.id, SetupLink.used_at.is_(None))
        .values(used_at=now, clinic_id=clinic.id)
    )
    won = cast(CursorResult, result).rowcount
    if won != 1:
        raise LinkInvalid()
    db.session.execute(update(SetupLink).where(SetupLink.used_at.is_(None)).values(used_at=now))


# -- a clinic and its owner ----------------------------------------------------------------


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == normalize_email(email))) is not None
    )


def create_clinic(
    *,
    name: str,
    country_code: str,
    timezone: str,
    owner_email: str,
    owner_name: str = "",
    owner_password: str | None = None,
) -> User:
    """A new clinic, its settings from its country, and its owner (returned).

    Without a password the owner has none yet and joins by an invite link (the command
    line's way); the setup page passes the password the owner chose.
    """
    email = normalize_email(owner_email)
    if email_taken(email):
        raise EmailTaken(email)
    defaults = country(country_code)
    clinic = Clinic(
        name=name,
        country=defaults.code,
        timezone=timezone,
        emergency_number=defaults.emergency_number,
        same_day_advice=defaults.same_day_advice,
    )
    owner = User(
        clinic=clinic,
        role=Role.PRACTITIONER,
        is_owner=True,
        email=email,
        display_name=owner_name or email.split("@")[0],
        timezone=timezone,
        session_version=1,  # set now: the column default only comes at the flush
    )
    if owner_password is not None:
        set_password(owner, new_password_hash(owner, owner_password))
    db.session.add_all([clinic, owner])
    db.session.flush()
    return owner


# -- the team ------------------------------------------------------------------------------


def team(clinic_id: int) -> list[User]:
    """The clinic's practitioners: owners first, then by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.clinic_id == clinic_id, User.role == Role.PRACTITIONER)
            .order_by(User.is_owner.desc(), User.active.desc(), User.display_name)
        )
    )


def team_member_or_none(clinic_id: int, user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or user.clinic_id != clinic_id or user.role is not Role.PRACTITIONER:
        return None
    return user


def invite_practitioner(inviter: User, name: str, email: str) -> tuple[User, str, bool]:
    """A practitioner account (no password yet) in the inviter's clinic and its link.

    Returns (practitioner, token, emailed): the invite is emailed when mail is set up."""
    email = normalize_email(email)
    if email_taken(email):
        raise EmailTaken(email)
    practitioner = User(
        clinic_id=inviter.clinic_id,
        role=Role.PRACTITIONER,
        email=email,
        display_name=name,
        timezone=inviter.clinic.timezone,
    )
    db.session.add(practitioner)
    db.session.flush()
    token = create_invite(practitioner, inviter)
    return practitioner, token, send_invite(practitioner, inviter, token)


def reinvite_practitioner(inviter: User, practitioner: User) -> tuple[str, bool]:
    """A new link for a practitioner who has not joined yet; the old one stops working."""
    token = create_invite(practitioner, inviter)
    return token, send_invite(practitioner, inviter, token)


def join_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/join/{token}"


def send_invite(user: User, inviter: User | None, token: str) -> bool:
    """Queue the invite email for a practitioner or a patient when mail is set up.

    Returns whether it was queued; without ``MAIL_URL`` the panel shows the link instead."""
    if not mail_configured():
        return False
    url = join_url(token) if user.is_practitioner else invite_url(token)
    mail.queue_invite(user, inviter, url, key=f"invite:{_token_hash(token)[:40]}")
    return True


def set_practitioner_active(practitioner: User, active: bool) -> None:
    """Deactivate (logs them out everywhere, closes their open invite) or reactivate.

    Their records stay, and their patients keep them as lead until someone changes it."""
    if practitioner.active and not active:
        practitioner.active = False
        practitioner.session_version += 1
        now = utcnow()
        for invite in db.session.scalars(
            select(Invite).filter_by(patient_id=practitioner.id, used_at=None, revoked_at=None)
        ):
            invite.revoked_at = now
    elif active:
        practitioner.active = True


def set_lead(patient: User, practitioner: User) -> None:
    patient.practitioner_id = practitioner.id
