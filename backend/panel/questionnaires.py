"""Questionnaires a practitioner enters for a patient (e.g. on paper at a session).

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

from flask import abort, flash
from sqlalchemy import select

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..course.questionnaires import InvalidAnswers, score
from ..extensions import db
from ..models import Questionnaire, QuestionnaireResponse
from . import bp
from .forms import Form, FormError
from .views import patient_page

TIMEPOINTS = ("start", "mid", "end", "other")


@bp.post("/patients/<int:patient_id>/questionnaires/<slug>")
@practitioner_required
def enter_questionnaire(patient_id: int, slug: str):
    """Enter a questionnaire the patient filled in (e.g. on paper at the session)."""
    patient = patient_or_404(patient_id)
    questionnaire = db.session.scalar(
        select(Questionnaire)
        .where(
            Questionnaire.slug == slug,
            (Questionnaire.clinic_id.is_(None)) | (Questionnaire.clinic_id == patient.clinic_id),
        )
        .order_by(Questionnaire.clinic_id.is_(None))
        .limit(1)
    )
    if questionnaire is None:
        abort(404)
    form = Form()
    timepoint = form.choice("timepoint", "When", TIMEPOINTS)
    answers = {}
    for item in questionnaire.items:
        value = form.integer(
            f"item-{item['key']}", item["text"], item["min"], item["max"], required=True
        )
        if value is not None:
            answers[item["key"]] = value
    form.done()
    try:
        total = score(questionnaire, answers)
    except InvalidAnswers as invalid:
        raise FormError(invalid.fields) from invalid
    response = QuestionnaireResponse(
        questionnaire_id=questionnaire.id,
        patient_id=patient.id,
        timepoint=timepoint,
        answers=answers,
        score=total,
    )
    db.session.add(response)
    db.session.flush()
    audit.record(
        "questionnaire.enter",
        patient,
        target=f"response:{response.id}",
        questionnaire=questionnaire.slug,
        timepoint=timepoint,
    )
    db.session.commit()
    flash(f"{questionnaire.title} saved.")  # no health data in the session cookie
    return patient_page(patient, "#questionnaires")
