"""When reminders are due, in the patient's local time, across daylight-saving nights.

Pure functions with a frozen clock: each test names the UTC window it asks about.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.reminders.schedule import Plan, due, in_quiet_hours, quiet_end_after, to_utc

UTC = UTC
LONDON, NEW_YORK = "Europe/London", "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def day_of(plan: Plan, day: date) -> list:
    """Everything due on one local day (the whole day, in UTC, with a margin)."""
    tz = ZoneInfo(plan.timezone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return [
        o
        for o in due(plan, start - timedelta(seconds=1), start + timedelta(hours=26))
        if o.local_date == day
    ]


def minute_by_minute(plan: Plan, start: datetime, hours: int) -> list:
    """What a clock ticking every minute would find, each window (t-1 min, t]."""
    found = []
    for minute in range(hours * 60):
        end = start + timedelta(minutes=minute + 1)
        found.extend(due(plan, end - timedelta(minutes=1), end))
    return found


def test_the_daily_checkin_is_due_at_the_chosen_local_time():
    plan = Plan(timezone=LONDON, checkin_time=time(20, 0))
    summer = due(plan, utc(2026, 7, 1, 18, 59), utc(2026, 7, 1, 19, 0))
    winter = due(plan, utc(2026, 1, 15, 19, 59), utc(2026, 1, 15, 20, 0))
    assert [o.due_at for o in summer] == [utc(2026, 7, 1, 19, 0)]  # 20:00 BST
    assert [o.due_at for o in winter] == [utc(2026, 1, 15, 20, 0)]  # 20:00 GMT
    assert due(plan, utc(2026, 7, 1, 19, 0), utc(2026, 7, 1, 19, 1)) == []


@pytest.mark.parametrize(
    "zone, spring_day", [(NEW_YORK, date(2026, 3, 8)), (LONDON, date(2026, 3, 29))]
)
def test_the_check_in_keeps_its_wall_clock_time_the_day_after_the_clocks_change(zone, spring_day):
    plan = Plan(timezone=zone, checkin_time=time(20, 0))
    for day in (spring_day - timedelta(days=1), spring_day, spring_day + timedelta(days=1)):
        [occurrence] = day_of(plan, day)
        assert occurrence.due_at.astimezone(ZoneInfo(zone)).time() == time(20, 0)


def test_spring_forward_a_time_in_the_skipped_hour_fires_once_at_the_first_valid_minute_new_york():
    # 2026-03-08 New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    plan = Plan(timezone=NEW_YORK, checkin_time=time(2, 30))
    found = minute_by_minute(plan, utc(2026, 3, 8, 4, 0), hours=6)
    assert len(found) == 1
    assert found[0].due_at == utc(2026, 3, 8, 7, 0)
    assert found[0].due_at.astimezone(ZoneInfo(NEW_YORK)).time() == time(3, 0)
    assert found[0].key(7) == "7:checkin:2026-03-08:02:30"


def test_spring_forward_a_time_in_the_skipped_hour_fires_once_at_the_first_valid_minute_london():
    # 2026-03-29 London: 01:00 GMT jumps to 02:00 BST; 01:30 does not exist.
    plan = Plan(timezone=LONDON, homework_times=(time(1, 30),))
    found = minute_by_minute(plan, utc(2026, 3, 28, 23, 0), hours=4)
    assert [o.due_at for o in found] == [utc(2026, 3, 29, 1, 0)]  # 02:00 BST
    assert found[0].kind == "homework"


@pytest.mark.parametrize(
    "zone, fall_day, first_utc",
    [
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not 01:30 EST
        (LONDON, date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),  # 01:30 BST, not 01:30 GMT
    ],
)
def test_fall_back_a_time_in_the_repeated_hour_fires_once(zone, fall_day, first_utc):
    plan = Plan(timezone=zone, checkin_time=time(1, 30))
    found = minute_by_minute(plan, first_utc - timedelta(hours=2), hours=5)
    assert [o.due_at for o in found] == [first_utc]
    assert len({o.key(1) for o in found}) == 1


def test_a_week_across_a_dst_change_has_one_reminder_a_day_and_no_drift():
    plan = Plan(timezone=NEW_YORK, checkin_time=time(8, 15))
    found = due(plan, utc(2026, 10, 28), utc(2026, 11, 4))
    local = [o.due_at.astimezone(ZoneInfo(NEW_YORK)) for o in found]
    assert [d.date() for d in local] == [date(2026, 10, 28) + timedelta(days=i) for i in range(7)]
    assert {d.time() for d in local} == {time(8, 15)}


def test_only_the_chosen_weekdays():
    plan = Plan(timezone=LONDON, checkin_time=time(9, 0), days=frozenset({1, 3, 5}))
    found = due(plan, utc(2026, 6, 1), utc(2026, 6, 8))  # Monday 1 June to Sunday 7 June
    assert [o.local_date.isoweekday() for o in found] == [1, 3, 5]


def test_quiet_hours_silence_reminders_that_fall_inside_them():
    plan = Plan(
        timezone=LONDON,
        checkin_time=time(22, 30),
        homework_times=(time(6, 45), time(7, 0)),
        quiet=(time(22, 0), time(7, 0)),
    )
    found = due(plan, utc(2026, 6, 1), utc(2026, 6, 3))
    assert {(o.kind, o.local_time) for o in found} == {("homework", time(7, 0))}


@pytest.mark.parametrize(
    "wall, quiet, inside",
    [
        (time(23, 0), (time(22, 0), time(7, 0)), True),
        (time(6, 59), (time(22, 0), time(7, 0)), True),
        (time(7, 0), (time(22, 0), time(7, 0)), False),
        (time(13, 0), (time(12, 0), time(14, 0)), True),
        (time(14, 0), (time(12, 0), time(14, 0)), False),
        (time(3, 0), None, False),
        (time(3, 0), (time(5, 0), time(5, 0)), False),
    ],
)
def test_quiet_hours_may_span_midnight(wall, quiet, inside):
    assert in_quiet_hours(wall, quiet) is inside


def test_standup_breaks_every_interval_within_sitting_hours_on_chosen_days():
    plan = Plan(
        timezone=NEW_YORK, sitting=(time(9, 0), time(12, 0), 45), days=frozenset({1, 2, 3, 4, 5})
    )
    monday = day_of(plan, date(2026, 6, 1))
    assert [o.local_time for o in monday] == [time(9, 45), time(10, 30), time(11, 15)]
    assert {o.kind for o in monday} == {"standup"}
    assert day_of(plan, date(2026, 6, 6)) == []  # Saturday


def test_the_appointment_reminder_comes_at_six_the_evening_before():
    session = utc(2026, 6, 10, 13, 30)  # 14:30 BST
    plan = Plan(timezone=LONDON, appointments=((42, session, utc(2026, 6, 1, 9, 0)),))
    [reminder] = due(plan, utc(2026, 6, 1), utc(2026, 6, 11))
    assert reminder.due_at == utc(2026, 6, 9, 17, 0)  # 18:00 BST the day before
    assert reminder.kind == "appointment" and reminder.ref == "42"
    assert reminder.key(5) == "5:appointment:2026-06-10:14:30:42"


def test_an_appointment_booked_after_six_the_evening_before_is_reminded_at_booking():
    session = utc(2026, 6, 10, 13, 30)
    booked = utc(2026, 6, 9, 19, 12)
    plan = Plan(timezone=LONDON, appointments=((42, session, booked),))
    [reminder] = due(plan, utc(2026, 6, 9), utc(2026, 6, 11))
    assert reminder.due_at == booked


def test_an_appointment_booked_during_quiet_hours_is_reminded_when_they_end():
    session = utc(2026, 6, 10, 13, 30)
    booked = utc(2026, 6, 9, 22, 0)  # 23:00 BST
    plan = Plan(
        timezone=LONDON, quiet=(time(22, 0), time(7, 0)), appointments=((42, session, booked),)
    )
    [reminder] = due(plan, utc(2026, 6, 9), utc(2026, 6, 11))
    assert reminder.due_at == utc(2026, 6, 10, 6, 0)  # 07:00 BST


def test_quiet_end_after_leaves_other_times_alone():
    plan = Plan(timezone=NEW_YORK, quiet=(time(22, 0), time(7, 0)))
    noon = utc(2026, 6, 1, 16, 0)
    assert quiet_end_after(noon, plan) == noon
    assert quiet_end_after(utc(2026, 6, 2, 3, 0), plan) == utc(2026, 6, 2, 11, 0)


def test_to_utc_round_trips_ordinary_times():
    tz = ZoneInfo(NEW_YORK)
    assert to_utc(date(2026, 6, 1), time(20, 0), tz) == utc(2026, 6, 2, 0, 0)
