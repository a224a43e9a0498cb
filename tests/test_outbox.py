"""The outbox: every reminder delivered exactly once, with two clocks, two senders, crashes
and restarts, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, time, timedelta

import pytest

from backend.extensions import db
from backend.models import Appointment, OutboxMessage, PushSubscription, ReminderPreference, utcnow
from backend.push.sender import Sender
from backend.push.standin import StandIn
from backend.push.vapid import signer
from backend.reminders import outbox
from tests.conftest import utc

UTC = UTC


@pytest.fixture
def service():
    with StandIn() as running:
        yield running


@pytest.fixture
def senders(app):
    made = [Sender(signer(app), workers=8, timeout=(2, 5)) for _ in range(2)]
    yield made
    for sender in made:
        sender.close()


def device(patient, subscriber) -> None:
    db.session.add(
        PushSubscription(
            user_id=patient.id,
            endpoint=subscriber.endpoint,
            p256dh=subscriber.p256dh,
            auth=subscriber.auth,
        )
    )
    db.session.commit()


def preferences(patient, **values) -> ReminderPreference:
    pref = outbox.default_preferences(patient)
    pref.quiet_start = pref.quiet_end = None
    for name, value in values.items():
        setattr(pref, name, value)
    db.session.add(pref)
    db.session.commit()
    return pref


def statuses() -> Counter:
    db.session.rollback()  # a fresh read: other threads committed since
    db.session.expire_all()
    return Counter(db.session.scalars(db.select(OutboxMessage.status)))


def kinds(service, phone) -> list[str]:
    """The kinds of the reminders a phone got, in order (each tag names its occurrence)."""
    return [outbox.kind_of(p["tag"]) for p in service.payloads(phone)]


def run_together(app, *jobs) -> list:
    """Run each job in its own thread and app context (its own session), started at once."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def runner(index, job):
        with app.app_context():
            try:
                barrier.wait()
                results[index] = job()
            except BaseException as exc:  # re-raised in the test below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def clinic_of_patients(factory, service):
    """20 patients, each with a phone, a check-in and a homework reminder due by ``now``."""
    now = utcnow().replace(second=0, microsecond=0)
    practitioner = factory.practitioner()
    phones = {}
    for _ in range(20):
        patient = factory.patient(practitioner, timezone="UTC")
        factory.assignment(patient)
        preferences(
            patient,
            timezone="UTC",
            checkin_time=(now - timedelta(minutes=5)).time(),
            homework_times=[(now - timedelta(minutes=3)).strftime("%H:%M")],
        )
        phones[patient.id] = service.subscriber()
        device(patient, phones[patient.id])
    return now, phones


def enqueue_and_commit(now):
    def job():
        count = outbox.enqueue_due(now)
        db.session.commit()
        return count

    return job


def test_two_clocks_and_two_senders_deliver_every_reminder_exactly_once(
    app, service, senders, clinic_of_patients
):
    now, phones = clinic_of_patients
    queued = run_together(app, *[enqueue_and_commit(now) for _ in range(2)])
    queued += run_together(app, *[enqueue_and_commit(now + timedelta(minutes=1)) for _ in range(2)])
    assert sum(queued) == 40  # the clocks overlapped; each reminder was written once
    assert statuses() == {"pending": 40}

    totals = run_together(
        app,
        *[
            (lambda s=sender, i=i: outbox.send_due(s, f"sender-{i}", now, batch=5))
            for i, sender in enumerate(senders)
        ],
    )

    assert sum(t["sent"] for t in totals) == 40
    for phone in phones.values():
        assert sorted(kinds(service, phone)) == ["checkin", "homework"]
    assert statuses() == {"sent": 40}
    # A third run, or a clock restarted a minute later, finds nothing new to send.
    assert outbox.enqueue_due(now + timedelta(minutes=2)) == 0
    assert outbox.send_due(senders[0], "sender-0", now + timedelta(minutes=2))["sent"] == 0


def test_claims_by_two_senders_never_overlap(app, clinic_of_patients):
    now, _ = clinic_of_patients
    outbox.enqueue_due(now)
    db.session.commit()

    def claim_all(worker):
        def job():
            taken = []
            while batch := outbox.claim(3, worker, now):
                taken += batch
            return taken

        return job

    first, second = run_together(app, claim_all("a"), claim_all("b"))
    assert len(first) + len(second) == 40
    assert not set(first) & set(second)


def test_a_crashed_senders_messages_are_sent_by_another_once_its_lease_lapses(
    app, service, senders, clinic_of_patients
):
    now, phones = clinic_of_patients
    outbox.enqueue_due(now)
    db.session.commit()
    claimed = outbox.claim(100, "crashed-sender", now)  # ... and the process dies here
    assert len(claimed) == 40 and statuses() == {"sending": 40}

    early = outbox.send_due(senders[0], "survivor", now + outbox.LEASE - timedelta(seconds=5))
    assert early["sent"] == 0  # the lease still holds

    later = outbox.send_due(senders[0], "survivor", now + outbox.LEASE + timedelta(seconds=1))
    assert later["sent"] == 40
    assert all(len(service.payloads(phone)) == 2 for phone in phones.values())
    assert statuses() == {"sent": 40}


def test_a_restarted_clock_catches_up_on_what_was_due_while_it_was_down(
    app, factory, service, senders
):
    now = utc(2026, 6, 1, 20, 10)
    patient = factory.patient(timezone="Europe/London")
    preferences(patient, timezone="Europe/London", checkin_time=time(21, 0))  # 20:00 UTC
    phone = service.subscriber()
    device(patient, phone)
    assert outbox.enqueue_due(utc(2026, 6, 1, 19, 55)) == 0  # before the clock went down
    assert outbox.enqueue_due(now) == 1  # back up ten minutes later
    db.session.commit()
    outbox.send_due(senders[0], "clock", now)
    assert kinds(service, phone) == ["checkin"]


