"""Who may see what: the one place that scopes patient data to a clinic or to oneself.

A practitioner sees the patients of their own clinic; a patient sees only themself.
Anything else answers 404, so that ids of other clinics' patients cannot even be probed.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from .extensions import db
from .models import Role, User


def clinic_patients(practitioner: User) -> Select:
    """All patients of the practitioner's clinic, as a query to refine."""
    return select(User).where(User.clinic_id == practitioner.clinic_id, User.role == Role.PATIENT)


def patient_or_404(patient_id: int) -> User:
    """A patient the current user may see, or 404."""
    patient = db.session.get(User, patient_id)
    if (
        patient is None
        or patient.role is not Role.PATIENT
        or not can_see_patient(current_user, patient)
    ):
        abort(404)
    return patient


def can_see_patient(user: User, patient: User) -> bool:
    if user.is_practitioner:
        return patient.clinic_id == user.clinic_id
    return user.id == patient.id


def practitioner_required(view):
    """For HTML pages of the panel: log in first; patients get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_practitioner:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def owner_required(view):
    """For the owner's pages (the team, the clinic's settings): other practitioners and
    patients get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not (current_user.is_practitioner and current_user.is_owner):
            abort(403)
        return view(*args, **kwargs)

    return wrapper
