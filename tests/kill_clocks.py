"""Reminders under SIGKILL: two real clock processes, the shipped push stand-in, and a kill
aimed at the clock that is sending.

    .venv/bin/python -m tests.kill_clocks --rounds 5                 # a fresh SQLite file
    .venv/bin/python -m tests.kill_clocks --rounds 5 --database postgresql://u:p@host/db
                                                          # (empties that database first)

Each round queues two reminders due now for each of 60 patients (half of them with two
phones), starts two ``between clock`` processes and, as soon as a quarter of the pushes has
reached the stand-in, sends SIGKILL to the clock holding messages in ``sending``. It then
waits until every reminder has reached every phone and stops the survivor. The stand-in
answers each push after 0.3 s, like a push service across the internet, so a kill always
lands with pushes in flight.

Figures per round: pushes expected and received; repeated (received twice by one phone:
only what was in flight may be); in flight at the stand-in when the kill landed; missing
(never received: must be 0); shown twice (one reminder under two tags on one phone: must be
0, since the phone replaces a notification with the same tag); the latest first arrival
after the reminders were due (must be under 90 s).

``tests/test_outbox_faults.py`` runs one round on each test database.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import OutboxMessage, PushSubscription, ReminderPreference, utcnow
from backend.push.standin import StandIn
from backend.push.vapid import signer
from backend.reminders import outbox

PATIENTS = 60
REMINDERS_EACH = 2
LATENCY = 0.3  # seconds the stand-in takes to answer each push
KILL_AFTER = 0.25  # share of the pushes received before the kill
MAX_IN_FLIGHT = 32  # the clock's sender keeps at most this many pushes open
ROUND_LIMIT = 100.0  # seconds: a round that takes longer has lost something


@dataclass
class Figures:
    pushes: int = 0
    received: int = 0
    repeated: int = 0
    in_flight_at_kill: int = 0  # pushes the stand-in was still answering
    unrecorded_at_kill: int = 0  # pushes the stand-in took that the dead clock had not recorded
    killed_holding: int = 0  # messages the killed clock held in "sending"
    missing: int = 0
    shown_twice: int = 0
    latest_seconds: float = 0.0
    round_seconds: float = 0.0


class Clocks:
    """``between clock`` processes on the app's database and instance folder."""

    def __init__(self, app: Flask, logs: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "BETWEEN_INSTANCE": app.instance_path,
            "BETWEEN_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("MAIL_URL", None)
        self.logs = logs
        self.running: dict[int, subprocess.Popen] = {}
        self._started = 0

    def start(self) -> subprocess.Popen:
        self._started += 1
        log = open(self.logs / f"clock-{self._started}.log", "wb")  # noqa: SIM115 (kept open)
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "clock"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running[process.pid] = process
        return process

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.running.pop(pid).wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs.glob("*.log"))


def prepare(app: Flask, service: StandIn, factory) -> dict[int, list]:
    """Patients with reminders switched off (the clocks queue nothing of their own) and one
    or two phones each on the stand-in. Returns each patient's phones."""
    signer(app)  # the instance's VAPID key exists before two clocks read it
    practitioner = factory.practitioner()
    phones: dict[int, list] = {}
    for n in range(PATIENTS):
        patient = factory.patient(practitioner, timezone="UTC")
        pref = outbox.default_preferences(patient)
        pref.checkin_enabled = pref.homework_enabled = pref.appointment_enabled = False
        db.session.add(pref)
        phones[patient.id] = [service.subscriber() for _ in range(1 + n % 2)]
        for phone in phones[patient.id]:
            db.session.add(
                PushSubscription(
                    user_id=patient.id,
                    endpoint=phone.endpoint,
                    p256dh=phone.p256dh,
                    auth=phone.auth,
                )
            )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReminderPreference)) == PATIENTS
    return phones


def sending_by_worker() -> Counter:
    db.session.rollback()
    return Counter(
        dict(
            db.session.execute(
                select(OutboxMessage.claimed_by, func.count())
                .where(OutboxMessage.status == "sending")
                .group_by(OutboxMessage.claimed_by)
            ).all()
        )
    )


def unfinished() -> int:
    db.session.rollback()
    count = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_(("pending", "sending")))
    )
    return count or 0


