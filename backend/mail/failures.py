"""Mail that could not be sent, for the clinic's panel: never lost silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import MailMessage, utcnow

SHOWN_FOR = timedelta(days=14)  # a failure older than this is no longer news
KIND_NAMES = {
    "invite": "Invitation",
    "patient_invite": "Patient invitation",
    "practitioner_invite": "Practitioner invitation",
    "password_reset": "Password reset",
    "red_flag": "Red-flag notice",
}


@dataclass(frozen=True)
class FailedMail:
    kind: str
    to_address: str
    subject: str
    reason: str
    created_at: datetime

    @property
    def what(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind.replace("_", " ").capitalize())


def failed_mail(clinic_id: int | None, now: datetime | None = None) -> list[FailedMail]:
    """This clinic's mail that was given up on in the last two weeks, newest first."""
    if clinic_id is None:
        return []
    since = (now or utcnow()) - SHOWN_FOR
    rows = db.session.execute(
        select(
            MailMessage.kind,
            MailMessage.to_address,
            MailMessage.subject,
            MailMessage.last_error,
            MailMessage.created_at,
        )
        .where(
            MailMessage.clinic_id == clinic_id,
            MailMessage.status == "failed",
            MailMessage.created_at >= since,
        )
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    )
    return [
        FailedMail(kind, to, subject, reason or "not accepted by the mail server", created)
        for kind, to, subject, reason, created in rows
    ]
