"""The outgoing mail queue: one row per message, sent by the clock process.

Same discipline as the push outbox: a unique ``dedupe_key`` makes queuing idempotent, a
sender claims rows with a lease, and every outcome is recorded on the row. Bodies carry no
health data beyond what the recipient would already see on a lock screen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class MailMessage(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # The clinic whose panel shows this message if it cannot be sent (None: no clinic yet).
    clinic_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinic.id", ondelete="CASCADE"), index=True
    )
    # What it is for ("invite", "password_reset", "red_flag", ...): the panel names it.
    kind: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # pending -> sending (claimed) -> sent | failed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_mail_message_status_next", "status", "next_attempt_at"),)
