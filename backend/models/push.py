"""Push subscriptions, reminder preferences and the outbox of notifications."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class PushSubscription(Model):
    """One browser's push subscription (a patient may have a phone and a tablet)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderPreference(Model):
    """When a patient wants reminders, in their own time zone (an IANA name)."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # No column defaults: a new row's values come from one home, the clinic's defaults
    # (``backend/reminders/defaults.py``); a None quiet hour means "no quiet hours".
    timezone: Mapped[str] = mapped_column(String(64))
    checkin_enabled: Mapped[bool] = mapped_column()
    checkin_time: Mapped[time] = mapped_column()
    # ISO weekdays 1 (Monday) to 7 on which reminders are wanted.
    days: Mapped[list[int]] = mapped_column(JSON)
    homework_enabled: Mapped[bool] = mapped_column()
    homework_times: Mapped[list[str]] = mapped_column(JSON)
    sitting_breaks_enabled: Mapped[bool] = mapped_column()
    sitting_start: Mapped[time] = mapped_column()
    sitting_end: Mapped[time] = mapped_column()
    sitting_interval_minutes: Mapped[int] = mapped_column()
    appointment_enabled: Mapped[bool] = mapped_column()
    quiet_start: Mapped[time | None] = mapped_column()
    quiet_end: Mapped[time | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxMessage(Model):
    """A notification to send. ``occurrence_key`` (patient, kind, local date/time) is unique:
    a second clock, a retry or the repeated hour of a daylight-saving night cannot add it twice.

    Payloads carry no health data: a title, a body and the screen to open.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurrence_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    topic: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    ttl_seconds: Mapped[int] = mapped_column(default=3600)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending -> sending (claimed) -> sent | failed | expired
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")

    __table_args__ = (Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)
