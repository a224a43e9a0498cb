"""Closing a patient's app account, and the clinic erasing a closed record after retention.

The clinical record is the clinic's (DOMAIN.md): closing the app account ends the login,
pushes and app settings, and keeps check-ins, alerts, session notes, acupoints and answers.
Erasing them is the clinic owner's act, allowed only after ``Clinic.retention_years``, and
audited (the audit trail has no foreign key: it outlives the patient's row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update

from .. import audit
from ..extensions import db
from ..models import (
    IdempotentRequest,
    Invite,
    OutboxMessage,
    PushSubscription,
    ReminderPreference,
    User,
    utcnow,
)


def close(patient: User) -> None:
    """End the patient's app account; keep the clinic's record. Adds to the session."""
    now = utcnow()
    for model in (PushSubscription, ReminderPreference, OutboxMessage, IdempotentRequest):
        db.session.execute(delete(model).where(model.user_id == patient.id))
    db.session.execute(
        update(Invite)
        .where(Invite.patient_id == patient.id, Invite.used_at.is_(None))
        .values(revoked_at=now)
    )
    patient.active = False
    patient.password_hash = None
    patient.session_version += 1
    patient.closed_at = now
    audit.record("account.close", patient, target=f"user:{patient.id}")


def erasable_from(patient: User) -> datetime | None:
    """When the clinic may erase this closed record (None: the account is not closed)."""
    if patient.closed_at is None:
        return None
    closed = patient.closed_at
    years = patient.clinic.retention_years
    try:
        return closed.replace(year=closed.year + years)
    except ValueError:  # 29 February
        return closed.replace(year=closed.year + years, day=28)


def may_erase(patient: User, now: datetime | None = None) -> bool:
    when = erasable_from(patient)
    return when is not None and when <= (now or utcnow())


def erase(patient: User, owner: User) -> None:
    """Erase a closed patient's whole record (the database cascades). The caller checked
    ``may_erase`` and that ``owner`` is the clinic's owner; adds to the session."""
    audit.record(
        "record.erase",
        patient,
        target=f"user:{patient.id}",
        closed_at=patient.closed_at.isoformat() if patient.closed_at else None,
        retention_years=patient.clinic.retention_years,
        erased_by=owner.id,
    )
    db.session.delete(patient)
