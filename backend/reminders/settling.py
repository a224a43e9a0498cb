"""Recording what push services answered, as the answers arrive.

Each device's outcome is written as soon as its answer comes in (with whatever else came
in meanwhile, in one short transaction): a device reached goes into the message's
``payload.sent_to`` at once, so a sender killed mid-batch repeats at most the pushes that
were in flight. A message is settled when the last of its devices has answered:

- every device reached (or reached before) -> ``sent``;
- a 429, 5xx or timeout on any device -> ``pending`` again after a growing wait (at least
  Retry-After), or ``expired`` when that would end after its time to live;
- otherwise (refused, no device) -> ``failed``.

404/410 remove the subscription, and only those; 401/403/413 are logged by the sender.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from .. import claims
from ..extensions import db
from ..models import OutboxMessage, PushSubscription
from ..push.sender import Outcome, Push

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class Work:
    """One claimed message: the pushes it still needs and what its devices answered."""

    message_id: int
    pushes: list[tuple[int, Push]]  # (subscription id, push) for devices not yet reached
    problem: str = ""
    answered: int = 0
    errors: list[str] = field(default_factory=list)
    retry_after: list[float] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.answered >= len(self.pushes)


def backoff(attempts: int) -> timedelta:
    return claims.backoff(attempts, FIRST_BACKOFF, MAX_BACKOFF)


def record(
    answers: list[tuple[Work, int, Outcome]],
    worker: str,
    now: datetime,
    totals: Counter,
    also_settle: Sequence[Work] = (),
) -> list[int]:
    """Write these answers (work, subscription id, outcome) and settle every message whose
    devices have all answered, plus ``also_settle``. No commit. Returns the settled ids."""
    touched = {id(work): work for work, _sub, _outcome in answers}
    touched.update({id(work): work for work in also_settle})
    rows = claims.held(OutboxMessage, {w.message_id for w in touched.values()}, worker)
    reached: set[int] = set()
    gone: set[int] = set()
    for work, sub_id, outcome in answers:
        totals[outcome.result] += 1
        work.answered += 1
        row = rows.get(work.message_id)
        if outcome.result == "sent":
            reached.add(sub_id)
            if row is not None:
                sent_to = list(row.payload.get("sent_to", []))
                row.payload = {**row.payload, "sent_to": [*sent_to, sub_id]}
        elif outcome.result == "gone":
            gone.add(sub_id)
        elif outcome.result == "retry":
            work.retry_after.append(outcome.retry_after or 0.0)
            work.errors.append(outcome.detail)
        else:
            work.errors.append(outcome.detail)
    settled = []
    for work in touched.values():
        if not work.done:
            continue
        row = rows.get(work.message_id)
        if row is None:
            log.warning("outbox message %s was taken over by another sender", work.message_id)
            continue
        _settle(row, work, now, totals)
        settled.append(work.message_id)
    if reached:
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(reached))
            .values(last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    if gone:
        # The browser unsubscribed or the subscription expired: only now is it removed.
        db.session.execute(
            delete(PushSubscription)
            .where(PushSubscription.id.in_(gone))
            .execution_options(synchronize_session=False)
        )
    return settled


def _settle(message: OutboxMessage, work: Work, now: datetime, totals: Counter) -> None:
    """The message's final state for this attempt, from what all its devices answered."""
    claims.release(message)
    errors = ([work.problem] if work.problem else []) + work.errors
    message.last_error = "; ".join(errors)[:1000] or None
    if work.retry_after:
        wait = max(backoff(message.attempts), timedelta(seconds=max(work.retry_after)))
        if now + wait >= message.expires_at:
            message.status = "expired"
        else:
            message.status = "pending"
            message.next_attempt_at = now + wait
    elif message.payload.get("sent_to"):
        message.status = "sent"
        message.sent_at = message.sent_at or now
    else:
        message.status = "failed"
    totals[message.status + "_messages"] += 1
