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
from typing import cast

from sqlalchemy import Table, bindparam, delete, update

from .. import claims
from ..extensions import db
from ..models import OutboxMessage, PushSubscription
from ..push.sender import Outcome, Push

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class Work:
    """One claimed message: the pushes it still needs and what its devices answered.

    It also carries the row's values read once after the claim (``payload``, ``attempts``,
    ``expires_at``, ``next_attempt_at``, ``sent_at``): while this sender holds the lease nobody else changes
    them, so answers are recorded without reading the row again.
    """

    message_id: int
    pushes: list[tuple[int, Push]]  # (subscription id, push) for devices not yet reached
    problem: str = ""
    answered: int = 0
    errors: list[str] = field(default_factory=list)
    retry_after: list[float] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    attempts: int = 1
    expires_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.answered >= len(self.pushes)


def backoff(attempts: int) -> timedelta:
    return claims.backoff(attempts, FIRST_BACKOFF, MAX_BACKOFF)


_SUBS = cast(Table, PushSubscription.__table__)
_REACHED = (
    update(_SUBS)
    .where(_SUBS.c.id.in_(bindparam("ids", expanding=True)))
    .values(last_success_at=bindparam("now"))
)
_GONE = delete(_SUBS).where(_SUBS.c.id.in_(bindparam("ids", expanding=True)))


def record(
    answers: list[tuple[Work, int, Outcome]],
    worker: str,
    now: datetime,
    totals: Counter,
    also_settle: Sequence[Work] = (),
) -> list[int]:
    """Write these answers (work, subscription id, outcome) and settle every message whose
    devices have all answered, plus ``also_settle``. No commit. Returns the settled ids.

    A handful of statements for the whole group, whatever its size: one executemany UPDATE
    for the settled rows and one for rows that only gained a reached device, each row
    written only while this sender holds it (``claims.update_held``). When a row was taken
    over meanwhile (the counts fall short, which is rare: its lease lapsed), the group is
    written again, after locking and reading which rows are still held.
    """
    touched = {id(work): work for work, _sub, _outcome in answers}
    touched.update({id(work): work for work in also_settle})
    reached: set[int] = set()
    gone: set[int] = set()
    changed: set[int] = set()
    for work, sub_id, outcome in answers:
        totals[outcome.result] += 1
        work.answered += 1
        if outcome.result == "sent":
            reached.add(sub_id)
            work.payload = {**work.payload, "sent_to": [*work.payload.get("sent_to", []), sub_id]}
            changed.add(id(work))
        elif outcome.result == "gone":
            gone.add(sub_id)
        elif outcome.result == "retry":
            work.retry_after.append(outcome.retry_after or 0.0)
            work.errors.append(outcome.detail)
        else:
            work.errors.append(outcome.detail)
    final = {key: _final(work, now) for key, work in touched.items() if work.done}
    reaching = [work for key, work in touched.items() if key in changed and key not in final]
    if not _write(touched, final, reaching, worker):
        db.session.rollback()  # nothing of this group is written yet; write what is ours
        held = claims.held(OutboxMessage, {w.message_id for w in touched.values()}, worker)
        for key, work in touched.items():
            if work.message_id not in held:
                log.warning("outbox message %s was taken over by another sender", work.message_id)
                final.pop(key, None)
        reaching = [work for work in reaching if work.message_id in held]
        _write(touched, final, reaching, worker)
    for values in final.values():
        totals[values["status"] + "_messages"] += 1
    if reached:
        db.session.execute(_REACHED, {"ids": list(reached), "now": now})
    if gone:
        # The browser unsubscribed or the subscription expired: only now is it removed.
        db.session.execute(_GONE, {"ids": list(gone)})
    return [touched[key].message_id for key in final]


def _write(touched: dict, final: dict, reaching: list[Work], worker: str) -> bool:
    """Write settled rows and rows with a newly reached device; False if any was not held."""
    settle_rows = [{"row_id": touched[key].message_id, **values} for key, values in final.items()]
    reached_rows = [{"row_id": work.message_id, "payload": work.payload} for work in reaching]
    written = claims.update_held(OutboxMessage, worker, settle_rows, release=True)
    written += claims.update_held(OutboxMessage, worker, reached_rows, release=False)
    return written == len(settle_rows) + len(reached_rows)


def _final(work: Work, now: datetime) -> dict:
    """The message's final state for this attempt, from what all its devices answered."""
    errors = ([work.problem] if work.problem else []) + work.errors
    values: dict = {
        "payload": work.payload,
        "last_error": "; ".join(errors)[:1000] or None,
        "next_attempt_at": work.next_attempt_at,
        "sent_at": work.sent_at,
    }
    if work.retry_after:
        wait = max(backoff(work.attempts), timedelta(seconds=max(work.retry_after)))
        if work.expires_at is None or now + wait >= work.expires_at:
            values["status"] = "expired"
        else:
            values["status"] = "pending"
            values["next_attempt_at"] = now + wait
    elif work.payload.get("sent_to"):
        values["status"] = "sent"
        values["sent_at"] = work.sent_at or now
    else:
        values["status"] = "failed"
    return values
