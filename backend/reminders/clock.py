"""The clock process: one per deployment (``between clock``), never inside a web worker.

Each minute it writes due reminders into the outbox, sends what is due, then sends the
mail queue (``backend.mail.sending``); every 10 s between ticks it sends what became due
again (retries, a dead clock's batch). Every 15 minutes it computes the patients lists'
figures that went stale (``refresh_lists``). Running two clocks by mistake, or restarting one,
neither loses nor doubles a reminder or a mail: occurrence keys and claims with a lease
take care of that (see ``backend.claims``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections import Counter
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select

from ..alerts.escalation import escalate_due
from ..api.routing import prune_answers
from ..auth import throttle
from ..database import writing
from ..extensions import db
from ..mail import sending as mail_sending
from ..models import Clinic
from ..panel import triage
from ..push import sender_for
from ..timeutil import today_for
from . import outbox

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 120}


# One sender at a time in this process: the minute's tick and the takeover between ticks
# would otherwise both claim (harmlessly, but with twice the connections).
_sending = threading.Lock()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def tick(app: Flask) -> dict:
    """Queue what is due now and send everything that is due. Returns counts, for logs."""
    escalated = escalate_due(app)  # first, so the owners' pushes leave in this same tick
    if escalated:
        log.warning("alerts: %s escalated to clinic owners", escalated)
    with app.app_context():
        try:
            queued = outbox.enqueue_due()
            db.session.commit()
            with _sending:
                totals = outbox.send_due(sender_for(app, workers=32), worker_id())
            mailed = _send_mail(app)
        finally:
            db.session.remove()
    if queued or totals:
        log.info("reminders: %s queued, %s", queued, dict(totals))
    return {"queued": queued, **totals, **{f"mail_{k}": v for k, v in mailed.items()}}


def take_over(app: Flask) -> dict:
    """Every 10 s between ticks, send what is due again: retries, and the batch of a sender
    that died (its 30 s lease lapsed), so that it arrives well within 90 s. Skipped while
    this process is already sending."""
    if not _sending.acquire(blocking=False):
        return {}
    try:
        with app.app_context():
            try:
                totals = outbox.send_due(sender_for(app, workers=32), worker_id())
            finally:
                db.session.remove()
    finally:
        _sending.release()
    if totals:
        log.info("reminders taken over or retried: %s", dict(totals))
    return dict(totals)


def _send_mail(app: Flask) -> Counter:
    """The mail queue, after the pushes; a mail problem never stops reminders."""
    try:
        return mail_sending.send_due(app)
    except Exception:
        log.exception("sending mail failed; the queue keeps it for the next minute")
        return Counter()


def housekeeping(app: Flask) -> None:
    """Forget old outbox rows, old login attempts and old Idempotency-Key answers."""
    with app.app_context():
        try:
            with writing():
                outbox.prune()
                throttle.prune()
                prune_answers()
                db.session.commit()
        finally:
            db.session.remove()


def refresh_lists(app: Flask) -> int:
    """The patients lists' figures that went stale: every clinic's new day (each time zone's
    midnight falls on a quarter hour) and patients who wrote since. A practitioner's first
    view of the day then reads kept figures instead of computing a year of data for each
    patient. Returns how many patients' figures were computed."""
    computed = 0
    with app.app_context():
        try:
            clinics = db.session.execute(select(Clinic.id, Clinic.timezone)).all()
            db.session.rollback()
            for clinic_id, tz_name in clinics:
                computed += triage.refresh(clinic_id, today_for(tz_name), tz_name)
        finally:
            db.session.remove()
    if computed:
        log.info("patients lists: figures of %s patients computed", computed)
    return computed


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=UTC)
    # On the minute, so a 20:00 reminder leaves at 20:00:0x, not up to a minute late; and
    # once at start, to catch up after a restart (the look-back window covers the gap).
    scheduler.add_job(
        tick,
        "cron",
        second=0,
        args=[app],
        id="reminders",
        next_run_time=datetime.now(UTC),
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        take_over,
        "cron",
        second="10,20,30,40,50",
        args=[app],
        id="take-over",
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        housekeeping, "cron", minute=17, args=[app], id="housekeeping", **JOB_DEFAULTS
    )
    scheduler.add_job(
        refresh_lists,
        "cron",
        minute="0,15,30,45",
        second=30,
        args=[app],
        id="patients-lists",
        **JOB_DEFAULTS,
    )
    return scheduler


def run(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s clock %(levelname)s %(message)s")
    scheduler = build_scheduler(app)

    def stop(signum, _frame):
        log.info("clock stopping (signal %s)", signum)
        # Let a running tick finish: what it sent gets settled, nothing is sent twice.
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("clock started as %s", worker_id())
    try:
        scheduler.start()
    finally:
        sender = app.extensions.get("between_push_sender")
        if sender is not None:
            sender.close()
    log.info("clock stopped")
