"""Two-factor login for practitioners: TOTP (an authenticator app) and recovery codes.

Enrolment stores a new secret, shows it as a QR code (segno) and as text, and turns the
second factor on once a first code from the app confirms it; ten one-time recovery codes
are shown once and stored hashed. A code works once (the last accepted 30-second step is
kept). A lost phone without recovery codes goes through the clinic's owner, who can reset
a colleague's second factor; the colleague then enrols again at their next login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno
from sqlalchemy import delete, select

from .. import audit
from ..extensions import db
from ..models import RecoveryCode, User, utcnow

ISSUER = "Between"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code from the step before or after is accepted (clock drift)


def is_on(user: User) -> bool:
    return user.two_factor_since is not None and bool(user.totp_secret)


def required(user: User) -> bool:
    """The clinic's owner asks every practitioner to use a second factor."""
    return user.is_practitioner and bool(user.clinic.two_factor_required)


def start(user: User) -> str:
    """A new secret for ``user`` to add to an authenticator app (not on until confirmed)."""
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    """The secret as an inline SVG QR code (no script, no image request)."""
    return segno.make(provisioning_uri(user), error="m").svg_inline(scale=5, border=4)


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _totp_step(user: User, code: str) -> int | None:
    """The 30-second step ``code`` belongs to, if it is a valid, unused TOTP code."""
    code = _normal(code)
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # already used: a code works once
            return step
    return None


def confirm(user: User, code: str) -> list[str] | None:
    """Turn the second factor on with a first code; returns the new recovery codes (shown
    once), or None when the code is wrong."""
    step = _totp_step(user, code)
    if step is None:
        return None
    # The step is not marked used: the first login may follow at once, in the same 30 s.
    user.two_factor_since = utcnow()
    codes = new_recovery_codes(user)
    audit.record_by(user, "two_factor.on")
    return codes


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}"  # 48 bits each, easy to type
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def check(user: User, code: str) -> str | None:
    """Whether ``code`` is a valid second factor for ``user`` now: "app" or "recovery code"
    (used up), else None. Adds to the session; the caller commits."""
    step = _totp_step(user, code)
    if step is not None:
        user.totp_last_step = step
        return "app"
    if len(_normal(code)) != 12:
        return None
    recovery = db.session.scalar(
        select(RecoveryCode).filter_by(user_id=user.id, code_hash=_hash(code), used_at=None)
    )
    if recovery is None:
        return None
    recovery.used_at = utcnow()
    return "recovery code"


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(select(RecoveryCode.id).filter_by(user_id=user.id, used_at=None)).all()
    )


def turn_off(user: User, by: User) -> None:
    """Remove the second factor (by the person themself, or reset by the clinic's owner).
    Their sessions end: whoever holds them must log in again."""
    user.totp_secret = None
    user.two_factor_since = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_version += 1
    if by.id == user.id:
        audit.record_by(user, "two_factor.off")
    else:
        audit.record_by(by, "two_factor.reset", person=user.id, name=user.display_name)
