"""The outbox of notifications: written once per occurrence, claimed, sent, settled.

Exactly once comes from four rules, each in one module:

1. ``queueing``: every row has a unique ``occurrence_key`` and is inserted with ``ON
   CONFLICT DO NOTHING``: two clocks, a restarted clock or the repeated hour of a
   daylight-saving night cannot add a reminder twice;
2. ``backend.claims`` (shared with the mail queue): a sender claims rows with a short lease
   in one statement and renews it while it lives, so a dead sender's batch is taken over
   within about 30 s;
3. ``settling``: each device's answer is recorded as it arrives (``payload.sent_to``), so
   a takeover repeats at most the pushes that were in flight, and a retry for one device
   never repeats the push on another;
4. ``kinds``: each occurrence is sent with a Topic and a tag of its own, so a repeated push
   replaces the first copy at the push service and on the phone instead of showing twice.

``delivery`` drives them. This module is the outbox's public face for the rest of the app.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from ..extensions import db
from ..models import OutboxMessage, utcnow
from .delivery import LEASE, claim, deliver, expire_stale, send_due, send_now
from .kinds import KINDS, Kind, kind_of, notification, outbox_row, tag_for, topic_for
from .queueing import (
    LOOKBACK,
    default_preferences,
    enqueue_due,
    insert_if_absent,
    notify_new_homework,
    plan_for,
    preferences_for,
    queue_test,
)
from .settling import FIRST_BACKOFF, MAX_BACKOFF

__all__ = [
    "FIRST_BACKOFF",
    "KINDS",
    "LEASE",
    "LOOKBACK",
    "MAX_BACKOFF",
    "Kind",
    "claim",
    "default_preferences",
    "deliver",
    "enqueue_due",
    "expire_stale",
    "insert_if_absent",
    "kind_of",
    "notification",
    "notify_new_homework",
    "outbox_row",
    "plan_for",
    "preferences_for",
    "prune",
    "queue_test",
    "send_due",
    "send_now",
    "tag_for",
    "topic_for",
]

KEEP_FINISHED = timedelta(days=30)
FINAL = ("sent", "failed", "expired")


def prune(now: datetime | None = None) -> int:
    """Forget finished messages after a month (the occurrence keys are long past)."""
    now = now or utcnow()
    pruned = db.session.scalars(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(FINAL), OutboxMessage.created_at < now - KEEP_FINISHED)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(pruned)
