"""What is due: each patient's reminders in their own time zone, written into the outbox once.

Every row has a unique ``occurrence_key`` and is inserted with ``ON CONFLICT DO NOTHING``:
two clocks, a restarted clock or the repeated hour of a daylight-saving night cannot add a
reminder twice. Callers of ``notify_new_homework`` add to their own transaction and commit
once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite

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
from ..timeutil import zone
from . import schedule
from .defaults import new_preferences
from .kinds import KINDS, notification, outbox_row

LOOKBACK = timedelta(minutes=15)  # a clock that was down this long still catches up
HOMEWORK_NEWS_DELAY = timedelta(minutes=2)  # several changes in a row become one push
TEST_INTERVAL = timedelta(minutes=1)  # the "send me a test" button, at most this often
INSERT_CHUNK = 500  # rows per INSERT: SQLite allows 32,766 bound values per statement


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
    """The clinic's defaults for a new patient (one home: ``reminders.defaults``)."""
    return new_preferences(user)


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
                outbox_row(
                    user.id, occurrence.kind, occurrence.key(user.id), occurrence.due_at, note
                )
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
        [
            outbox_row(
                patient.id, "homework_new", f"{patient.id}:homework_new:{now.isoformat()}", due_at
            )
        ]
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
    insert_if_absent([outbox_row(user.id, "test", key, now)])
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.occurrence_key == key))