def unrecorded(service: StandIn, phones: dict, keys: dict, worker: str, before: dict) -> int:
    """Pushes of the dead clock's messages that reached the stand-in but not its records.

    Read a moment after the kill (pushes already on the wire still arrive); the dead
    clock's rows stay as they are until its lease lapses.
    """
    time.sleep(1.0)
    db.session.rollback()
    held = db.session.execute(
        select(OutboxMessage.occurrence_key, OutboxMessage.payload).where(
            OutboxMessage.status == "sending", OutboxMessage.claimed_by == worker
        )
    ).all()
    count = 0
    with service._lock:
        for key, payload in held:
            tag = outbox.tag_for("checkin", key)
            for phone in phones[keys[key]]:
                got = service.received[phone.token][before.get(phone.token, 0) :]
                count += sum(
                    1 for r in got if isinstance(r.payload, dict) and r.payload["tag"] == tag
                )
            count -= len(payload.get("sent_to", []))
    return count


def one_round(app: Flask, service: StandIn, clocks: Clocks, phones: dict, number: int) -> Figures:
    figures = Figures()
    before = {token: len(items) for token, items in service.received.items()}
    due_at = utcnow()
    keys = {}
    rows = []
    for patient_id in phones:
        for k in range(REMINDERS_EACH):
            key = f"{patient_id}:fault:{number}:{k}"
            keys[key] = patient_id
            rows.append(outbox.outbox_row(patient_id, "checkin", key, due_at))
    outbox.insert_if_absent(rows)
    db.session.commit()
    figures.pushes = sum(len(phones[p]) for p in keys.values())
    started = time.monotonic()

    for _ in range(2):
        clocks.start()
    killed = False
    while unfinished():
        elapsed = time.monotonic() - started
        if elapsed > ROUND_LIMIT:
            raise AssertionError(
                f"round {number} unfinished after {elapsed:.0f} s\n{clocks.output()}"
            )
        if not killed:
            received = service.stats()["received"] - sum(before.values())
            holding = sending_by_worker()
            if received >= KILL_AFTER * figures.pushes and holding:
                worker, count = holding.most_common(1)[0]
                pid = int(str(worker).split(":")[1])
                if pid in clocks.running:
                    with service._lock:
                        figures.in_flight_at_kill = service.in_flight
                    clocks.kill(pid)
                    figures.killed_holding = count
                    figures.unrecorded_at_kill = unrecorded(service, phones, keys, worker, before)
                    killed = True
            time.sleep(0.01)
        else:
            time.sleep(0.2)
    figures.round_seconds = round(time.monotonic() - started, 1)
    clocks.stop_all()
    if not killed:
        raise AssertionError(f"round {number}: the clocks finished before a kill could land")

    tags_per_key = {key: outbox.tag_for("checkin", key) for key in keys}
    latest = 0.0
    for patient_id, devices in phones.items():
        mine = [tag for key, tag in tags_per_key.items() if keys[key] == patient_id]
        for phone in devices:
            got = [
                (r.payload["tag"], r.at)
                for r in service.received[phone.token][before.get(phone.token, 0) :]
                if isinstance(r.payload, dict)
            ]
            figures.received += len(got)
            counts = Counter(tag for tag, _at in got)
            figures.repeated += sum(n - 1 for n in counts.values())
            figures.missing += sum(1 for tag in mine if tag not in counts)
            # One reminder under two tags would show twice; the tag is the occurrence's own.
            figures.shown_twice += sum(1 for tag in counts if tag not in mine)
            for tag in mine:
                first = min((at for seen, at in got if seen == tag), default=None)
                if first is not None:
                    latest = max(latest, first - due_at.timestamp())
    figures.latest_seconds = round(latest, 1)
    return figures


def run(app: Flask, factory, rounds: int, logs: Path) -> list[Figures]:
    with StandIn(latency=LATENCY) as service:
        phones = prepare(app, service, factory)
        clocks = Clocks(app, logs)
        try:
            return [one_round(app, service, clocks, phones, n) for n in range(1, rounds + 1)]
        finally:
            for pid in list(clocks.running):
                clocks.kill(pid)


def main() -> None:
    from tests.conftest import Factory, make_app, reset_database

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", help="a PostgreSQL URL (emptied!); default a new SQLite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="between-kill-"))
    url = args.database or f"sqlite:///{folder / 'between.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = make_app(url, folder / "instance")
    reset_database(app)
    with app.app_context():
        for number, figures in enumerate(run(app, Factory(), args.rounds, folder), start=1):
            print(f"round {number}: {asdict(figures)}", flush=True)
    print(f"clock logs in {folder}")


if __name__ == "__main__":
    main()
