"""The reminder settings a new patient starts with: one home for them.

The shipped defaults are below; a clinic's owner may change them for the clinic's new
patients (``Clinic.reminder_defaults`` holds only what differs, checked against ``SHIPPED``).
A patient's own saved settings always win over both.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from ..models import Clinic, ReminderPreference, User

SHIPPED: dict[str, Any] = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "checkin_enabled": True,
    "checkin_time": "20:00",
    "homework_enabled": True,
    "homework_times": ["09:00"],
    "sitting_breaks_enabled": False,
    "sitting_start": "09:00",
    "sitting_end": "17:00",
    "sitting_interval_minutes": 45,
    "appointment_enabled": True,
    "quiet_start": "22:00",
    "quiet_end": "07:00",
}


def for_clinic(clinic: Clinic | None) -> dict[str, Any]:
    """The defaults a new patient of ``clinic`` starts with."""
    chosen = (clinic.reminder_defaults if clinic is not None else None) or {}
    return {key: chosen.get(key, value) for key, value in SHIPPED.items()}


def new_preferences(user: User) -> ReminderPreference:
    """Unsaved preferences for ``user`` from their clinic's defaults, in their time zone."""
    d = for_clinic(user.clinic)

    def at(text: str | None) -> time | None:
        return time.fromisoformat(text) if text else None

    return ReminderPreference(
        user_id=user.id,
        timezone=user.timezone or "UTC",
        days=list(d["days"]),
        checkin_enabled=d["checkin_enabled"],
        checkin_time=at(d["checkin_time"]),
        homework_enabled=d["homework_enabled"],
        homework_times=list(d["homework_times"]),
        sitting_breaks_enabled=d["sitting_breaks_enabled"],
        sitting_start=at(d["sitting_start"]),
        sitting_end=at(d["sitting_end"]),
        sitting_interval_minutes=d["sitting_interval_minutes"],
        appointment_enabled=d["appointment_enabled"],
        quiet_start=at(d["quiet_start"]),
        quiet_end=at(d["quiet_end"]),
    )
