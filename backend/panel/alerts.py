"""Red-flag alerts: a practitioner acknowledges what they have seen.

Each action checks the patient belongs to the practitioner's clinic (``patient_or_404``),
validates the whole form (``Form``: a 422 page listing what to fix, nothing saved), writes
an audit event and commits once.
"""

from flask import abort, flash
from flask_login import current_user

from .. import audit
from ..access import patient_or_404, practitioner_required
from ..extensions import db
from ..models import Alert, utcnow
from . import bp
from .views import patient_page


@bp.post("/alerts/<int:alert_id>/acknowledge")
@practitioner_required
def acknowledge_alert(alert_id: int):
    """Mark an alert seen: who and when are kept on the alert and in the audit log."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    patient = patient_or_404(alert.patient_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        audit.record(
            "alert.acknowledge", patient, target=f"alert:{alert.id}", kind=alert.kind.value
        )
    db.session.commit()
    flash("Alert marked as seen.")  # no names in the session cookie
    return patient_page(patient, "#alerts")
