"""Login throttling, counted in the database so that it holds across workers.

Strangers must not be able to lock the real person out, so guesses are limited where they
come from, not only by whom they aim at:
- per (account, address): a few wrong passwords, then that address waits for that account;
- per address: an address guessing at many accounts waits for all of them;
- per account, from everywhere: a slower limit against guesses spread over many addresses.
  It does not apply on a device the account has logged in from before (a signed cookie set
  at each successful login), nor to an account protected by a second factor, whose login
  still needs a correct code.

An in-memory limiter counts per worker process; with several gunicorn workers an attacker
gets several times the allowance. Attempts live in a table that every worker reads.
"""

from __future__ import annotations

from datetime import timedelta

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, delete, select

from ..extensions import db
from ..models import LoginAttempt, utcnow

PAIR_LIMIT, PAIR_WINDOW = 5, timedelta(minutes=15)
ADDRESS_LIMIT, ADDRESS_WINDOW = 30, timedelta(minutes=15)
ACCOUNT_LIMIT, ACCOUNT_WINDOW = 50, timedelta(hours=1)
# Kept for callers that name the old figures.
MAX_FAILURES_PER_ACCOUNT = PAIR_LIMIT
MAX_FAILURES_PER_IP = ADDRESS_LIMIT

DEVICE_COOKIE = "between_device"
DEVICE_LIFETIME = timedelta(days=365)
DEVICE_ACCOUNTS = 10  # a shared phone remembers this many accounts


def _wait(condition: ColumnElement[bool], limit: int, window: timedelta) -> int | None:
    """Seconds until fewer than ``limit`` failures matching ``condition`` are in the window."""
    since = utcnow() - window
    limit_th = db.session.scalar(
        select(LoginAttempt.at)
        .where(condition, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if limit_th is None:
        return None
    return max(1, int((limit_th + window - utcnow()).total_seconds()) + 1)


def retry_after(email: str, ip: str, account_limit_applies: bool = True) -> int | None:
    """Seconds to wait before another attempt is allowed, or None when allowed now."""
    checks = [
        (
            (LoginAttempt.email == email) & (LoginAttempt.ip == ip),
            PAIR_LIMIT,
            PAIR_WINDOW,
        ),
        (LoginAttempt.ip == ip, ADDRESS_LIMIT, ADDRESS_WINDOW),
    ]
    if account_limit_applies:
        checks.append((LoginAttempt.email == email, ACCOUNT_LIMIT, ACCOUNT_WINDOW))
    waits = [w for w in (_wait(*check) for check in checks) if w]
    return max(waits) if waits else None


def record(email: str, ip: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded))
    if succeeded:  # a successful login clears this address's failures on the account
        db.session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == email,
                LoginAttempt.ip == ip,
                LoginAttempt.succeeded.is_(False),
            )
        )


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="between-known-device")


def device_cookie_name() -> str:
    return cookie_name(DEVICE_COOKIE)


def cookie_name(name: str) -> str:
    """``__Host-`` names under HTTPS: such a cookie is Secure, for this host only, path /."""
    return f"__Host-{name}" if current_app.config.get("SESSION_COOKIE_SECURE") else name


def known_accounts() -> list[int]:
    """Accounts that logged in on this device before (from its signed cookie)."""
    raw = request.cookies.get(device_cookie_name())
    if not raw:
        return []
    try:
        ids = _devices().loads(raw)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_device(user_id: int) -> None:
    """After a successful login: this device is now known for the account."""
    ids = [user_id] + [i for i in known_accounts() if i != user_id]
    value = _devices().dumps(ids[:DEVICE_ACCOUNTS])

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            device_cookie_name(),
            value,
            max_age=int(DEVICE_LIFETIME.total_seconds()),
            path="/",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        return response


def prune() -> None:
    """Forget attempts older than a day (run by the clock)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))
