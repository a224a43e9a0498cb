"""The outbox of notifications: written once per occurrence, claimed, sent, settled.

Exactly once comes from three rules:

1. every row has a unique ``occurrence_key`` and is inserted with ``ON CONFLICT DO
   NOTHING``: two clocks, a restarted clock or the repeated hour of a daylight-saving night
   cannot add a reminder twice;
2. a sender claims rows by marking them ``sending`` with a lease (``claimed_until``) in one
   statement: on PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP LOCKED``, so
   several senders take disjoint batches without waiting; on SQLite (where SQLAlchemy drops
   SKIP LOCKED) the same ``UPDATE ... RETURNING`` runs under the database's single write
   lock. A sender that dies mid-batch loses nothing: its lease lapses and another takes over;
3. the devices a message already reached are remembered on the row (``payload.sent_to``),
   so a retry for one device does not repeat the push on another.

Callers of ``notify_new_homework`` add to their own transaction and commit once.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import claims
from ..database import writing
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Assignment,
    OutboxMessage,
    PushSubscription,
    ReminderPreference,
    Role,
    User,
    utcnow,
)
from ..push.sender import PayloadTooLarge, Push, Sender, encode_notification
from ..timeutil import zone
from . import schedule

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # far longer than one send can take (timeouts are 3 s + 10 s)
LOOKBACK = timedelta(minutes=15)  # a clock that was down this long still catches up
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)
KEEP_FINISHED = timedelta(days=30)
HOMEWORK_NEWS_DELAY = timedelta(minutes=2)  # several changes in a row become one push
FINAL = ("sent", "failed", "expired")
TEST_INTERVAL = timedelta(minutes=1)  # the "send me a test" button, at most this often
INSERT_CHUNK = 500  # rows per INSERT: SQLite allows 32,766 bound values per statement


@dataclass(frozen=True)
class Kind:
    """How one kind of notification is sent and what it says (never any health data)."""

    ttl: timedelta
    urgency: str
    topic: str
    title: str
    body: str
    url: str


KINDS = {
    "checkin": Kind(
        timedelta(hours=4),
        "normal",
        "checkin",
        "Daily check-in",
        "How are you today? It takes 20 seconds.",
        "/app/#/checkin",
    ),
    "homework": Kind(
        timedelta(hours=2),
        "normal",
        "homework",
        "Time for your exercises",
        "A few minutes now keeps you on track.",
        "/app/#/homework",
    ),
    "standup": Kind(
        timedelta(minutes=15),
        "low",
        "standup",
        "Time to stand up",
        "Stand, stretch or walk for a minute or two.",
        "/app/",
    ),
    "appointment": Kind(
        timedelta(hours=12),
        "normal",
        "appointment",
        "Your next session",
        "Your next session is {when}.",
        "/app/",
    ),
    "homework_new": Kind(
        timedelta(hours=24),
        "normal",
        "homework-new",
        "New exercises",
        "Your practitioner updated your exercises.",
        "/app/#/homework",
    ),
    "test": Kind(
        timedelta(minutes=5),
        "high",
        "test",
        "Reminders are on",
        "This is how your reminders will look.",
        "/app/",
    ),
}


def notification(kind: str, **fill) -> dict:
    spec = KINDS[kind]
    return {"title": spec.title, "body": spec.body.format(**fill), "url": spec.url, "tag": kind}


def _row(user_id: int, kind: str, key: str, due_at: datetime, note: dict | None = None) -> dict:
    spec = KINDS[kind]
    return {
        "user_id": user_id,
        "kind": kind,
        "occurrence_key": key,
        "payload": note or notification(kind),
        "topic": spec.topic,
        "urgency": spec.urgency,
        "ttl_seconds": int(spec.ttl.total_seconds()),
        "due_at": due_at,
        "expires_at": due_at + spec.ttl,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due_at,
        "created_at": utcnow(),
    }


def insert_if_absent(rows: list[dict]) -> int:
    """Insert outbox rows, skipping any whose occurrence key exists. Returns how many were new.

    ``ON CONFLICT DO NOTHING`` is atomic on both databases: two clocks inserting the same
    key at the same moment end with one row and no error.
    """
    if not rows:
        return 0
    # The two dialects' INSERTs have the same ON CONFLICT API but are different classes.
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = (
            insert(OutboxMessage)
            .values(rows[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["occurrence_key"])
            .returning(OutboxMessage.id)
        )
        inserted += len(db.session.execute(stmt).all())
    return inserted


# -- what is due ---------------------------------------------------------------------------


def _parse_times(values: list[str]) -> tuple[time, ...]:
    return tuple(sorted(time.fromisoformat(v) for v in values))


def plan_for(
    pref: ReminderPreference, has_homework: bool, appointments: tuple = ()
) -> schedule.Plan:
    """A patient's preferences as the schedule's plain values."""
    quiet = (pref.quiet_start, pref.quiet_end) if pref.quiet_start and pref.quiet_end else None
    return schedule.Plan(
        timezone=zone(pref.timezone).key,
        days=frozenset(pref.days or ()),
        checkin_time=pref.checkin_time if pref.checkin_enabled else None,
        homework_times=(
            _parse_times(pref.homework_times) if pref.homework_enabled and has_homework else ()
        ),
        sitting=(
            (pref.sitting_start, pref.sitting_end, pref.sitting_interval_minutes)
            if pref.sitting_breaks_enabled
            else None
        ),
        quiet=quiet,
        appointments=appointments if pref.appointment_enabled else (),
    )


def preferences_for(user: User) -> ReminderPreference:
    """The patient's stored preferences, or the defaults in their own time zone (unsaved)."""
    pref = db.session.get(ReminderPreference, user.id)
    if pref is None:
        pref = default_preferences(user)
    return pref


