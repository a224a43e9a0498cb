"""Benchmark: the check-in endpoints against a no-op Flask route on the same server.

Run:  .venv/bin/python tests/perf/bench_api.py [--seconds 5] [--clients 8]
      (with TEST_DATABASE_URL set, PostgreSQL is measured too)

Starts gunicorn (2 sync workers) on loopback with the real app plus one no-op route, logs a
patient in, then drives each endpoint in turn from client threads over keep-alive-free HTTP,
and prints requests/second and the ratio to the no-op route measured in the same run.
Targets: a check-in POST within 25 % of the no-op route's throughput is not realistic on
SQLite (a durable write); we track the ratio so a regression shows.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

RED_FLAGS = {
    k: False
    for k in (
        "bladder_bowel",
        "saddle_numbness",
        "sexual_dysfunction",
        "both_legs",
        "worsening_weakness",
        "fever",
        "night_pain",
        "weight_loss",
        "fall_accident",
    )
}
BODY = json.dumps(
    {
        "leg_pain": 5,
        "back_pain": 3,
        "locations": ["buttock"],
        "side": "left",
        "sensations": ["tingling"],
        "sitting_minutes": 200,
        "red_flags": RED_FLAGS,
    }
)


def bench_app():
    """The real app plus a no-op route (gunicorn entry point)."""
    from backend import create_app

    app = create_app()

    @app.get("/bench/noop")
    def noop():
        return "ok"

    return app


def prepare(database_url: str | None) -> tuple[dict, str]:
    instance = tempfile.mkdtemp(prefix="between-bench-")
    env = dict(
        os.environ,
        BETWEEN_INSTANCE=instance,
        BETWEEN_ENV="development",
        PYTHONPATH=f"{ROOT}:{ROOT / 'tests' / 'perf'}",
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    script = (
        "from backend import create_app\n"
        "from backend.extensions import db\n"
        "from backend.auth.passwords import hash_password\n"
        "from backend.models import Clinic, User, Role\n"
        "from flask_migrate import upgrade\n"
        "from sqlalchemy import text\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    if db.engine.dialect.name == 'postgresql':\n"
        "        with db.engine.begin() as c: c.execute(text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))\n"
        "    upgrade()\n"
        "    c = Clinic(name='Bench'); db.session.add(c); db.session.flush()\n"
        "    p = User(clinic_id=c.id, role=Role.PRACTITIONER, email='p@bench.test', display_name='P', password_hash=hash_password('bench-password'))\n"
        "    db.session.add(p); db.session.flush()\n"
        "    db.session.add(User(clinic_id=c.id, role=Role.PATIENT, practitioner_id=p.id, email='bench@bench.test', display_name='B', password_hash=hash_password('bench-password')))\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return env, instance


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def drive(port, seconds, clients, make_request) -> float:
    count = [0] * clients
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i):
        while time.perf_counter() < stop:
            method, path, body, headers = make_request()
            response, _ = request(port, method, path, body, headers)
            if response.status >= 400:
                errors[i] += 1
            count[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if sum(errors):
        raise SystemExit(f"{sum(errors)} requests failed")
    return sum(count) / elapsed


def run(label: str, database_url: str | None, seconds: float, clients: int) -> None:
    env, _ = prepare(database_url)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench_api:bench_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                request(port, "GET", "/bench/noop")
                break
            except OSError:
                time.sleep(0.1)
        response, _ = request(
            port,
            "POST",
            "/api/auth/login",
            json.dumps({"email": "bench@bench.test", "password": "bench-password"}),
            {"Content-Type": "application/json", "X-Requested-With": "between"},
        )
        cookie = response.getheader("Set-Cookie").split(";")[0]
        base = {"Cookie": cookie}
        post = {**base, "Content-Type": "application/json", "X-Requested-With": "between"}
        results = {
            "no-op GET": drive(port, seconds, clients, lambda: ("GET", "/bench/noop", None, {})),
            "GET /api/checkins": drive(
                port, seconds, clients, lambda: ("GET", "/api/checkins?limit=20", None, base)
            ),
            "POST /api/checkins": drive(
                port,
                seconds,
                clients,
                lambda: (
                    "POST",
                    "/api/checkins",
                    BODY,
                    {**post, "Idempotency-Key": uuid.uuid4().hex},
                ),
            ),
        }
        key = uuid.uuid4().hex
        request(port, "POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key})
        results["replayed POST (same key)"] = drive(
            port,
            seconds,
            clients,
            lambda: ("POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key}),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    noop = results["no-op GET"]
    print(f"\n{label}: gunicorn 2 workers, {clients} client threads, {seconds:g} s each")
    for name, rate in results.items():
        print(f"  {name:28s} {rate:8.0f} req/s   {rate / noop:6.2f} x no-op")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    run("SQLite (WAL)", None, args.seconds, args.clients)
    if os.environ.get("TEST_DATABASE_URL"):
        run("PostgreSQL", os.environ["TEST_DATABASE_URL"], args.seconds, args.clients)


if __name__ == "__main__":
    main()
