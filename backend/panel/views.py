"""Practitioner panel pages."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from ..access import clinic_patients, practitioner_required
from ..extensions import db
from ..models import User

bp = Blueprint("panel", __name__, url_prefix="/panel")


@bp.get("/")
@practitioner_required
def index():
    patients = db.session.scalars(clinic_patients(current_user).order_by(User.display_name))
    return render_template("panel/index.html", patients=list(patients))
