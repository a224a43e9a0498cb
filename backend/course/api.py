"""Questionnaires for the patient app: what is due, and answering one (scored on the server)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import or_, select

from ..api import route
from ..api.errors import ApiError
from ..extensions import db
from ..models import Questionnaire, QuestionnaireResponse, Role, utcnow
from ..timeutil import today_for
from .questionnaires import InvalidAnswers, score
from .schemas import QuestionnaireList, QuestionnaireOut, ResponseIn, ResponseOut
from .service import current_course, due_timepoint, questionnaire_schedule

bp = Blueprint("questionnaires", __name__, url_prefix="/api")


def _mine():
    """Shipped questionnaires and the patient's clinic's own."""
    return select(Questionnaire).where(
        or_(Questionnaire.clinic_id.is_(None), Questionnaire.clinic_id == current_user.clinic_id)
    )


def _answered(questionnaire_id: int) -> set[str]:
    return set(
        db.session.scalars(
            select(QuestionnaireResponse.timepoint).where(
                QuestionnaireResponse.patient_id == current_user.id,
                QuestionnaireResponse.questionnaire_id == questionnaire_id,
            )
        )
    )


@route(bp, "/questionnaires", response=QuestionnaireList, role=Role.PATIENT)
def list_questionnaires():
    """My questionnaires, with the course time point now due (start, mid or end)."""
    course = current_course(current_user)
    today = today_for(current_user.timezone)
    items = []
    for q in db.session.scalars(_mine().order_by(Questionnaire.id)):
        answered = _answered(q.id)
        items.append(
            QuestionnaireOut(
                slug=q.slug,
                title=q.title,
                instructions=q.instructions,
                items=q.items,
                max_score=q.max_score,
                higher_is_worse=q.higher_is_worse,
                due=due_timepoint(course, answered, today),
                schedule=[
                    {"timepoint": t, "date": d.isoformat(), "done": t in answered}
                    for t, d in questionnaire_schedule(course)
                ],
            )
        )
    return QuestionnaireList(items=items)


@route(
    bp,
    "/questionnaires/<slug>/responses",
    methods=["POST"],
    body=ResponseIn,
    response=ResponseOut,
    status=201,
    role=Role.PATIENT,
    idempotent=True,
)
def answer(slug: str, body: ResponseIn):
    """Answer a questionnaire; every item must be answered within its range."""
    questionnaire = db.session.scalar(
        _mine()
        .where(Questionnaire.slug == slug)
        .order_by(Questionnaire.clinic_id.is_(None))
        .limit(1)
    )
    if questionnaire is None:
        abort(404)
    try:
        total = score(questionnaire, body.answers)
    except InvalidAnswers as invalid:
        raise ApiError(
            422,
            "invalid",
            "Some answers need another look.",
            {f"answers.{key}": message for key, message in invalid.fields.items()},
        ) from invalid
    completed_at = body.completed_at or utcnow()
    timepoint = (
        body.timepoint
        or due_timepoint(
            current_course(current_user),
            _answered(questionnaire.id),
            today_for(current_user.timezone),
        )
        or "other"
    )
    response = QuestionnaireResponse(
        questionnaire_id=questionnaire.id,
        patient_id=current_user.id,
        timepoint=timepoint,
        answers=body.answers,
        score=total,
        completed_at=completed_at,
    )
    db.session.add(response)
    db.session.flush()
    return ResponseOut(
        id=response.id,
        questionnaire=questionnaire.slug,
        timepoint=timepoint,
        score=total,
        max_score=questionnaire.max_score,
        completed_at=response.completed_at,
    )
