"""Alerts: a practitioner acknowledges what they have seen and records what was done.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

from flask import abort, flash
from flask_login import current_user

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..extensions import db
from ..models import ALERT_ACTIONS, Alert, AlertKind, utcnow
from . import bp
from .forms import Form
from .views import patient_page


@bp.post("/alerts/<int:alert_id>/acknowledge")
@practitioner_required
def acknowledge_alert(alert_id: int):
    """Mark an alert seen, with what was done and a note: kept on the alert, shown on the
    patient page and in the report, and in the audit log."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    patient = patient_or_404(alert.patient_id)
    form = Form()
    action = form.choice("action", "What was done", ALERT_ACTIONS)
    note = form.text("note", "Note", 2000, required=action == "other")
    form.done()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        alert.action = action
        alert.action_note = note or None
        audit.record(
            "alert.acknowledge",
            patient,
            target=f"alert:{alert.id}",
            kind=alert.kind.value,
            done=action,
        )
    db.session.commit()
    # No names in the session cookie's flash message.
    if alert.kind is AlertKind.RED_FLAG:
        flash(f"Red flag acknowledged: {ALERT_ACTIONS[action or '']}.")
    else:
        flash("Alert marked as seen.")
    return patient_page(patient, "#alerts")
