"""A person is told: a red flag tapped in real Chromium reaches the lead practitioner's
mailbox through a real SMTP server (aiosmtpd), and, unacknowledged past the clinic's hours,
the clinic owner's (the clock's time is given, as the clock process would have it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.alerts.escalation import escalate_due
from backend.extensions import db
from backend.mail.sending import send_due
from backend.models import Alert, Clinic
from tests.browser.test_patient_app import count, log_in, wait_until
from tests.mailserver import running_inbox


def test_the_lead_practitioner_gets_an_email_and_the_owner_after_the_clinics_hours(
    live, seed, page, patient_world
):
    practitioner = patient_world["practitioner"]
    with live.app_context():
        clinic = db.session.get(Clinic, practitioner.clinic_id)
        clinic.escalation_hours = 3
        db.session.commit()
        owner = seed.practitioner(clinic, email="owner@clinic.test", is_owner=True)
        lead_email, owner_email = practitioner.email, owner.email
    with running_inbox() as inbox:
        live.app.config["MAIL_URL"] = inbox.url
        live.app.config["MAIL_FROM"] = "Between <no-reply@clinic.test>"
        log_in(page, patient_world["patient"])
        page.goto("/app/#/checkin")
        page.get_by_role(
            "group", name="Numbness or pins and needles around your groin"
        ).get_by_role("radio", name="Yes").click()
        page.get_by_role("button", name="Yes, that's right").click()
        page.get_by_role("heading", name="Go to an emergency department now").wait_for()
        page.get_by_text("Your practitioner has been notified.").wait_for()
        assert wait_until(lambda: count(live, Alert) == 1)

        assert send_due(live.app)["sent"] == 1  # the clock's minute
        [mail] = inbox.to(lead_email)
        body = mail.get_body(("plain",)).get_content()
        assert "needs your attention" in body and f"{live.url}/panel/" in body
        for private in ("Maya", "saddle", "numb", "groin"):
            assert private not in body + mail["Subject"]

        with live.app_context():
            db.session.remove()
            created = db.session.scalar(select(Alert)).created_at
        assert escalate_due(live.app, now=created + timedelta(hours=2, minutes=59)) == 0
        assert escalate_due(live.app, now=created + timedelta(hours=3)) == 1
        send_due(live.app)
        [escalation] = inbox.to(owner_email)
        assert "nobody at the clinic has acknowledged it for 3 hours" in (
            escalation.get_body(("plain",)).get_content()
        )
        assert len(inbox.to(lead_email)) == 1  # the lead's mail was sent once
