"""Benchmark the panel's patients list: server time and SQL queries at 10, 100, 1,000 patients.

    .venv/bin/python tests/perf/bench_panel.py [--runs 15] [--keep DIR]
    .venv/bin/python tests/perf/bench_panel.py --database-url postgresql://…/an_empty_db

Seeds three clinics (10, 100 and 1,000 patients) in one SQLite database, each patient with
a year of daily check-ins (a second one on some days), two exercises done on most of the
last 60 days, and a few alerts; rows go in with bulk inserts. Then it times GET /panel/ for
each clinic's practitioner (median of ``--runs``, in process, no network) next to a no-op
Flask route on the same app, and counts the SQL statements each list request runs. The
query count must not grow with the number of patients: the script fails if it does.
Beside the wall time it prints the CPU time of the request (``time.process_time`` around the
in-process request, SQLite included), which moves much less than wall time when other jobs
share the machine. The list keeps each patient's figures between views; the columns "all
recomputed" time a view after every patient's figures went stale (the first view of a
clinic day), "one recomputed" a view after one patient wrote something. Goals (issue 11): 1,000 patients listed in <= 25 ms (median wall time),
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

from sqlalchemy import event, insert, inspect, select, text, update  # noqa: E402

from backend import (
    create_app,  # noqa: E402
    models,  # noqa: E402
)
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

# The figures the list keeps between views (absent before they were kept: then None).
KEPT = getattr(models, "PatientSummary", None)


def make_app(directory: str, database_url: str | None = None):
    os.environ.setdefault("BETWEEN_ENV", "development")
    os.environ["BETWEEN_INSTANCE"] = directory
    if database_url and database_url.startswith("postgresql://"):
        database_url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{directory}/bench.sqlite3",
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
    with app.app_context():
        engine = db.engine
        clinic_id = db.session.scalar(
            select(User.clinic_id).where(User.email == practitioner_email)
        )
        patients = db.session.scalars(
            select(User.id).where(User.clinic_id == clinic_id, User.role == Role.PATIENT)
        ).all()

    def stale(ids) -> None:
        """As if these patients had written something (kept figures, where there are any)."""
        if KEPT is not None:
            table = KEPT.__table__
            with engine.begin() as conn:
                conn.execute(
                    update(table)
                    .where(table.c.patient_id.in_(ids))
                    .values(generation=table.c.generation + 1)
                )

    def timed(path: str, before=None) -> dict:
        wall, cpu = [], []
        for _ in range(runs):
            if before:
                before()
            began, used = time.perf_counter(), time.process_time()
            response = client.get(path)
            wall.append(time.perf_counter() - began)
            cpu.append(time.process_time() - used)
            assert response.status_code == 200, path
        return {"ms": statistics.median(wall) * 1000, "cpu_ms": statistics.median(cpu) * 1000}

    def statements(before=None) -> int:
        queries = 0

        def count(*_args):
            nonlocal queries
            queries += 1

        if before:
            before()
        event.listen(engine, "before_cursor_execute", count)
        client.get("/panel/")
        event.remove(engine, "before_cursor_execute", count)
        return queries

    timed("/panel/")  # warm caches (templates, compiled statements)
    one = random.Random(len(patients)).choice(patients)
    return {
        "list": timed("/panel/"),
        "noop": timed("/bench/noop"),
        # The first view of a clinic day, or after everyone wrote: every figure computed.
        "cold": timed("/panel/", before=lambda: stale(patients)),
        "one": timed("/panel/", before=lambda: stale([one])),
        "queries": statements(),
        "cold_queries": statements(before=lambda: stale(patients)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the seeded database in DIR and reuse it on the next run"
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL database of your own instead of SQLite: its schema is replaced "
        "unless it already holds this benchmark's data, which is then reused",
    )
    args = parser.parse_args()
    rng = random.Random(7)
    postgres = bool(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or scratch
        Path(directory).mkdir(parents=True, exist_ok=True)
        app = make_app(directory, args.database_url)
        began = time.perf_counter()
        practitioners = {size: f"pract{size}@bench.example" for size in SIZES}
        with app.app_context():
            if postgres:
                seeded = inspect(db.engine).has_table("user") and bool(
                    db.session.scalar(select(User.id).where(User.email == practitioners[SIZES[-1]]))
                )
                db.session.rollback()
                if not seeded:
                    with db.engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                seeded = (Path(directory) / "bench.sqlite3").stat().st_size > 0
            if not seeded:
                db.create_all()
                seed_library()
                db.session.commit()
                for size in SIZES:
                    seed(size, rng, date.today())
            total = db.session.query(CheckIn).count()
        print(
            f"{'reused' if seeded else 'seeded'} {sum(SIZES)} patients, {total:,} check-ins "
            f"in {time.perf_counter() - began:.1f} s "
            f"({'PostgreSQL: CPU is this process only, not the server' if postgres else 'SQLite'})\n"
        )
        print(
            f"{'patients':>9} {'list (ms)':>10} {'CPU (ms)':>9} {'no-op (ms)':>11} {'ratio':>6} "
            f"{'statements':>11}   {'all recomputed: ms':>18} {'CPU':>6} {'statements':>11}   "
            f"{'one recomputed: ms':>18} {'CPU':>6}"
        )
        results = {}
        for size in SIZES:
            r = results[size] = measure(app, practitioners[size], args.runs)
            print(
                f"{size:>9} {r['list']['ms']:>10.1f} {r['list']['cpu_ms']:>9.1f} "
                f"{r['noop']['ms']:>11.2f} {r['list']['ms'] / r['noop']['ms']:>6.0f} "
                f"{r['queries']:>11}   {r['cold']['ms']:>18.1f} {r['cold']['cpu_ms']:>6.1f} "
                f"{r['cold_queries']:>11}   {r['one']['ms']:>18.1f} {r['one']['cpu_ms']:>6.1f}"
            )
        largest = results[SIZES[-1]]["list"]
        fast = largest["ms"] <= GOAL_MS
        print(
            f"\n{SIZES[-1]:,} patients: {largest['ms']:.1f} ms (CPU {largest['cpu_ms']:.1f} ms)  "
            f"goal <= {GOAL_MS} ms  {'met' if fast else 'NOT met'}"
        )
        counts = sorted({r["queries"] for r in results.values()})
        cold = sorted({r["cold_queries"] for r in results.values()})
        constant = len(counts) == 1 and len(cold) == 1
        print(
            f"statements constant: {'/'.join(map(str, counts))} a view, "
            f"{'/'.join(map(str, cold))} with every figure recomputed, at "
            f"{', '.join(f'{n:,}' for n in SIZES)} patients  {'met' if constant else 'NOT met'}"
        )
        print(f"goals met: {int(fast) + int(constant)} of 2")
        if not constant:
            print("FAIL: the number of statements grows with the number of patients")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