def default_preferences(user: User) -> ReminderPreference:
    return ReminderPreference(
        user_id=user.id,
        timezone=user.timezone or "UTC",
        checkin_enabled=True,
        checkin_time=time(20, 0),
        days=[1, 2, 3, 4, 5, 6, 7],
        homework_enabled=True,
        homework_times=["09:00"],
        sitting_breaks_enabled=False,
        sitting_start=time(9, 0),
        sitting_end=time(17, 0),
        sitting_interval_minutes=45,
        appointment_enabled=True,
        quiet_start=time(22, 0),
        quiet_end=time(7, 0),
    )


def enqueue_due(now: datetime | None = None, lookback: timedelta = LOOKBACK) -> int:
    """Write every reminder due in (now - lookback, now] into the outbox. No commit.

    Only patients with a device to send to are considered. Safe to run by several clocks
    and to repeat: the occurrence key keeps one row per reminder.
    """
    with writing():  # reads then writes: on SQLite take the write lock at the start
        return _enqueue_due(now or utcnow(), lookback)


def _enqueue_due(now: datetime, lookback: timedelta) -> int:
    start = now - lookback
    with_device = exists().where(PushSubscription.user_id == User.id)
    rows = db.session.execute(
        select(User, ReminderPreference)
        .outerjoin(ReminderPreference, ReminderPreference.user_id == User.id)
        .where(User.role == Role.PATIENT, User.active.is_(True), with_device)
    ).all()
    if not rows:
        return 0
    user_ids = [user.id for user, _ in rows]
    homework = _homework_spans(user_ids)
    appointments = _upcoming_appointments(user_ids, now)
    new_rows = []
    for user, pref in rows:
        pref = pref or default_preferences(user)
        today = now.astimezone(zone(pref.timezone)).date()
        has_homework = any(
            begin <= today and (end is None or today <= end)
            for begin, end in homework.get(user.id, ())
        )
        plan = plan_for(pref, has_homework, tuple(appointments.get(user.id, ())))
        for occurrence in schedule.due(plan, start, now):
            spec = KINDS[occurrence.kind]
            if occurrence.due_at + spec.ttl <= now:
                continue  # too late to be useful
            note = None
            if occurrence.kind == "appointment":
                note = notification("appointment", when=_when(occurrence, plan, now))
            new_rows.append(
                _row(user.id, occurrence.kind, occurrence.key(user.id), occurrence.due_at, note)
            )
    return insert_if_absent(new_rows)


def _when(occurrence: schedule.Occurrence, plan: schedule.Plan, now: datetime) -> str:
    today = now.astimezone(zone(plan.timezone)).date()
    at = occurrence.local_time.strftime("%H:%M")
    if occurrence.local_date == today + timedelta(days=1):
        return f"tomorrow at {at}"
    if occurrence.local_date == today:
        return f"today at {at}"
    return f"on {occurrence.local_date:%A %d %B} at {at}"


