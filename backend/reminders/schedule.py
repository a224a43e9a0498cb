"""When reminders are due: pure functions of a patient's plan and a window of UTC time.

Times are wall-clock times in the patient's IANA zone, so a 20:00 check-in stays at 20:00
across daylight-saving changes. Two nights need care:

- spring forward: a time inside the skipped hour (02:30 in New York) does not exist; the
  reminder fires once, at the first valid minute after the gap (03:00);
- fall back: a time inside the repeated hour happens twice; only its first occurrence
  (``fold=0``) is produced, and the occurrence key (patient, kind, local date, local time)
  makes a second copy impossible anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UTC = UTC
APPOINTMENT_REMINDER_AT = time(18, 0)  # the evening before the session


@dataclass(frozen=True)
class Plan:
    """What a patient asked for, as plain values (built from ReminderPreference)."""

    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(1, 8))  # ISO weekdays
    checkin_time: time | None = None
    homework_times: tuple[time, ...] = ()  # empty when off or when there is no homework
    sitting: tuple[time, time, int] | None = None  # start, end, minutes between breaks
    quiet: tuple[time, time] | None = None  # start, end; may span midnight
    # (appointment id, starts_at UTC, booked_at UTC) for upcoming sessions
    appointments: tuple[tuple[int, datetime, datetime], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Occurrence:
    """One reminder to send: its kind, the local slot it belongs to and when, in UTC."""

    kind: str
    local_date: date
    local_time: time
    due_at: datetime
    ref: str = ""  # e.g. the appointment it is about

    def key(self, user_id: int) -> str:
        """Unique per patient and slot: a second clock or a repeated hour adds nothing."""
        key = f"{user_id}:{self.kind}:{self.local_date.isoformat()}:{self.local_time:%H:%M}"
        return f"{key}:{self.ref}" if self.ref else key


def to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``wall`` on ``day`` in ``tz``.

    Ambiguous (repeated) times give their first occurrence; nonexistent (skipped) times give
    the first minute after the gap, e.g. 02:30 on a spring-forward night -> 03:00.
    """
    first = datetime.combine(day, wall, tzinfo=tz)  # fold=0: the earlier reading
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == first.replace(tzinfo=None):
        return instant
    # Inside a gap: fold=1 reads the time with the offset from after the change, fold=0 with
    # the one from before; the change itself lies between the two. Find its first minute.
    low = first.replace(fold=1).astimezone(UTC)
    high = instant
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def in_quiet_hours(wall: time, quiet: tuple[time, time] | None) -> bool:
    if quiet is None or quiet[0] == quiet[1]:
        return False
    start, end = quiet
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end  # e.g. 22:00-07:00


def quiet_end_after(moment: datetime, plan: Plan) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (for must-send messages)."""
    tz = ZoneInfo(plan.timezone)
    local = moment.astimezone(tz)
    if plan.quiet is None or not in_quiet_hours(local.time(), plan.quiet):
        return moment
    end = plan.quiet[1]
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return to_utc(day, end, tz)


def _daily_times(plan: Plan) -> list[tuple[str, time]]:
    times: list[tuple[str, time]] = []
    if plan.checkin_time is not None:
        times.append(("checkin", plan.checkin_time))
    times.extend(("homework", t) for t in plan.homework_times)
    if plan.sitting is not None:
        start, end, every = plan.sitting
        slot = datetime.combine(date.min, start) + timedelta(minutes=every)
        # Not at the end itself: sitting is over then anyway.
        while every > 0 and slot.time() < end and slot.date() == date.min:
            times.append(("standup", slot.time()))
            slot += timedelta(minutes=every)
    return times


def due(plan: Plan, start: datetime, end: datetime) -> list[Occurrence]:
    """Reminders with ``start < due_at <= end`` (UTC), quiet hours and weekdays applied."""
    tz = ZoneInfo(plan.timezone)
    found: list[Occurrence] = []
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    day = first_day
    while day <= last_day:
        if day.isoweekday() in plan.days:
            for kind, wall in _daily_times(plan):
                at = to_utc(day, wall, tz)
                if start < at <= end and not in_quiet_hours(at.astimezone(tz).time(), plan.quiet):
                    found.append(Occurrence(kind, day, wall, at))
        day += timedelta(days=1)
    found.extend(o for o in appointment_reminders(plan) if start < o.due_at <= end)
    return sorted(found, key=lambda o: (o.due_at, o.kind))


def appointment_reminders(plan: Plan) -> list[Occurrence]:
    """One reminder per upcoming session: 18:00 local the evening before, or at booking
    when booked later than that; moved to the end of quiet hours, and dropped if that would
    be after the session has started."""
    tz = ZoneInfo(plan.timezone)
    reminders = []
    for appointment_id, starts_at, booked_at in plan.appointments:
        session_day = starts_at.astimezone(tz).date()
        at = max(to_utc(session_day - timedelta(days=1), APPOINTMENT_REMINDER_AT, tz), booked_at)
        at = quiet_end_after(at, plan)
        if at < starts_at:
            local = starts_at.astimezone(tz)
            reminders.append(
                Occurrence(
                    "appointment",
                    session_day,
                    local.time().replace(second=0, microsecond=0),
                    at,
                    ref=str(appointment_id),
                )
            )
    return reminders
