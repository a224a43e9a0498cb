"""The audit log: every practitioner read or change of patient data.

One call per action, made by the view that reads or changes the data, inside the same
transaction: the change and its audit row are committed together or not at all.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, User


def record(
    action: str,
    patient: User | None = None,
    target: str = "",
    actor: User | None = None,
    **details,
) -> None:
    """Add an audit event by ``actor`` (else the current user). Adds to the session; the
    caller commits."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    clinic_id = actor.clinic_id if actor is not None else (patient.clinic_id if patient else None)
    db.session.add(
        AuditEvent(
            clinic_id=clinic_id,
            actor_id=actor.id if actor is not None else None,
            patient_id=patient.id if patient is not None else None,
            action=action,
            target=target[:120],
            details=details,
            ip=(request.remote_addr or None) if has_request_context() else None,
        )
    )
