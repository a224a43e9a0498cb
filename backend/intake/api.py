"""Intake and safety information for the patient app.

``GET /api/safety``: the red-flag questions (one vocabulary, from the server), the clinic's
emergency number and same-day advice, and the disclaimer; the app keeps a copy for offline.
``GET / POST /api/intake``: the intake form (data) and the patient's answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user
from pydantic import BaseModel, Field

from ..api import ApiError, route
from ..auth.schemas import Strict
from ..checkins.red_flags import vocabulary
from ..models import Role, utcnow
from . import service
from .form import INTAKE_FORM

bp = Blueprint("intake", __name__, url_prefix="/api")

DISCLAIMER = (
    "Between helps you and your practitioner between sessions. It supports your care; it "
    "does not replace it. It cannot diagnose, and nobody watches it around the clock: if "
    "you feel unwell, use “When to get help”."
)


class SafetyOut(BaseModel):
    questions: dict[str, list[dict[str, str]]] = Field(
        description="emergency / same_day (asked at every check-in) and history (at intake)"
    )
    clinic: dict[str, str]
    disclaimer: str
    disclaimer_seen: bool


class IntakeIn(Strict):
    answers: dict[str, Any] = Field(description="key -> answer, as the form's items say")


class IntakeOut(BaseModel):
    form: dict[str, Any]
    answers: dict[str, Any] | None
    submitted_at: str | None
    reviewed: bool


@route(bp, "/safety", response=SafetyOut, role=Role.PATIENT)
def safety():
    """Red-flag questions, the clinic's numbers and words, and the disclaimer."""
    clinic = current_user.clinic
    return SafetyOut(
        questions=vocabulary(),
        clinic={
            "name": clinic.name,
            "country": clinic.country,
            "emergency_number": clinic.emergency_number,
            "same_day_advice": clinic.same_day_advice,
        },
        disclaimer=DISCLAIMER,
        disclaimer_seen=current_user.disclaimer_seen_at is not None,
    )


@route(bp, "/safety/disclaimer", methods=["POST"], role=Role.PATIENT)
def disclaimer_seen():
    """The patient has read the disclaimer: it is not shown again."""
    if current_user.disclaimer_seen_at is None:
        current_user.disclaimer_seen_at = utcnow()


def _intake_out() -> IntakeOut:
    intake = service.of(current_user)
    return IntakeOut(
        form=INTAKE_FORM,
        answers=intake.answers if intake else None,
        submitted_at=intake.submitted_at.isoformat() if intake else None,
        reviewed=bool(intake and intake.reviewed_at),
    )


@route(bp, "/intake", response=IntakeOut, role=Role.PATIENT)
def get_intake():
    """The intake form and my answers so far (null before the first time)."""
    return _intake_out()


@route(
    bp,
    "/intake",
    methods=["POST"],
    body=IntakeIn,
    response=IntakeOut,
    status=201,
    role=Role.PATIENT,
    idempotent=True,
)
def answer_intake(body: IntakeIn):
    """Fill in or change my intake. History answers go to the practitioner to review."""
    try:
        service.save(current_user, body.answers)
    except service.InvalidIntake as invalid:
        raise ApiError(
            422,
            "invalid",
            "Some answers need another look.",
            {f"answers.{key}": message for key, message in invalid.fields.items()},
        ) from invalid
    return _intake_out()
