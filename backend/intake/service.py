"""Checking intake answers and saving them: one review item per change, never an alert storm.

History red flags answered yes are for the practitioner to review before treatment: they
open one "intake to review" item on the panel (not a red-flag alert), never an emergency
screen, and never again at each check-in.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Alert, AlertKind, Intake, User, utcnow
from .form import HISTORY_PREFIX, ITEMS

EARLIEST_BIRTH = date(1900, 1, 1)


class InvalidIntake(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid intake")
        self.fields = fields


def check(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers cleaned, or InvalidIntake naming every field to fix."""
    fields: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in answers:
        if key not in ITEMS:
            fields[key] = "is not a question of the intake"
    for key, item in ITEMS.items():
        value = answers.get(key)
        kind = item["kind"]
        if kind == "yesno":
            if not isinstance(value, bool):
                fields[key] = "answer yes or no"
            else:
                clean[key] = value
        elif kind == "consent":
            if value is not True:
                fields[key] = "is needed to go on"
            else:
                clean[key] = True
        elif kind == "date":
            try:
                born = date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                born = None
            if born is None:
                fields[key] = "is required (YYYY-MM-DD)"
            elif not EARLIEST_BIRTH <= born <= date.today():
                fields[key] = "is not a possible date of birth"
            else:
                clean[key] = born.isoformat()
        elif kind == "choice":
            options = [option[0] for option in item["options"]]
            if value in (None, ""):
                if item.get("required"):
                    fields[key] = "is required"
            elif value not in options:
                fields[key] = f"must be one of {', '.join(options)}"
            else:
                clean[key] = value
        else:  # text
            text = value.strip() if isinstance(value, str) else ""
            if value is not None and not isinstance(value, str):
                fields[key] = "must be text"
            elif item.get("required") and not text:
                fields[key] = "is required"
            elif len(text) > item["max_length"]:
                fields[key] = f"must be at most {item['max_length']} characters"
            elif "\x00" in text:
                fields[key] = "must not contain a NUL character"
            elif text:
                clean[key] = text
    if fields:
        raise InvalidIntake(fields)
    return clean


def raises(answers: dict[str, Any]) -> list[str]:
    """What the answers raise for the practitioner, in the form's order (short labels)."""
    return [
        item["raises"] for key, item in ITEMS.items() if item.get("raises") and answers.get(key)
    ]


def history_flags(answers: dict[str, Any]) -> list[str]:
    return [
        key[len(HISTORY_PREFIX) :]
        for key, item in ITEMS.items()
        if item.get("history") and answers.get(key)
    ]


def of(patient: User) -> Intake | None:
    return db.session.scalar(select(Intake).where(Intake.patient_id == patient.id))


def save(patient: User, answers: dict[str, Any], entered_by: User | None = None) -> Intake:
    """Store the patient's intake (new or changed). A change needs a new review: one open
    review item per patient at most. Adds to the session; the caller commits."""
    clean = check(answers)
    intake = of(patient)
    if intake is None:
        intake = Intake(patient_id=patient.id, answers=clean)
        db.session.add(intake)
    elif intake.answers == clean:
        return intake  # sent again unchanged (e.g. an offline replay): nothing to review
    intake.answers = clean
    intake.entered_by_id = entered_by.id if entered_by is not None else None
    intake.submitted_at = utcnow()
    intake.reviewed_at = None
    intake.reviewed_by_id = None
    open_review = db.session.scalar(
        select(Alert).where(
            Alert.patient_id == patient.id,
            Alert.kind == AlertKind.INTAKE_REVIEW,
            Alert.acknowledged_at.is_(None),
        )
    )
    details = {"raises": raises(clean), "history_flags": history_flags(clean)}
    if open_review is None:
        db.session.add(Alert(patient_id=patient.id, kind=AlertKind.INTAKE_REVIEW, details=details))
    else:
        open_review.details = details
    db.session.flush()
    return intake


def mark_reviewed(intake: Intake, reviewer: User) -> None:
    """The practitioner has read it: the intake and its open review item are closed."""
    now = utcnow()
    intake.reviewed_at = now
    intake.reviewed_by_id = reviewer.id
    for alert in db.session.scalars(
        select(Alert).where(
            Alert.patient_id == intake.patient_id,
            Alert.kind == AlertKind.INTAKE_REVIEW,
            Alert.acknowledged_at.is_(None),
        )
    ):
        alert.acknowledged_at = now
        alert.acknowledged_by_id = reviewer.id
        alert.action = "reviewed"
