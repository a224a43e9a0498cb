"""The patient's intake on the panel: entered by the practitioner, marked reviewed; and the
owner's audited erase of a closed record after the clinic's retention period."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..auth import accounts
from ..extensions import db
from ..intake import service
from ..intake.form import ITEMS
from . import bp
from .forms import FormError
from .views import patient_page


def _answers_from_form() -> dict:
    """The intake form's fields as the API takes them (yes/no, consent, text, date, choice)."""
    answers: dict = {}
    for key, item in ITEMS.items():
        raw = (request.form.get(key) or "").strip()
        if item["kind"] == "yesno":
            answers[key] = {"yes": True, "no": False}.get(raw)
        elif item["kind"] == "consent":
            answers[key] = raw == "yes"
        elif raw:
            answers[key] = raw
    return answers


@bp.post("/patients/<int:patient_id>/intake")
@practitioner_required
def enter_intake(patient_id: int):
    """The practitioner enters (or corrects) the intake, e.g. on paper at the first visit."""
    patient = patient_or_404(patient_id)
    try:
        service.save(patient, _answers_from_form(), entered_by=current_user)
    except service.InvalidIntake as invalid:
        labels = {key: ITEMS[key]["text"] if key in ITEMS else key for key in invalid.fields}
        raise FormError({labels[k]: v for k, v in invalid.fields.items()}) from invalid
    audit.record("intake.enter", patient, target=f"patient:{patient.id}")
    db.session.commit()
    flash("Intake saved.")
    return patient_page(patient, "#intake")


@bp.post("/patients/<int:patient_id>/intake/review")
@practitioner_required
def review_intake(patient_id: int):
    """Mark the intake reviewed: its review item closes; what it raises stays in sight."""
    patient = patient_or_404(patient_id)
    intake = service.of(patient)
    if intake is None:
        abort(404)
    service.mark_reviewed(intake, current_user)
    audit.record("intake.review", patient, target=f"intake:{intake.id}")
    db.session.commit()
    flash("Intake marked as reviewed.")
    return patient_page(patient, "#intake")


@bp.post("/patients/<int:patient_id>/erase")
@practitioner_required
def erase_record(patient_id: int):
    """The clinic's owner erases a closed patient's record once the retention has passed."""
    patient = patient_or_404(patient_id)
    if not current_user.is_owner:
        abort(403)
    if not accounts.may_erase(patient):
        raise FormError(
            {"Erase": "is possible only for a closed account after the clinic's retention period"}
        )
    name = patient.display_name
    accounts.erase(patient, current_user)
    db.session.commit()
    flash(f"The record of {name} was erased.")
    return redirect(url_for("panel.index"), code=303)
