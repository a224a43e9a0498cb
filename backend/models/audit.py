"""The audit log of every practitioner read or change of patient data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class AuditEvent(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Not a foreign key: the trail of who read a patient's data outlives the patient's account.
    patient_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60))  # e.g. "read", "homework.assign"
    target: Mapped[str] = mapped_column(String(120), default="")  # e.g. "assignment:12"
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))

    actor = relationship("User", foreign_keys=[actor_id])

    __table_args__ = (Index("ix_audit_event_clinic_at", "clinic_id", "at"),)


class IdempotentRequest(Model):
    """The answer given to a request with an Idempotency-Key, so a replay gets it again.

    Stored in the same transaction as the entry it created: either both exist or neither.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("uq_idempotent_request_user_key", "user_id", "key", unique=True),)
