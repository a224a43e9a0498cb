"""Escalation: a red flag nobody acknowledged within the clinic's hours goes to its owner(s).

Run by the clock every minute (``escalate_due(app)``); ``now`` can be given, for tests.
Each alert escalates once (``Alert.escalated_at``); the mail and push keys make a second
clock harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..models import Alert, AlertKind, Clinic, User, utcnow
from . import notify


def due(now: datetime) -> list[tuple[Alert, int]]:
    """Open red-flag alerts past their clinic's escalation hours, not yet escalated."""
    rows = db.session.execute(
        select(Alert, Clinic.escalation_hours)
        .join(User, User.id == Alert.patient_id)
        .join(Clinic, Clinic.id == User.clinic_id)
        .where(
            Alert.kind == AlertKind.RED_FLAG,
            Alert.acknowledged_at.is_(None),
            Alert.escalated_at.is_(None),
        )
        .order_by(Alert.created_at)
    ).all()
    return [
        (alert, hours) for alert, hours in rows if alert.created_at + timedelta(hours=hours) <= now
    ]


def escalate_due(app: Flask, now: datetime | None = None) -> int:
    """Escalate every alert that is due. Returns how many alerts were escalated."""
    with app.app_context():
        try:
            with writing():
                now = now or utcnow()
                found = due(now)
                for alert, hours in found:
                    notify.escalate(alert, hours)
                    alert.escalated_at = now
                db.session.commit()
            return len(found)
        finally:
            db.session.remove()