def test_a_reminder_too_old_to_matter_is_not_sent_after_a_long_outage(app, factory, service):
    patient = factory.patient(timezone="UTC")
    preferences(
        patient,
        timezone="UTC",
        sitting_breaks_enabled=True,
        checkin_enabled=False,
        homework_enabled=False,
        sitting_start=time(9, 0),
        sitting_end=time(10, 0),
        sitting_interval_minutes=30,
    )
    device(patient, service.subscriber())
    # The 09:30 stand-up break lives 15 minutes; at 09:46 it is no use any more.
    assert outbox.enqueue_due(utc(2026, 6, 1, 9, 46)) == 0
    assert outbox.enqueue_due(utc(2026, 6, 1, 9, 40)) == 1


@pytest.mark.parametrize(
    "zone, night, at",
    [
        ("America/New_York", date(2026, 11, 1), time(1, 30)),  # fall back: 01:30 happens twice
        ("Europe/London", date(2026, 10, 25), time(1, 30)),
        ("America/New_York", date(2026, 3, 8), time(2, 30)),  # spring forward: 02:30 never happens
        ("Europe/London", date(2026, 3, 29), time(1, 30)),
    ],
)
def test_a_clock_ticking_through_a_dst_night_queues_the_reminder_once(
    app, factory, service, zone, night, at
):
    patient = factory.patient(timezone=zone)
    preferences(patient, timezone=zone, checkin_time=at, homework_enabled=False)
    device(patient, service.subscriber())
    start = utc(night.year, night.month, night.day, 0, 0) - timedelta(hours=2)
    for minute in range(0, 10 * 60, 10):
        outbox.enqueue_due(start + timedelta(minutes=minute))
        db.session.commit()
    keys = db.session.scalars(db.select(OutboxMessage.occurrence_key)).all()
    assert keys == [f"{patient.id}:checkin:{night.isoformat()}:{at:%H:%M}"]


def test_homework_reminders_only_while_there_is_homework(app, factory, service):
    now = utc(2026, 6, 1, 9, 0)
    patient = factory.patient(timezone="UTC")
    preferences(patient, timezone="UTC", checkin_enabled=False, homework_times=["09:00"])
    device(patient, service.subscriber())
    assert outbox.enqueue_due(now) == 0
    factory.assignment(patient, start_date=date(2026, 5, 1), end_date=date(2026, 6, 30))
    assert outbox.enqueue_due(now) == 1


def test_no_device_no_reminders(app, factory):
    patient = factory.patient(timezone="UTC")
    preferences(patient, timezone="UTC", checkin_time=time(9, 0))
    assert outbox.enqueue_due(utc(2026, 6, 1, 9, 0)) == 0
    outbox.notify_new_homework(patient)
    assert statuses() == {}


def test_the_appointment_reminder_says_when_without_saying_what(app, factory, service, senders):
    patient = factory.patient(timezone="Europe/London")
    preferences(patient, timezone="Europe/London", checkin_enabled=False, homework_enabled=False)
    phone = service.subscriber()
    device(patient, phone)
    session = Appointment(
        patient_id=patient.id,
        starts_at=utc(2026, 6, 10, 13, 30),
        created_at=utc(2026, 6, 1, 9, 0),
        note="GB30, BL57; disc L5",
    )
    db.session.add(session)
    db.session.commit()
    evening_before = utc(2026, 6, 9, 17, 0)
    assert outbox.enqueue_due(evening_before) == 1
    db.session.commit()
    outbox.send_due(senders[0], "clock", evening_before)
    [shown] = service.payloads(phone)
    assert shown == {
        "title": "Your next session",
        "body": "Your next session is tomorrow at 14:30.",
        "url": "/app/",
        "tag": shown["tag"],
    }
    assert outbox.kind_of(shown["tag"]) == "appointment"


def test_new_homework_pushes_once_for_a_burst_of_changes(app, factory, service, senders):
    patient = factory.patient(timezone="UTC")
    preferences(patient, timezone="UTC")
    phone = service.subscriber()
    device(patient, phone)
    for _ in range(3):  # the practitioner assigns three exercises in a row
        outbox.notify_new_homework(patient)
    db.session.commit()
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert row.kind == "homework_new"
    assert row.due_at > utcnow()  # a short pause lets the burst settle into one push
    outbox.send_due(senders[0], "clock", row.due_at)
    assert kinds(service, phone) == ["homework_new"]


def test_old_finished_messages_are_pruned(app, factory):
    patient = factory.patient()
    old = outbox.outbox_row(patient.id, "checkin", "old", utcnow() - timedelta(days=40))
    old.update(status="sent", created_at=utcnow() - timedelta(days=40))
    fresh = outbox.outbox_row(patient.id, "checkin", "fresh", utcnow())
    outbox.insert_if_absent([old, fresh])
    assert outbox.prune() == 1
    db.session.commit()
    assert db.session.scalars(db.select(OutboxMessage.occurrence_key)).all() == ["fresh"]


def test_homework_news_after_the_last_push_went_out_is_pushed_again(app, factory, service, senders):
    patient = factory.patient(timezone="UTC")
    preferences(patient, timezone="UTC")
    phone = service.subscriber()
    device(patient, phone)
    outbox.notify_new_homework(patient)
    db.session.commit()
    outbox.send_due(senders[0], "clock", utcnow() + timedelta(minutes=3))
    outbox.notify_new_homework(patient)  # another change, after the first push was sent
    db.session.commit()
    outbox.send_due(senders[0], "clock", utcnow() + timedelta(minutes=3))
    assert kinds(service, phone) == ["homework_new", "homework_new"]