def _homework_spans(user_ids: list[int]) -> dict[int, list]:
    spans = defaultdict(list)
    for patient_id, begin, end in db.session.execute(
        select(Assignment.patient_id, Assignment.start_date, Assignment.end_date).where(
            Assignment.patient_id.in_(user_ids), Assignment.ended_at.is_(None)
        )
    ):
        spans[patient_id].append((begin, end))
    return spans


def _upcoming_appointments(user_ids: list[int], now: datetime) -> dict[int, list]:
    found = defaultdict(list)
    for appointment in db.session.scalars(
        select(Appointment).where(
            Appointment.patient_id.in_(user_ids),
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(days=3),
        )
    ):
        found[appointment.patient_id].append(
            (appointment.id, appointment.starts_at, appointment.created_at)
        )
    return found


def notify_new_homework(patient: User) -> None:
    """Queue a "you have new homework" push for ``patient``. Adds to the session; no commit.

    The push leaves two minutes after the change (or when the patient's quiet hours end);
    further changes before then ride on the same push.
    """
    has_device = db.session.scalar(select(exists().where(PushSubscription.user_id == patient.id)))
    waiting = db.session.scalar(
        select(
            exists().where(
                OutboxMessage.user_id == patient.id,
                OutboxMessage.kind == "homework_new",
                OutboxMessage.status == "pending",
            )
        )
    )
    if not has_device or waiting:
        return
    now = utcnow()
    pref = preferences_for(patient)
    due_at = schedule.quiet_end_after(now + HOMEWORK_NEWS_DELAY, plan_for(pref, True))
    insert_if_absent(
        [_row(patient.id, "homework_new", f"{patient.id}:homework_new:{now.isoformat()}", due_at)]
    )


def queue_test(user: User) -> int | None:
    """Queue a test push (at most one a minute); its id, or None if one was just queued."""
    now = utcnow()
    recent = db.session.scalar(
        select(
            exists().where(
                OutboxMessage.user_id == user.id,
                OutboxMessage.kind == "test",
                OutboxMessage.created_at > now - TEST_INTERVAL,
            )
        )
    )
    if recent:
        return None
    key = f"{user.id}:test:{now.isoformat()}"
    insert_if_absent([_row(user.id, "test", key, now)])
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.occurrence_key == key))


# -- sending ----------------------------------------------------------------------------


def expire_stale(now: datetime) -> int:
    """Messages whose time to live has passed will not be sent any more."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.expires_at <= now,
            or_(OutboxMessage.status == "pending", OutboxMessage.claimed_until < now),
        )
        .values(status="expired", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount  # an UPDATE or DELETE gives a CursorResult


def claim(
    batch: int,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    ids: list[int] | None = None,
) -> list[int]:
    """Take up to ``batch`` due messages for this worker, commit the claim, return their ids.

    Due = pending and time for an attempt, or ``sending`` under a lapsed lease (its sender
    died), and not expired. The claim is ``backend.claims``' one statement, shared with mail.
    """
    now = now or utcnow()
    return claims.claim(
        OutboxMessage, batch, worker_id, now, lease, where=[OutboxMessage.expires_at > now], ids=ids
    )


@dataclass
class _Work:
    message_id: int
    sent_to: list[int]
    pushes: list[tuple[int, Push]]  # (subscription id, push)
    problem: str = ""


def _prepare(message_ids: list[int], now: datetime) -> list[_Work]:
    """Plain values for each claimed message and its devices (no database use after this)."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .execution_options(populate_existing=True)
    ).all()
    by_user = defaultdict(list)
    for sub in db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id.in_({m.user_id for m in messages}))
    ):
        by_user[sub.user_id].append(sub)
    work = []
    for message in messages:
        sent_to = list(message.payload.get("sent_to", []))
        item = _Work(message.id, sent_to, [])
        try:
            data = encode_notification(message.payload)
        except PayloadTooLarge as exc:
            item.problem = str(exc)
            work.append(item)
            continue
        ttl = max(1, int((message.expires_at - now).total_seconds()))
        for sub in by_user[message.user_id]:
            if sub.id not in sent_to:
                item.pushes.append(
                    (
                        sub.id,
                        Push(
                            sub.endpoint,
                            sub.p256dh,
                            sub.auth,
                            data,
                            ttl,
                            message.urgency,
                            message.topic,
                        ),
                    )
                )
        if not item.pushes and not sent_to:
            item.problem = "no device subscribed"
        work.append(item)
    return work


