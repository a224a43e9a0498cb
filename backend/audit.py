"""The audit log: every practitioner read or change of patient data, and every security
event (logins, failed logins, passwords, invites, two-factor changes, exports, views of the
log itself). Entries are never changed or deleted by the app; the database refuses it too
(triggers from the migration).

One call per action, made by the view that reads or changes the data, inside the same
transaction: the change and its audit row are committed together or not at all.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, User


def record(action: str, patient: User | None = None, target: str = "", **details: Any) -> None:
    """Add an audit event by the current user. Adds to the session; the caller commits."""
    record_by(None, action, patient, target, **details)


def record_by(
    actor: User | None,
    action: str,
    patient: User | None = None,
    target: str = "",
    **details: Any,
) -> None:
    """Add an audit event by ``actor`` (None: the current user, if any), e.g. a login,
    before anyone is logged in. Adds to the session; the caller commits."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if patient is None and actor is not None and actor.is_patient:
        patient = actor  # a patient's own event is in their part of the trail
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


# What each action reads as, after the person's name. {patient} is the patient's name;
# other fields come from the event's details.
PHRASES = {
    "login": "logged in",
    "login.failed": "failed to log in (a wrong password or code)",
    "password.change": "changed their password",
    "password.change_failed": "tried to change their password but gave a wrong current one",
    "password.reset_requested": "asked for a link to choose a new password",
    "password.reset": "chose a new password from an emailed link",
    "invite.accept": "accepted their invite and chose a password",
    "two_factor.on": "turned two-factor login on",
    "two_factor.off": "turned two-factor login off",
    "two_factor.reset": "reset {name}'s two-factor login",
    "export": "downloaded {patient}'s data ({format})",
    "audit.read": "viewed the audit log",
    "patients.list": "viewed the patients list",
    "patient.read": "viewed {patient}'s check-ins, homework and sessions",
    "report.read": "viewed {patient}'s report",
    "report.pdf": "downloaded {patient}'s report as a PDF",
    "homework.assign": "assigned {exercise} to {patient}",
    "homework.change": "changed {patient}'s homework",
    "homework.end": "ended an exercise of {patient}'s homework",
    "course.plan": "planned {patient}'s course",
    "appointment.add": "added an appointment for {patient}",
    "appointment.update": "updated a session of {patient}",
    "exercise.add": "added {name} to the clinic's exercise library",
    "patient.invite": "invited {patient}",
    "patient.invite_resend": "made a new invite link for {patient}",
    "patient.invite_revoke": "revoked {patient}'s invite link",
    "patient.activate": "re-activated {patient}'s account",
    "patient.deactivate": "deactivated {patient}'s account",
    "questionnaire.enter": "entered a questionnaire for {patient}",
    "alert.acknowledge": "marked an alert about {patient} as seen",
}


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "…"


def describe(event: AuditEvent, actor_name: str | None, patient_name: str | None) -> str:
    """One event in plain words: "Dr Lee viewed Ana Silva's check-ins, homework and sessions"."""
    who = actor_name or "Someone whose account was removed"
    if event.patient_id and patient_name is None:
        patient_name = f"patient #{event.patient_id}"
    own = event.actor_id is not None and event.actor_id == event.patient_id
    fields = _Fields(
        {k: str(v) for k, v in (event.details or {}).items() if isinstance(v, str | int)}
    )
    fields["patient"] = "their own" if own else (patient_name or "a patient")
    phrase = PHRASES.get(event.action)
    if phrase is None:
        return f"{who}: {event.action}"
    text = phrase.format_map(fields).replace("their own's", "their own")
    return f"{who} {text}"
