"""The clock process: a tick queues and sends; the scheduler catches up at start, never
runs a tick twice at a time, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import OutboxMessage, PushSubscription, utcnow
from backend.push.standin import StandIn
from backend.reminders import clock, outbox


def test_a_tick_queues_what_is_due_and_sends_it(app, factory):
    patient = factory.patient(timezone="UTC")
    pref = outbox.default_preferences(patient)
    pref.timezone, pref.quiet_start, pref.quiet_end = "UTC", None, None
    pref.checkin_time = (utcnow() - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    db.session.add(pref)
    with StandIn() as service:
        phone = service.subscriber()
        db.session.add(
            PushSubscription(
                user_id=patient.id, endpoint=phone.endpoint, p256dh=phone.p256dh, auth=phone.auth
            )
        )
        db.session.commit()
        result = clock.tick(app)
        assert result["queued"] == 1 and result["sent"] == 1
        assert [outbox.kind_of(p["tag"]) for p in service.payloads(phone)] == ["checkin"]
        assert clock.tick(app)["queued"] == 0  # the next minute adds nothing twice
    db.session.rollback()
    assert db.session.scalar(db.select(OutboxMessage.status)) == "sent"


def test_the_minute_job_coalesces_and_never_overlaps(app):
    scheduler = clock.build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    reminders = jobs["reminders"]
    assert reminders.coalesce is True and reminders.max_instances == 1
    assert reminders.misfire_grace_time == 120
    assert reminders.args == (app,)
    assert "second='0'" in str(reminders.trigger)
    # Between ticks, every 10 s, a dead clock's batch (its 30 s lease lapsed) is taken over.
    take_over = jobs["take-over"]
    assert take_over.coalesce is True and take_over.max_instances == 1
    assert "second='10,20,30,40,50'" in str(take_over.trigger)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_clock_process_stops_cleanly_on_sigterm(app, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "BETWEEN_INSTANCE": app.instance_path,
        "BETWEEN_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "clock.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "clock"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            # The catch-up run at start proves the process reaches the database.
            while b"executed successfully" not in log.read_bytes():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert "clock started" in log.read_text() and "clock stopped" in log.read_text()