def _backoff(attempts: int) -> timedelta:
    return claims.backoff(attempts, FIRST_BACKOFF, MAX_BACKOFF)


def _settle(
    message: OutboxMessage,
    item: _Work,
    outcomes: list,
    now: datetime,
    devices: dict[str, set[int]],
    totals: Counter,
) -> None:
    """Record what happened to one message; ``devices`` collects subscriptions to update."""
    sent_to = list(item.sent_to)
    retry_after: list[float] = []
    errors = [item.problem] if item.problem else []
    for (sub_id, _push), outcome in zip(item.pushes, outcomes, strict=False):
        totals[outcome.result] += 1
        if outcome.result == "sent":
            sent_to.append(sub_id)
            devices["reached"].add(sub_id)
        elif outcome.result == "gone":
            devices["gone"].add(sub_id)
        elif outcome.result == "retry":
            retry_after.append(outcome.retry_after or 0.0)
            errors.append(outcome.detail)
        else:
            errors.append(outcome.detail)
    message.payload = {**message.payload, "sent_to": sent_to}
    claims.release(message)
    message.last_error = "; ".join(errors)[:1000] or None
    if retry_after:
        wait = max(_backoff(message.attempts), timedelta(seconds=max(retry_after)))
        if now + wait >= message.expires_at:
            message.status = "expired"
        else:
            message.status = "pending"
            message.next_attempt_at = now + wait
    elif sent_to:
        message.status = "sent"
        message.sent_at = message.sent_at or now
    else:
        message.status = "failed"
    totals[message.status + "_messages"] += 1


def _settle_all(work: list[_Work], outcomes: list, worker_id: str, now: datetime) -> Counter:
    """Record every outcome in one transaction, for the messages this worker still holds."""
    totals: Counter = Counter()
    held = claims.held(OutboxMessage, [item.message_id for item in work], worker_id)
    devices: dict[str, set[int]] = {"reached": set(), "gone": set()}
    results = iter(outcomes)
    for item in work:
        mine = [next(results) for _ in item.pushes]
        if item.message_id not in held:
            log.warning("outbox message %s was taken over by another sender", item.message_id)
            continue
        _settle(held[item.message_id], item, mine, now, devices, totals)
    if devices["reached"]:
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(devices["reached"]))
            .values(last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    if devices["gone"]:
        # The browser unsubscribed or the subscription expired: only now is it removed.
        db.session.execute(
            delete(PushSubscription)
            .where(PushSubscription.id.in_(devices["gone"]))
            .execution_options(synchronize_session=False)
        )
    return totals


def deliver(
    sender: Sender, message_ids: list[int], worker_id: str, now: datetime | None = None
) -> Counter:
    """Send claimed messages to every device of their patient, then settle them together."""
    now = now or utcnow()
    with writing():
        work = _prepare(message_ids, now)
        # End the transaction before the network: on SQLite it holds the write lock.
        db.session.commit()
    outcomes = sender.send_all([push for item in work for _sub_id, push in item.pushes])
    with writing():
        totals = _settle_all(work, outcomes, worker_id, now)
        db.session.commit()
    return totals


def send_due(
    sender: Sender,
    worker_id: str,
    now: datetime | None = None,
    batch: int = 200,
    max_batches: int = 1000,
) -> Counter:
    """Claim and send due messages until none are left (or ``max_batches``)."""
    now = now or utcnow()
    totals: Counter = Counter()
    with writing():
        expire_stale(now)
        db.session.commit()
        for _ in range(max_batches):
            message_ids = claim(batch, worker_id, now)
            if not message_ids:
                break
            totals.update(deliver(sender, message_ids, worker_id, now))
    return totals


def send_now(sender: Sender, message_id: int, worker_id: str) -> Counter:
    """Send one message immediately (the "send me a test" button)."""
    now = utcnow()
    with writing():
        claimed = claim(1, worker_id, now, ids=[message_id])
        return deliver(sender, claimed, worker_id, now) if claimed else Counter()


def prune(now: datetime | None = None) -> int:
    """Forget finished messages after a month (the occurrence keys are long past)."""
    now = now or utcnow()
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(FINAL), OutboxMessage.created_at < now - KEEP_FINISHED)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount  # an UPDATE or DELETE gives a CursorResult
