"""Messages about alerts: what they say (nothing clinical) and who gets them.

Everything is queued in the caller's transaction (mail queue and push outbox), so an alert
and its messages are committed together or not at all; the clock process sends them.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..mail import queue_mail
from ..models import Alert, AlertKind, Role, User, utcnow
from ..reminders.outbox import insert_if_absent, outbox_row

SUBJECT = "Between: a patient needs your attention"
TEXT = (
    "A patient reported a symptom that needs your attention.\n\n"
    "Open the panel to see who and what: {url}\n\n"
    "This message holds no health details on purpose."
)
ESCALATION_SUBJECT = "Between: an alert has not been acknowledged"
ESCALATION_TEXT = (
    "A patient reported a symptom that needs attention, and nobody at the clinic has "
    "acknowledged it for {hours} hours.\n\nOpen the panel: {url}\n\n"
    "This message holds no health details on purpose."
)
# Kinds that reach a person at once (an intake review waits for the patient page).
TELLS_A_PERSON = {AlertKind.RED_FLAG, AlertKind.WORSE_AFTER_EXERCISE}


def _panel_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/panel/"


def _push(user: User, key: str, now: datetime) -> None:
    """Queue a push to the practitioner's browsers (sent only if they subscribed)."""
    insert_if_absent([outbox_row(user.id, "clinic_alert", key, now)])


def lead_practitioners(patient: User) -> list[User]:
    """Who hears first: the patient's lead practitioner; with none (or inactive), the owners."""
    lead = patient.practitioner
    if lead is not None and lead.active:
        return [lead]
    return owners(patient.clinic_id)


def owners(clinic_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.clinic_id == clinic_id,
                User.role == Role.PRACTITIONER,
                User.is_owner.is_(True),
                User.active.is_(True),
            )
        )
    )


def new_alert(alert: Alert, patient: User) -> None:
    """A new red flag or "worse after exercise": email and push the lead practitioner."""
    if alert.kind not in TELLS_A_PERSON:
        return
    now = utcnow()
    for person in lead_practitioners(patient):
        queue_mail(
            to=person.email,
            subject=SUBJECT,
            text=TEXT.format(url=_panel_url()),
            kind=alert.kind.value,
            key=f"alert:{alert.id}:to:{person.id}",
            clinic_id=patient.clinic_id,
        )
        _push(person, f"alert:{alert.id}:to:{person.id}", now)


def escalate(alert: Alert, hours: int) -> int:
    """Tell the clinic's owner(s) about an alert nobody acknowledged. Returns how many."""
    now = utcnow()
    told = 0
    for person in owners(alert.patient.clinic_id):
        queue_mail(
            to=person.email,
            subject=ESCALATION_SUBJECT,
            text=ESCALATION_TEXT.format(url=_panel_url(), hours=hours),
            kind="escalation",
            key=f"alert:{alert.id}:escalate:{person.id}",
            clinic_id=alert.patient.clinic_id,
        )
        _push(person, f"alert:{alert.id}:escalate:{person.id}", now)
        told += 1
    alert.escalated_at = now
    return told
