"""Benchmark the panel's patients list: server time and SQL queries at 10, 100, 1,000 patients.

    .venv/bin/python tests/perf/bench_panel.py [--runs 15]

Seeds three clinics (10, 100 and 1,000 patients) in one SQLite database, each patient with
a year of daily check-ins (a second one on some days), two exercises done on most of the
last 60 days, and a few alerts; rows go in with bulk inserts. Then it times GET /panel/ for
each clinic's practitioner (median of ``--runs``, in process, no network) next to a no-op
Flask route on the same app, and counts the SQL statements each list request runs. The
query count must not grow with the number of patients: the script fails if it does.
Beside the wall time it prints the CPU time of the request (``time.process_time`` around the
in-process request, SQLite included), which moves much less than wall time when other jobs
share the machine. Goals (issue 11): 1,000 patients listed in <= 25 ms (median wall time),
and the same number of SQL statements at every size.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event, insert, select  # noqa: E402

from backend import create_app  # noqa: E402
from backend.auth.passwords import hash_password  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.homework.library import seed_library  # noqa: E402
from backend.models import (
    RED_FLAGS,
    Alert,
    AlertKind,
    Assignment,
    CheckIn,  # noqa: E402
    Clinic,
    Completion,
    Exercise,
    Role,
    User,
    utcnow,
)

PASSWORD = "benchmark password"
SIZES = (10, 100, 1000)
GOAL_MS = 25
DAYS = 365
NO_FLAGS = {flag: False for flag in RED_FLAGS}


def make_app(directory: str):
    os.environ.setdefault("BETWEEN_ENV", "development")
    os.environ["BETWEEN_INSTANCE"] = directory
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.sqlite3",
            "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    app.add_url_rule("/bench/noop", "bench_noop", lambda: "ok")
    return app


def seed(size: int, rng: random.Random, today: date) -> User:
    """One clinic with ``size`` patients and a year of data each. Returns its practitioner."""
    clinic = Clinic(name=f"Clinic of {size}")
    practitioner = User(
        clinic=clinic,
        role=Role.PRACTITIONER,
        email=f"pract{size}@bench.example",
        display_name=f"Dr {size}",
        password_hash=hash_password(PASSWORD),
    )
    db.session.add_all([clinic, practitioner])
    db.session.flush()
    db.session.execute(
        insert(User),
        [
            {
                "clinic_id": clinic.id,
                "role": Role.PATIENT,
                "practitioner_id": practitioner.id,
                "email": f"p{size}-{n}@bench.example",
                "display_name": f"Patient {size}-{n}",
                "timezone": "Europe/London",
                "active": True,
                "session_version": 1,
                "created_at": utcnow(),
            }
            for n in range(size)
        ],
    )
    patients = db.session.scalars(
        select(User.id).where(User.clinic_id == clinic.id, User.role == Role.PATIENT)
    ).all()
    exercises = db.session.scalars(
        select(Exercise.id).where(Exercise.clinic_id.is_(None)).limit(2)
    ).all()
    start = today - timedelta(days=DAYS - 1)
    now = utcnow()
    checkins, assignments = [], []
    for patient_id in patients:
        level = rng.uniform(3, 8)
        trend = rng.uniform(-3, 3)
        quiet = rng.random() < 0.1
        for offset in range(DAYS - (5 if quiet else 0)):
            leg = max(0, min(10, round(level + trend * offset / DAYS + rng.uniform(-1, 1))))
            for _ in range(2 if rng.random() < 0.2 else 1):
                checkins.append(
                    {
                        "patient_id": patient_id,
                        "recorded_at": now,
                        "received_at": now,
                        "local_date": start + timedelta(days=offset),
                        "leg_pain": leg,
                        "back_pain": max(0, leg - 1),
                        "locations": ["buttock"],
                        "side": "left",
                        "sensations": ["tingling"],
                        "sitting_minutes": rng.randint(60, 600),
                        "red_flag_answers": NO_FLAGS,
                        "has_red_flag": False,
                    }
                )
        for exercise_id in exercises:
            assignments.append(
                {
                    "patient_id": patient_id,
                    "exercise_id": exercise_id,
                    "times_per_day": 2,
                    "days_per_week": 7,
                    "start_date": start,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(insert(CheckIn), checkins)
    db.session.execute(insert(Assignment), assignments)
    rows = db.session.execute(
        select(Assignment.id, Assignment.patient_id)
        .join(User, User.id == Assignment.patient_id)
        .where(User.clinic_id == clinic.id)
    ).all()
    completions = []
    for assignment_id, patient_id in rows:
        adherence = rng.random()
        for offset in range(60):
            for _ in range(2):
                if rng.random() < adherence:
                    completions.append(
                        {
                            "assignment_id": assignment_id,
                            "patient_id": patient_id,
                            "completed_at": now,
                            "local_date": today - timedelta(days=offset),
                        }
                    )
    db.session.execute(insert(Completion), completions)
    alerts = [
        {"patient_id": p, "kind": rng.choice(list(AlertKind)), "details": {}, "created_at": now}
        for p in rng.sample(patients, max(1, size // 20))
    ]
    db.session.execute(insert(Alert), alerts)
    db.session.commit()
    return practitioner


def measure(app, practitioner_email: str, runs: int) -> dict:
    client = app.test_client()
    response = client.post(
        "/api/auth/login",
        json={"email": practitioner_email, "password": PASSWORD},
        headers={"X-Requested-With": "between"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    queries = 0

    def count(*_args):
        nonlocal queries
        queries += 1

    cpu: dict[str, list[float]] = {}

    def timed(path: str) -> list[float]:
        out = []
        for _ in range(runs):
            began, used = time.perf_counter(), time.process_time()
            response = client.get(path)
            out.append(time.perf_counter() - began)
            cpu.setdefault(path, []).append(time.process_time() - used)
            assert response.status_code == 200, path
        return out

    timed("/panel/")  # warm caches (templates, compiled statements)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    client.get("/panel/")
    event.remove(engine, "before_cursor_execute", count)
    cpu.clear()
    list_ms = statistics.median(timed("/panel/")) * 1000
    noop_ms = statistics.median(timed("/bench/noop")) * 1000
    return {
        "list_ms": list_ms,
        "list_cpu_ms": statistics.median(cpu["/panel/"]) * 1000,
        "noop_ms": noop_ms,
        "queries": queries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the seeded database in DIR and reuse it on the next run"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or scratch
        Path(directory).mkdir(parents=True, exist_ok=True)
        seeded = (Path(directory) / "bench.sqlite3").exists()
        app = make_app(directory)
        began = time.perf_counter()
        practitioners = {size: f"pract{size}@bench.example" for size in SIZES}
        with app.app_context():
            if not seeded:
                db.create_all()
                seed_library()
                db.session.commit()
                for size in SIZES:
                    seed(size, rng, date.today())
            total = db.session.query(CheckIn).count()
        print(
            f"{'reused' if seeded else 'seeded'} {sum(SIZES)} patients, {total:,} check-ins "
            f"in {time.perf_counter() - began:.1f} s (SQLite)\n"
        )
        print(
            f"{'patients':>9} {'list (ms)':>10} {'CPU (ms)':>9} {'no-op (ms)':>11} {'ratio':>7} "
            f"{'SQL statements':>15}"
        )
        results = {}
        for size in SIZES:
            r = results[size] = measure(app, practitioners[size], args.runs)
            print(
                f"{size:>9} {r['list_ms']:>10.1f} {r['list_cpu_ms']:>9.1f} {r['noop_ms']:>11.2f} "
                f"{r['list_ms'] / r['noop_ms']:>7.0f} {r['queries']:>15}"
            )
        largest = results[SIZES[-1]]
        fast = largest["list_ms"] <= GOAL_MS
        print(
            f"\n{SIZES[-1]:,} patients: {largest['list_ms']:.1f} ms (CPU {largest['list_cpu_ms']:.1f}"
            f" ms)  goal <= {GOAL_MS} ms  {'met' if fast else 'NOT met'}"
        )
        counts = sorted({r["queries"] for r in results.values()})
        constant = len(counts) == 1
        print(
            f"statements constant: {', '.join(map(str, counts))} at "
            f"{', '.join(f'{n:,}' for n in SIZES)} patients  {'met' if constant else 'NOT met'}"
        )
        print(f"goals met: {int(fast) + int(constant)} of 2")
        if not constant:
            print("FAIL: the number of statements grows with the number of patients")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
