"""Red flags as the report says them: which were reported, when, and what was done."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..checkins.red_flags import LABELS
from ..extensions import db
from ..models import Alert, AlertKind, User

GRADE_WORDS = {"emergency": "Emergency", "same_day": "See a doctor today"}


def red_flag_lines(patient: User) -> list[str]:
    """One plain line per red flag, newest first, in the clinic's time zone."""
    tz = ZoneInfo(patient.clinic.timezone or "UTC")
    lines = []
    for alert in db.session.scalars(
        select(Alert)
        .where(Alert.patient_id == patient.id, Alert.kind == AlertKind.RED_FLAG)
        .order_by(Alert.created_at.desc())
    ):
        flags = ", ".join(LABELS.get(f, f) for f in alert.details.get("red_flags") or [])
        when = alert.created_at.astimezone(tz).strftime("%d %b %Y %H:%M")
        grade = GRADE_WORDS.get(alert.urgency or "", "Red flag")
        line = f"{when} · {grade}: {flags or 'red flag'}."
        if alert.acknowledged_at is None:
            line += " Not yet acknowledged."
        else:
            who = alert.acknowledged_by.display_name if alert.acknowledged_by else "someone"
            done = alert.action_label or "acknowledged"
            line += (
                f" {who}, {alert.acknowledged_at.astimezone(tz).strftime('%d %b %H:%M')}: {done}"
            )
            line += f" ({alert.action_note})." if alert.action_note else "."
        lines.append(line)
    return lines
