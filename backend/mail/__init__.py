"""Outgoing email: queued in the caller's transaction, sent by the clock process.

    queue_mail(to="lee@clinic.example", subject="...", text="...", html=None,
               kind="invite", key=f"invite:{invite.id}", clinic_id=clinic.id)

The caller commits once; a message queued twice under the same ``key`` is stored once.
``mail_configured(app)`` says whether ``MAIL_URL`` is set: without it nothing is sent, and
the panel shows links and QR codes instead (and says so).
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models import MailMessage


def mail_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("MAIL_URL"))


def queue_mail(
    *,
    to: str,
    subject: str,
    text: str,
    kind: str,
    key: str,
    html: str | None = None,
    clinic_id: int | None = None,
) -> MailMessage | None:
    """Add one message to the queue in the current transaction (the caller commits).

    Returns the new row, or None when a message with this ``key`` is already queued.
    """
    if db.session.scalar(select(MailMessage.id).filter_by(dedupe_key=key)) is not None:
        return None
    message = MailMessage(
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        kind=kind,
        dedupe_key=key,
        clinic_id=clinic_id,
    )
    db.session.add(message)
    return message
