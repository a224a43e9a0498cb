"""Invites and accounts: a patient joins by a one-time link; a practitioner can
resend or revoke it and deactivate the account.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

import segno
from flask import flash, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..auth.service import create_invite, invite_url
from ..clinic.service import join_url, send_invite
from ..extensions import db
from ..models import Invite, Role, User, utcnow
from . import bp
from .forms import Form, FormError
from .views import patient_page


def _qr(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title="Invite link QR code"))


def show_invite(person: User, token: str, created: bool, emailed: bool):
    """The link and its QR code (a patient's or a practitioner's), shown once: only the
    token's hash is stored. Says whether it was also emailed."""
    url = join_url(token) if person.is_practitioner else invite_url(token)
    return render_template(
        "panel/invite_created.html",
        person=person,
        url=url,
        qr=_qr(url),
        created=created,
        emailed=emailed,
    )


@bp.get("/patients/new")
@practitioner_required
def new_patient():
    return render_template("panel/new_patient.html")


@bp.post("/patients")
@practitioner_required
def invite_patient():
    """Create the patient's account (no password yet) and an invite link for them."""
    form = Form()
    name = form.text("display_name", "Name", 120, required=True)
    email = form.email("email", "Email")
    if email:
        form.check(
            db.session.scalar(select(User.id).where(User.email == email)) is None,
            "Email",
            "already has an account",
        )
    form.done()
    patient = User(
        clinic_id=current_user.clinic_id,
        role=Role.PATIENT,
        practitioner_id=current_user.id,
        email=email,
        display_name=name,
        timezone=current_user.clinic.timezone,
    )
    db.session.add(patient)
    db.session.flush()
    token = create_invite(patient, current_user)
    emailed = send_invite(patient, current_user, token)
    audit.record("patient.invite", patient, target=f"patient:{patient.id}", emailed=emailed)
    db.session.commit()
    return show_invite(patient, token, created=True, emailed=emailed), 201


@bp.post("/patients/<int:patient_id>/invite")
@practitioner_required
def resend_invite(patient_id: int):
    """A new link; the old one stops working."""
    patient = patient_or_404(patient_id)
    if not patient.active:
        raise FormError({"Patient": "is deactivated; reactivate them first"})
    token = create_invite(patient, current_user)
    emailed = send_invite(patient, current_user, token)
    audit.record("patient.invite_resend", patient, target=f"patient:{patient.id}", emailed=emailed)
    db.session.commit()
    return show_invite(patient, token, created=False, emailed=emailed)


@bp.post("/patients/<int:patient_id>/invite/revoke")
@practitioner_required
def revoke_invite(patient_id: int):
    patient = patient_or_404(patient_id)
    now = utcnow()
    revoked = 0
    for invite in db.session.scalars(
        select(Invite).filter_by(patient_id=patient.id, used_at=None, revoked_at=None)
    ):
        invite.revoked_at = now
        revoked += 1
    audit.record("patient.invite_revoke", patient, target=f"patient:{patient.id}", revoked=revoked)
    db.session.commit()
    flash("The invite link no longer works." if revoked else "There was no open invite.")
    return patient_page(patient, "#account")


@bp.post("/patients/<int:patient_id>/active")
@practitioner_required
def set_active(patient_id: int):
    """Deactivate (logs the patient out everywhere, closes open invites) or reactivate."""
    patient = patient_or_404(patient_id)
    form = Form()
    active = form.choice("active", "Active", ("0", "1")) == "1"
    form.done()
    if patient.active and not active:
        patient.active = False
        patient.session_version += 1
        for invite in db.session.scalars(
            select(Invite).filter_by(patient_id=patient.id, used_at=None, revoked_at=None)
        ):
            invite.revoked_at = utcnow()
    elif active:
        patient.active = True
    audit.record(
        "patient.activate" if active else "patient.deactivate",
        patient,
        target=f"patient:{patient.id}",
    )
    db.session.commit()
    # No names in flash messages: they travel in the session cookie, which is signed but
    # not encrypted.
    flash("The account is active again." if active else "The account is deactivated.")
    return patient_page(patient, "#account")
