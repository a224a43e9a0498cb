"""Logging in and out, and inviting patients. Used by the JSON API and the HTML forms alike."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from .. import audit
from ..database import has_nul, reading
from ..extensions import db, login_manager
from ..mail import queue_mail
from ..models import Invite, PasswordReset, Role, User, utcnow
from . import throttle, two_factor
from .passwords import hash_password, password_problem, verify_password

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


SESSION_MAX_AGE = timedelta(days=30)  # from the login, however active
PANEL_IDLE = timedelta(hours=12)  # a practitioner's session unused this long ends
SEEN_STEP = 60  # seconds: how often a panel session's last use is written down


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie's "id:version" must match the account's current session version, and
    the session must be younger than 30 days (and, in the panel, used in the last 12 h)."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    now = utcnow().timestamp()
    login_at = session.get("login_at")
    if not isinstance(login_at, int | float):  # from the remember-me cookie, or a new account
        login_at = (user.last_login_at or user.created_at).timestamp()
    seen_at = session.get("seen_at", now)
    if not isinstance(seen_at, int | float):
        seen_at = now
    if now - login_at > SESSION_MAX_AGE.total_seconds() or (
        user.is_practitioner and now - seen_at > PANEL_IDLE.total_seconds()
    ):
        session.clear()
        return None
    # Only the panel ends on idling. Its clock moves by the minute: a changed session is a
    # new signed cookie, which every answer need not carry.
    if user.is_practitioner and (now - seen_at >= SEEN_STEP or "seen_at" not in session):
        session["seen_at"] = int(now)
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
        if user is not None:
            audit.record_by(user, "login.failed")
        db.session.commit()
        raise LoginRefused()
    if new_hash:
        user.password_hash = new_hash
    if second_factor_on(user):
        db.session.commit()
        session.clear()
        session[PENDING_LOGIN] = {
            "uid": user.id,
            "v": user.session_version,
            "at": int(utcnow().timestamp()),
            "remember": remember,
        }
        raise SecondFactorNeeded()
    user.last_login_at = utcnow()
    throttle.record(email, ip, succeeded=True)
    audit.record_by(user, "login")
    db.session.commit()
    throttle.remember_device(user.id)
    _start_session(user, remember)
    return user


def second_factor_on(user: User) -> bool:
    """Whether logging in to this account also needs a code from an authenticator app."""
    return two_factor.is_on(user)


class SecondFactorNeeded(Exception):
    """The password was right; the login finishes with a code (``finish_login``)."""


PENDING_LOGIN = "pending_login"
PENDING_SECONDS = 300  # the code must follow the password within five minutes


def _pending_user() -> tuple[User, bool]:
    """Who gave the right password on this browser a moment ago, and "remember me"."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        raise LoginRefused()
    uid, version, at = pending.get("uid"), pending.get("v"), pending.get("at")
    if not (isinstance(uid, int) and isinstance(version, int) and isinstance(at, int)):
        raise LoginRefused()
    if utcnow().timestamp() - at > PENDING_SECONDS:
        session.pop(PENDING_LOGIN, None)
        raise LoginRefused()
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        raise LoginRefused()
    return user, bool(pending.get("remember"))


def has_pending_login() -> bool:
    try:
        _pending_user()
    except LoginRefused:
        return False
    return True


def finish_login(code: str) -> User:
    """The second step of a login: a code from the app or a recovery code. Wrong codes count
    as failed logins (same limits). Raises LoginRefused. Commits."""
    user, remember = _pending_user()
    email, ip = user.email, client_ip()
    wait = throttle.retry_after(email, ip, account_limit_applies=False)
    if wait:
        raise LoginRefused(retry_after=wait)
    how = two_factor.check(user, code[:100])
    if how is None:
        throttle.record(email, ip, succeeded=False)
        audit.record_by(user, "login.failed", step="second factor")
        db.session.commit()
        raise LoginRefused()
    user.last_login_at = utcnow()
    throttle.record(email, ip, succeeded=True)
    audit.record_by(user, "login", second_factor=how)
    db.session.commit()
    throttle.remember_device(user.id)
    _start_session(user, remember)
    return user


def logout(user: User) -> None:
    """End every session of this user: old cookies, replayed, no longer load the user."""
    user.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()


class PasswordRejected(ValueError):
    """The new password breaks the rule (too short, common, guessable): says why."""


def new_password_hash(user: User, password: str) -> str:
    """The hash of an acceptable new password for ``user``, or PasswordRejected.

    The one rule for every place a password is chosen (invite, reset, change; API and
    forms). Call it with no write transaction open: hashing takes about 100 ms.
    """
    problem = password_problem(password, [user.display_name, user.email])
    if problem:
        raise PasswordRejected(problem)
    return hash_password(password)


def set_password(user: User, password_hash: str) -> None:
    """Store a new password (hashed by ``new_password_hash``): every session ends."""
    user.password_hash = password_hash
    user.session_version += 1


