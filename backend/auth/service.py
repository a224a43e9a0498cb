"""Logging in and out, and inviting patients. Used by the JSON API and the HTML forms alike."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy import select

from ..database import has_nul, reading
from ..extensions import db, login_manager
from ..models import Invite, Role, User, utcnow
from . import throttle
from .passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

INVITE_LIFETIME = timedelta(days=7)
MAX_EMAIL_LENGTH = 254  # as the columns that hold one


class LoginRefused(Exception):
    """Wrong email or password (deliberately the same answer), or throttled."""

    def __init__(self, retry_after: int | None = None):
        super().__init__("throttled" if retry_after else "bad credentials")
        self.retry_after = retry_after


class InviteInvalid(Exception):
    """The link is unknown, used, revoked or expired (one answer for all four)."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def client_ip() -> str:
    # Behind a proxy, ProxyFix (enabled by BETWEEN_PROXIES) has already set remote_addr.
    return request.remote_addr or "unknown"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie's "id:version" must match the account's current session version."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def login(email: str, password: str, remember: bool = False) -> User:
    """Check the password and start a session, or raise LoginRefused. Commits.

    The lookups run in a read-only transaction and the password check (Argon2, about
    100 ms) with none open: only the short write at the end holds SQLite's write lock, so
    a burst of logins never stalls the check-ins of everyone else.
    """
    email, ip = normalize_email(email), client_ip()
    if len(email) > MAX_EMAIL_LENGTH or has_nul(email):
        raise LoginRefused()  # no account has such an address: nothing to look up or count
    db.session.commit()  # whatever began before is over: the reads below begin deferred
    with reading():
        user = db.session.scalar(select(User).filter_by(email=email))
        # Guesses spread over many addresses slow the account down, but not for its owner
        # on a device it logged in from before, nor when a second factor guards it.
        exempt = user is not None and (
            user.id in throttle.known_accounts() or second_factor_on(user)
        )
        wait = throttle.retry_after(email, ip, account_limit_applies=not exempt)
        stored_hash = user.password_hash if user else None
        db.session.commit()
    if wait:
        raise LoginRefused(retry_after=wait)
    ok, new_hash = verify_password(stored_hash, password)
    # The write transaction begins here (IMMEDIATE on SQLite), after the slow part.
    if not ok or user is None or not user.active:
        throttle.record(email, ip, succeeded=False)
        db.session.commit()
        raise LoginRefused()
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    throttle.record(email, ip, succeeded=True)
    db.session.commit()
    throttle.remember_device(user.id)
    session.clear()  # no fixation: a fresh session for the new login
    login_user(user, remember=remember)
    session.permanent = True
    return user


def second_factor_on(user: User) -> bool:
    """Whether logging in to this account also needs a code from an authenticator app."""
    return False


def logout(user: User) -> None:
    """End every session of this user: old cookies, replayed, no longer load the user."""
    user.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hash_password(password)
    user.session_version += 1


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(patient: User, created_by: User) -> str:
    """A new invite link token for ``patient``; older open invites stop working."""
    now = utcnow()
    for old in db.session.scalars(
        select(Invite).filter_by(patient_id=patient.id, used_at=None, revoked_at=None)
    ):
        old.revoked_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invite(
            patient_id=patient.id,
            created_by_id=created_by.id,
            token_hash=_token_hash(token),
            expires_at=now + INVITE_LIFETIME,
        )
    )
    return token


def invite_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/invite/{token}"


def open_invite(token: str) -> Invite:
    invite = db.session.scalar(select(Invite).filter_by(token_hash=_token_hash(token)))
    if (
        invite is None
        or invite.used_at
        or invite.revoked_at
        or invite.expires_at <= utcnow()
        or not invite.patient.active
        or invite.patient.role is not Role.PATIENT
    ):
        raise InviteInvalid()
    return invite


def accept_invite(token: str, password: str) -> User:
    """Set the patient's password, use up the invite and log them in. Commits."""
    invite = open_invite(token)
    set_password(invite.patient, password)
    invite.used_at = utcnow()
    db.session.commit()
    session.clear()
    login_user(invite.patient)
    session.permanent = True
    return invite.patient
