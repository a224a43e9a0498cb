"""The outbox of notifications (filled in by the reminders work).

Callers add rows in their own transaction and commit once; a sender delivers them later.
"""
from __future__ import annotations

from ..models import User


def notify_new_homework(patient: User) -> None:
    """Queue a "you have new homework" push for ``patient``. Adds to the session; no commit."""
