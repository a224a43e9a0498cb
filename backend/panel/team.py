"""The clinic's team and settings (the owner's pages), and each patient's lead practitioner.

The owner invites practitioners (link, QR code, and email when mail is set up), deactivates
and reactivates them, and edits the clinic's settings; other practitioners get 403 there.
Any practitioner of the clinic may change a patient's lead: access stays clinic-wide.
"""

from __future__ import annotations

import re
from datetime import time

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import audit
from ..access import owner_required, patient_or_404, practitioner_required
from ..clinic import service
from ..clinic.countries import choices, country
from ..extensions import db
from ..mail import mail_configured
from ..reminders import defaults
from . import bp
from .forms import Form, FormError
from .invites import show_invite
from .views import patient_page

PHONE = re.compile(r"^\+?[0-9][0-9 ]{0,18}$")


def _member_or_404(user_id: int):
    member = service.team_member_or_none(current_user.clinic_id, user_id)
    if member is None:
        abort(404)
    return member


@bp.get("/team")
@owner_required
def team():
    return render_template(
        "panel/team.html", team=service.team(current_user.clinic_id), mail=mail_configured()
    )


@bp.post("/team")
@owner_required
def invite_practitioner():
    """A practitioner account (no password yet) and its one-time link."""
    form = Form()
    name = form.text("display_name", "Name", 120, required=True)
    email = form.email("email", "Email")
    form.check(not (email and service.email_taken(email)), "Email", "already has an account")
    form.done()
    practitioner, token, emailed = service.invite_practitioner(current_user, name, email)
    audit.record("team.invite", target=f"user:{practitioner.id}", emailed=emailed)
    db.session.commit()
    return show_invite(practitioner, token, created=True, emailed=emailed), 201


@bp.post("/team/<int:user_id>/invite")
@owner_required
def reinvite_practitioner(user_id: int):
    """A new link for a practitioner who has not joined yet; the old one stops working."""
    member = _member_or_404(user_id)
    if member.password_hash is not None or not member.active:
        raise FormError({"Invite": "is only for an active practitioner who has not joined yet"})
    token, emailed = service.reinvite_practitioner(current_user, member)
    audit.record("team.invite_resend", target=f"user:{member.id}", emailed=emailed)
    db.session.commit()
    return show_invite(member, token, created=False, emailed=emailed)


@bp.post("/team/<int:user_id>/active")
@owner_required
def set_practitioner_active(user_id: int):
    """Deactivate or reactivate a practitioner; their records and patients stay."""
    member = _member_or_404(user_id)
    form = Form()
    active = form.choice("active", "Active", ("0", "1")) == "1"
    form.check(member.id != current_user.id, "Practitioner", "cannot be yourself")
    form.done()
    service.set_practitioner_active(member, active)
    audit.record("team.activate" if active else "team.deactivate", target=f"user:{member.id}")
    db.session.commit()
    flash(f"{member.display_name} is {'active' if active else 'deactivated'}.")
    return redirect(url_for("panel.team"), code=303)


def _hhmm(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment is not None else None


@bp.get("/clinic")
@owner_required
def clinic_settings():
    clinic = current_user.clinic
    return render_template(
        "panel/clinic_settings.html",
        clinic=clinic,
        countries=choices(),
        timezones=sorted(service.timezones()),
        reminders=defaults.for_clinic(clinic),
    )


@bp.post("/clinic")
@owner_required
def save_clinic_settings():
    """Every setting at once; an empty emergency number or advice takes the country's."""
    clinic = current_user.clinic
    form = Form()
    name = form.text("name", "Clinic name", 200, required=True)
    code = form.choice("country", "Country", [c.code for c in choices()])
    timezone = form.choice("timezone", "Time zone", service.timezones())
    emergency = form.text("emergency_number", "Emergency number", 20)
    form.check(
        not emergency or bool(PHONE.match(emergency)),
        "Emergency number",
        "must be digits (spaces and a leading + allowed)",
    )
    advice = form.text("same_day_advice", "Same-day advice", 300)
    hours = form.integer("escalation_hours", "Escalation hours", 1, 168, required=True)
    years = form.integer("retention_years", "Retention years", 1, 50, required=True)
    checkin_time = form.clock("checkin_time", "Check-in reminder time", required=True)
    homework_time = form.clock("homework_time", "Homework reminder time", required=True)
    quiet_start = form.clock("quiet_start", "Quiet hours start")
    quiet_end = form.clock("quiet_end", "Quiet hours end")
    form.check(
        (quiet_start is None) == (quiet_end is None),
        "Quiet hours",
        "need both a start and an end (or neither)",
    )
    form.done()
    old, new = country(clinic.country), country(code or clinic.country)
    clinic.name, clinic.country, clinic.timezone = name, new.code, timezone or clinic.timezone
    # Left empty, or still the old country's: the (new) country's.
    if not emergency or emergency == old.emergency_number:
        emergency = new.emergency_number
    if not advice or advice == old.same_day_advice:
        advice = new.same_day_advice
    clinic.emergency_number, clinic.same_day_advice = emergency, advice
    clinic.escalation_hours, clinic.retention_years = hours, years
    clinic.two_factor_required = form.flag("two_factor_required")
    chosen = {
        **defaults.for_clinic(clinic),
        "checkin_enabled": form.flag("checkin_enabled"),
        "checkin_time": _hhmm(checkin_time),
        "homework_enabled": form.flag("homework_enabled"),
        "homework_times": [_hhmm(homework_time)],
        "sitting_breaks_enabled": form.flag("sitting_breaks_enabled"),
        "appointment_enabled": form.flag("appointment_enabled"),
        "quiet_start": _hhmm(quiet_start),
        "quiet_end": _hhmm(quiet_end),
    }
    # Keep only what differs from the shipped defaults.
    clinic.reminder_defaults = {k: v for k, v in chosen.items() if defaults.SHIPPED[k] != v} or None
    audit.record("clinic.settings", target=f"clinic:{clinic.id}")
    db.session.commit()
    flash("The clinic's settings are saved.")
    return redirect(url_for("panel.clinic_settings"), code=303)


@bp.post("/patients/<int:patient_id>/lead")
@practitioner_required
def set_lead(patient_id: int):
    """Who leads this patient's care (any active practitioner of the clinic)."""
    patient = patient_or_404(patient_id)
    form = Form()
    team = {str(m.id): m for m in service.team(current_user.clinic_id) if m.active}
    chosen = form.choice("practitioner_id", "Lead practitioner", team)
    form.done()
    assert chosen is not None  # else done() raised
    lead = team[chosen]
    service.set_lead(patient, lead)
    audit.record("patient.lead", patient, target=f"patient:{patient.id}", lead=lead.id)
    db.session.commit()
    flash(f"{lead.display_name} now leads {patient.display_name}'s care.")
    return patient_page(patient, "#account")
