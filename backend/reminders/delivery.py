"""Sending the outbox: claim due messages with a short lease, push them, record as we go.

A sender claims a batch (``backend.claims``: one statement, disjoint batches for several
senders), keeps its 30-second lease alive with a heartbeat while it works, sends every push
of the batch at once and records each answer as it arrives (``settling``). A sender that
dies stops renewing: within 30 s its unanswered messages are due again for another sender,
which sends only to the devices not yet recorded as reached. A push repeated that way (it
was in flight when the sender died) carries the same Topic and tag, so the push service
and the phone replace the first copy instead of showing it twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import Table, bindparam, or_, select, update

from .. import claims
from ..database import writing
from ..extensions import db
from ..models import OutboxMessage, PushSubscription, utcnow
from ..push.sender import PayloadTooLarge, Push, Sender, encode_notification
from .settling import Work, record

LEASE = timedelta(seconds=30)  # renewed every 10 s while the sender lives


def expire_stale(now: datetime) -> int:
    """Messages whose time to live has passed will not be sent any more."""
    expired = db.session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.expires_at <= now,
            or_(OutboxMessage.status == "pending", OutboxMessage.claimed_until < now),
        )
        .values(status="expired", claimed_by=None, claimed_until=None)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(expired)


def claim(
    batch: int,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    ids: list[int] | None = None,
) -> list[int]:
    """Take up to ``batch`` due messages for this worker, commit the claim, return their ids.

    Due = pending and time for an attempt, or ``sending`` under a lapsed lease (its sender
    died), and not expired.
    """
    now = now or utcnow()
    return claims.claim(
        OutboxMessage, batch, worker_id, now, lease, where=[OutboxMessage.expires_at > now], ids=ids
    )


_MESSAGES = cast(Table, OutboxMessage.__table__)
_SUBSCRIPTIONS = cast(Table, PushSubscription.__table__)
# Built once: plain columns, not ORM objects, two statements per batch whatever its size.
_CLAIMED = select(
    _MESSAGES.c.id,
    _MESSAGES.c.user_id,
    _MESSAGES.c.payload,
    _MESSAGES.c.urgency,
    _MESSAGES.c.topic,
    _MESSAGES.c.attempts,
    _MESSAGES.c.expires_at,
    _MESSAGES.c.next_attempt_at,
    _MESSAGES.c.sent_at,
).where(_MESSAGES.c.id.in_(bindparam("ids", expanding=True)))
_DEVICES = select(
    _SUBSCRIPTIONS.c.id,
    _SUBSCRIPTIONS.c.user_id,
    _SUBSCRIPTIONS.c.endpoint,
    _SUBSCRIPTIONS.c.p256dh,
    _SUBSCRIPTIONS.c.auth,
).where(_SUBSCRIPTIONS.c.user_id.in_(bindparam("ids", expanding=True)))


def _prepare(message_ids: list[int], now: datetime) -> list[Work]:
    """Plain values for each claimed message and its devices (no database use after this)."""
    messages = db.session.execute(_CLAIMED, {"ids": message_ids}).all()
    by_user: dict[int, list] = {}
    for sub in db.session.execute(_DEVICES, {"ids": list({m.user_id for m in messages})}):
        by_user.setdefault(sub.user_id, []).append(sub)
    work = []
    for message in messages:
        sent_to = set(message.payload.get("sent_to", []))
        item = Work(
            message.id,
            [],
            payload=message.payload,
            attempts=message.attempts,
            expires_at=message.expires_at,
            next_attempt_at=message.next_attempt_at,
            sent_at=message.sent_at,
        )
        try:
            data = encode_notification(message.payload)
        except PayloadTooLarge as exc:
            item.problem = str(exc)
            work.append(item)
            continue
        ttl = max(1, int((message.expires_at - now).total_seconds()))
        for sub in by_user.get(message.user_id, []):
            if sub.id not in sent_to:
                push = Push(
                    sub.endpoint, sub.p256dh, sub.auth, data, ttl, message.urgency, message.topic
                )
                item.pushes.append((sub.id, push))
        if not item.pushes and not sent_to:
            item.problem = "no device subscribed"
        work.append(item)
    return work


def deliver(
    sender: Sender,
    message_ids: list[int],
    worker_id: str,
    now: datetime | None = None,
) -> Counter:
    """Send claimed messages to every device of their patient, recording each answer as it
    arrives, under a lease renewed until the last is recorded."""
    totals: Counter = Counter()
    if not message_ids:
        return totals
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with claims.Heartbeat(app, OutboxMessage, worker_id, now or utcnow(), LEASE) as beat:
        beat.hold(message_ids)
        with writing():
            work = _prepare(message_ids, beat.now())
            # Messages with nothing to send (no device, too large, all reached) settle now.
            beat.drop(record([], worker_id, beat.now(), totals, [w for w in work if w.done]))
            # End the transaction before the network: on SQLite it holds the write lock.
            db.session.commit()
        flat = [(item, sub_id, push) for item in work for sub_id, push in item.pushes]
        for arrived in sender.answers([push for _item, _sub, push in flat]):
            answers = [(flat[i][0], flat[i][1], outcome) for i, outcome in arrived]
            with writing():
                settled = record(answers, worker_id, beat.now(), totals)
                db.session.commit()
            beat.drop(settled)
    return totals


def send_due(
    sender: Sender,
    worker_id: str,
    now: datetime | None = None,
    batch: int = 200,
    max_batches: int = 1000,
) -> Counter:
    """Claim and send due messages until none are left (or ``max_batches``)."""
    clock = _clock(now)
    totals: Counter = Counter()
    with writing():
        expire_stale(clock())
        db.session.commit()
        for _ in range(max_batches):
            message_ids = claim(batch, worker_id, clock())
            if not message_ids:
                break
            totals.update(deliver(sender, message_ids, worker_id, clock()))
    return totals


def send_now(sender: Sender, message_id: int, worker_id: str) -> Counter:
    """Send one message immediately (the "send me a test" button)."""
    now = utcnow()
    with writing():
        claimed = claim(1, worker_id, now, ids=[message_id])
        return deliver(sender, claimed, worker_id, now) if claimed else Counter()


def _clock(now: datetime | None) -> Callable[[], datetime]:
    """The sender's time: ``now`` (given, or the real time) moving on with the real clock.

    Later batches are claimed with a lease that starts when they are claimed.
    """
    start, started = now or utcnow(), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - started)
