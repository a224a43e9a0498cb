"""The audit log: every practitioner read or change of patient data (filled in by the panel work)."""
from __future__ import annotations

from .models import User


def record(action: str, patient: User | None = None, target: str = "", **details) -> None:
    """Add an audit event for the current user. Adds to the session; the caller commits."""