def _start_session(user: User, remember: bool = False) -> None:
    session.clear()  # no fixation: a fresh session for the new login
    # A remember-me cookie would bring a practitioner's session back after its 12 idle hours
    # ended it (a restored session has no last use): only patients' phones remember them.
    login_user(user, remember=remember and not user.is_practitioner)
    session.permanent = True
    session["login_at"] = session["seen_at"] = int(utcnow().timestamp())


def change_password(user: User, current: str, new: str) -> None:
    """Change a logged-in user's password; this session stays, every other one ends.
    Raises LoginRefused for a wrong current password (counted like a failed login)."""
    email, ip = user.email, client_ip()
    db.session.commit()
    with reading():
        wait = throttle.retry_after(email, ip, account_limit_applies=False)
        stored, inputs = user.password_hash, user
        if wait:
            raise LoginRefused(retry_after=wait)
        ok, _ = verify_password(stored, current)
        new_hash = new_password_hash(inputs, new) if ok else None
        db.session.commit()
    if not ok or new_hash is None:
        throttle.record(email, ip, succeeded=False)
        audit.record_by(user, "password.change_failed")
        db.session.commit()
        raise LoginRefused()
    set_password(user, new_hash)
    audit.record_by(user, "password.change")
    db.session.commit()
    _start_session(user)


RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3  # mails per account an hour, whoever asks
RESET_ANSWER_SECONDS = 0.5  # every "forgot password" answer takes this long


def request_reset(email: str) -> None:
    """Email a reset link if ``email`` has an account. The answer, and the time it takes,
    are the same either way: nobody learns from it whether an address has an account."""
    started = time.monotonic()
    email = normalize_email(email)
    user = None
    if len(email) <= MAX_EMAIL_LENGTH and not has_nul(email):
        user = db.session.scalar(select(User).filter_by(email=email))
    if user is not None and user.active and _recent_resets(user) < RESETS_PER_HOUR:
        token, reset = create_reset(user)
        link = f"{current_app.config['PUBLIC_URL']}/reset/{token}"
        queue_mail(
            to=user.email,
            subject="Choose a new password for Between",
            text=(
                f"Hello {user.display_name},\n\n"
                "Someone, hopefully you, asked to choose a new password for Between.\n"
                f"Open this link within an hour to choose one (it works once):\n\n{link}\n\n"
                "If it wasn't you, ignore this email: your password stays as it is.\n"
            ),
            kind="password_reset",
            key=f"password_reset:{reset.id}",
            clinic_id=user.clinic_id,
        )
        audit.record_by(user, "password.reset_requested")
    db.session.commit()
    # The same time with or without an account (a mail queued, or nothing): pad to a floor.
    left = RESET_ANSWER_SECONDS - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def create_reset(user: User) -> tuple[str, PasswordReset]:
    """A new reset link's token for ``user`` (valid for an hour, once)."""
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id, token_hash=_token_hash(token), expires_at=utcnow() + RESET_LIFETIME
    )
    db.session.add(reset)
    db.session.flush()
    return token, reset


def _recent_resets(user: User) -> int:
    since = utcnow() - timedelta(hours=1)
    count = db.session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.created_at >= since)
    )
    return count or 0


class ResetInvalid(Exception):
    """The reset link is unknown, used, or more than an hour old."""


def open_reset(token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).filter_by(token_hash=_token_hash(token)))
    if reset is None or reset.used_at or reset.expires_at <= utcnow() or not reset.user.active:
        raise ResetInvalid()
    return reset


def reset_password(token: str, password: str) -> User:
    """Use a reset link: the new password, every other session ended, and logged in."""
    db.session.commit()
    with reading():
        reset = open_reset(token)
        new_hash = new_password_hash(reset.user, password)
        db.session.commit()
    reset = open_reset(token)  # again, inside the write: a link works once
    user = reset.user
    set_password(user, new_hash)
    reset.used_at = utcnow()
    for other in db.session.scalars(select(PasswordReset).filter_by(user_id=user.id, used_at=None)):
        other.used_at = reset.used_at
    audit.record_by(user, "password.reset")
    db.session.commit()
    if second_factor_on(user):
        session.clear()  # the link replaces the password, not the second factor: log in
    else:
        _start_session(user)
    return user


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


def open_invite(token: str, role: Role = Role.PATIENT) -> Invite:
    """The open invite of an account of ``role`` (patients' and practitioners' links are
    opened on different pages), or InviteInvalid."""
    invite = db.session.scalar(select(Invite).filter_by(token_hash=_token_hash(token)))
    if (
        invite is None
        or invite.used_at
        or invite.revoked_at
        or invite.expires_at <= utcnow()
        or not invite.patient.active
        or invite.patient.role is not role
    ):
        raise InviteInvalid()
    return invite


def accept_invite(token: str, password: str, role: Role = Role.PATIENT) -> User:
    """Set the account's password, use up the invite and log them in. Commits."""
    db.session.commit()
    with reading():
        new_hash = new_password_hash(open_invite(token, role).patient, password)
        db.session.commit()
    invite = open_invite(token, role)  # again, inside the write: an invite works once
    set_password(invite.patient, new_hash)
    invite.used_at = utcnow()
    audit.record_by(invite.patient, "invite.accept", invite.patient)
    db.session.commit()
    _start_session(invite.patient)
    return invite.patient
