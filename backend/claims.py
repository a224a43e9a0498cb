"""Claim with a lease: how the push outbox and the mail queue hand work to one sender.

Both tables have ``status`` (pending -> sending -> a final state), ``attempts``,
``next_attempt_at``, ``claimed_by`` and ``claimed_until``. Exactly once comes from:

1. **claim**: a sender marks due rows ``sending`` under its name with a lease, in one
   ``UPDATE ... RETURNING`` (candidates picked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
   senders take disjoint batches without waiting; on SQLite the statement runs under the
   database's single write lock). Due = pending and time for an attempt, or ``sending``
   under a lapsed lease (its sender died);
2. **heartbeat**: while a sender is alive it renews its leases, so leases can be short and
   a dead sender's work is taken over soon;
3. **settle**: each outcome is written as soon as it is known, and only while the row is
   still held by this sender (a sender that lost its lease records nothing over the new
   holder's work).

A sender killed between the far side accepting and the settle repeats only what was in
flight; each channel makes such a repeat harmless (a push's tag and Topic, a mail's
Message-ID).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import Flask
from sqlalchemy import Select, Update, and_, bindparam, or_, select, update

from .database import writing
from .extensions import db

log = logging.getLogger(__name__)


def worker_id() -> str:
    """This sender's name: the host, the process and the thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def backoff(attempts: int, first: timedelta, most: timedelta) -> timedelta:
    """The wait after the ``attempts``-th failed try: doubling from ``first`` up to ``most``."""
    return min(first * 2 ** max(0, attempts - 1), most)


def _held_by(columns: Any, worker: Any) -> Any:
    """The one lease rule: a row is this worker's while it is ``sending`` under its name.
    ``columns`` is the model or its table's ``c``; ``worker`` a name or a bind parameter."""
    return and_(columns.status == "sending", columns.claimed_by == worker)


def claim(
    model: Any,
    batch: int,
    worker: str,
    now: datetime,
    lease: timedelta,
    *,
    where: Iterable = (),
    ids: list[int] | None = None,
) -> list[int]:
    """Take up to ``batch`` due rows of ``model`` for ``worker``; commits; returns their ids.

    ``where`` narrows what is due (the outbox skips expired messages); ``ids`` limits the
    claim to given rows (the "send me a test" button).
    """
    due = or_(
        and_(model.status == "pending", model.next_attempt_at <= now),
        and_(model.status == "sending", model.claimed_until < now),
    )
    candidates = (
        select(model.id)
        .where(due, *where)
        .order_by(model.next_attempt_at, model.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        candidates = candidates.where(model.id.in_(ids))
    stmt = (
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()))
        .values(
            status="sending",
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=model.attempts + 1,
        )
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    # The claim is a transaction of its own, begun with the write lock on SQLite: one
    # already open (say, a read of the last batch) could not be upgraded to a write.
    db.session.commit()
    with writing():
        claimed = list(db.session.scalars(stmt))
        db.session.commit()
    return claimed


def renew(model: Any, ids: list[int], worker: str, until: datetime) -> int:
    """Extend this worker's lease on those of ``ids`` it still holds (no commit)."""
    if not ids:
        return 0
    renewed = db.session.scalars(
        update(model)
        .where(model.id.in_(ids), _held_by(model, worker))
        .values(claimed_until=until)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(renewed)


@lru_cache
def _held_ids(model: Any) -> Select:
    return (
        select(model.id)
        .where(model.id.in_(bindparam("ids", expanding=True)), _held_by(model, bindparam("worker")))
        .with_for_update()
    )


def held(model: Any, ids: Iterable[int], worker: str) -> set[int]:
    """The ids among ``ids`` this worker still holds, locked until the transaction ends.

    Plain ids, not ORM rows: a sender that already carries the rows' values (read once
    after its claim) writes them back with ``update_held``.
    """
    return set(db.session.scalars(_held_ids(model), {"ids": list(ids), "worker": worker}))


@lru_cache
def _held_update(model: Any, columns: tuple[str, ...], release: bool) -> Update:
    """Built once per shape: SQLAlchemy then reuses its compiled form without a cache key walk."""
    table = model.__table__
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
    if release:
        values.update(claimed_by=None, claimed_until=None)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), _held_by(table.c, bindparam("worker")))
        .values(values)
    )


def update_held(model: Any, worker: str, rows: list[dict[str, Any]], *, release: bool) -> int:
    """Write each of ``rows`` (``{"row_id": id, column: value, ...}``, the same columns in
    every one) if this worker still holds it; ``release`` when they are settled. No commit.

    One executemany for the whole group (the driver sends the parameter sets together);
    returns how many rows were written, which is ``len(rows)`` unless another sender took
    some over (both drivers we use count an executemany's rows exactly).
    """
    if not rows:
        return 0
    columns = tuple(name for name in rows[0] if name != "row_id")
    result = db.session.connection().execute(
        _held_update(model, columns, release),
        [
            {"row_id": row["row_id"], "worker": worker, **{f"v_{n}": row[n] for n in columns}}
            for row in rows
        ],
    )
    return result.rowcount


def settle(model: Any, row_id: int, worker: str, **values: Any) -> bool:
    """Record one row's outcome if this worker still holds it (no commit).

    False when the lease was lost to another sender: its outcome is then theirs to record.
    """
    settled = db.session.scalars(
        update(model)
        .where(model.id == row_id, _held_by(model, worker))
        .values(claimed_by=None, claimed_until=None, **values)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not settled:
        log.warning("%s %s was taken over by another sender", model.__tablename__, row_id)
        return False
    return True


class Heartbeat:
    """Renews a sender's leases from a thread of its own while the sender works.

    Time is the sender's ``now`` moved on by the real time elapsed, so a sender run with a
    given ``now`` (tests, catch-up) renews consistently with its claims.
    """

    def __init__(
        self,
        app: Flask,
        model: Any,
        worker: str,
        now: datetime,
        lease: timedelta,
        every: float | None = None,
    ):
        self.app, self.model, self.worker, self.lease = app, model, worker, lease
        self.every = every if every is not None else lease.total_seconds() / 3
        self._start, self._started = now, time.monotonic()
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def hold(self, ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.update(ids)

    def drop(self, ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.difference_update(ids)

    def beat(self) -> int:
        """Renew now (also called by the thread)."""
        with self._lock:
            ids = sorted(self._ids)
        if not ids:
            return 0
        with self.app.app_context():
            try:
                with writing():
                    count = renew(self.model, ids, self.worker, self.now() + self.lease)
                    db.session.commit()
                return count
            finally:
                db.session.remove()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # the next beat tries again; the lease has room for one miss
                log.exception("lease renewal failed")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
