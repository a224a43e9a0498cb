"""Login throttling per account and per IP, counted in the database.

An in-memory limiter counts per worker process; with several gunicorn workers an attacker
gets several times the allowance. Attempts live in a table that every worker reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import LoginAttempt, utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 30


def _failures(column, value) -> tuple[int, datetime]:
    since = utcnow() - WINDOW
    count, oldest = db.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
        )
    ).one()
    return count, oldest


def retry_after(email: str, ip: str) -> int | None:
    """Seconds to wait before another attempt is allowed, or None when allowed now."""
    waits = []
    for column, value, limit in (
        (LoginAttempt.email, email, MAX_FAILURES_PER_ACCOUNT),
        (LoginAttempt.ip, ip, MAX_FAILURES_PER_IP),
    ):
        count, oldest = _failures(column, value)
        if count >= limit:
            waits.append(int((oldest + WINDOW - utcnow()).total_seconds()) + 1)
    return max(waits) if waits else None


def record(email: str, ip: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded))
    if succeeded:  # a successful login clears the account's failures
        db.session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)
            )
        )


def prune() -> None:
    """Forget attempts older than a day (run by the clock)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))
