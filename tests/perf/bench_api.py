"""Benchmark: the check-in endpoints against a no-op Flask route on the same server.

Run:  .venv/bin/python tests/perf/bench_api.py [--seconds 2] [--rounds 5] [--clients 8]
      [--profile DIR | --app-cpu]
      (with TEST_DATABASE_URL set, PostgreSQL is measured too)

Starts gunicorn (2 sync workers) on loopback with the real app plus one no-op route, logs in
a patient with a year of daily check-ins (the list reads a page of 20 of them) and another
who posts, then drives each endpoint
in turn from client threads over keep-alive-free HTTP. The four endpoints are measured in
``--rounds`` interleaved rounds (no-op, GET, POST, replayed POST, then again), and each ratio
is the median of the per-round ratios to the no-op route of the same round: on a shared,
noisy machine a ratio measured side by side moves much less than a rate.

Goals (issue 11): GET >= 0.6x the no-op route, a replayed POST >= 0.5x (a replay is a read),
a first POST >= 0.25x (a one-row durable insert in a bare Flask route costs about that here).

Beside each endpoint runs its floor: a bare Flask app mounted on the same server
(``/bench/bare``) does the same database work in plain DB-API calls (the session's user,
then the page; or the user, then one durable insert) with no hooks, ORM or validation.
What the app adds is the distance between an endpoint and its floor.

``--app-cpu`` measures instead the app's own CPU per request: its WSGI callable called in
process, with no server, network or client (steadier than rates on a shared machine).

``--profile DIR`` samples both workers with py-spy (one run per endpoint, CPU only) and
writes DIR/<db>-<endpoint>.txt (collapsed stacks) plus a summary of the top frames.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.models import RED_FLAGS  # noqa: E402  (the flags asked at every check-in)

BODY = json.dumps(
    {
        "leg_pain": 5,
        "back_pain": 3,
        "locations": ["buttock"],
        "side": "left",
        "sensations": ["tingling"],
        "sitting_minutes": 200,
        "red_flags": {flag: False for flag in RED_FLAGS},
    }
)
NOOP, GET, POST, REPLAY = (
    "no-op GET",
    "GET /api/checkins",
    "POST /api/checkins",
    "replayed POST (same key)",
)
# The floor: the same database work in a bare Flask app on the same server (bare_app).
BARE_GET, BARE_INSERT = "bare: session, user, page", "bare: session, user, insert"
GOALS = {GET: 0.6, REPLAY: 0.5, POST: 0.25}


def bench_app():
    """The real app plus a no-op route, and beside it on the same server a bare Flask app
    (gunicorn entry point). The bare app is the floor: the same database work as the
    endpoints, in plain DB-API calls with no hooks, no ORM and no validation."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from backend import create_app

    app = create_app()

    @app.get("/bench/noop")
    def noop():
        return "ok"

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bench/bare": bare_app(app)})
    return app


def bare_app(app):
    """GET /page: the session's user, then the newest 20 check-ins, as JSON. POST /insert:
    one durable row (the write of a check-in, without the rest)."""
    from flask import Flask, Response, session

    from backend.extensions import db

    bare = Flask("bare")
    bare.config.update(
        SECRET_KEY=app.config["SECRET_KEY"],
        SESSION_COOKIE_NAME=app.config["SESSION_COOKIE_NAME"],
        SESSION_REFRESH_EACH_REQUEST=False,  # it reads the session, never changes it
    )
    with app.app_context():
        engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = (
        "id, recorded_at, local_date, leg_pain, back_pain, locations, side, sensations, "
        "sitting_minutes, note, red_flag_answers, has_red_flag, urgency"
    )
    names = [name.strip() for name in columns.split(",")]

    def user_id(cursor) -> int:
        ident = int(str(session.get("_user_id", "0")).partition(":")[0])
        cursor.execute(
            f'SELECT id, active, session_version FROM "user" WHERE id = {mark}', (ident,)
        )
        return cursor.fetchone()[0]

    @bare.get("/page")
    def page():
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            if sqlite:
                cursor.execute("BEGIN")
            patient = user_id(cursor)
            cursor.execute(
                f"SELECT {columns} FROM check_in WHERE patient_id = {mark} "
                "ORDER BY recorded_at DESC LIMIT 20",
                (patient,),
            )
            rows = cursor.fetchall()
            connection.rollback()
        finally:
            connection.close()
        items = []
        for row in rows:
            item = dict(zip(names, row, strict=True))
            for name in ("locations", "sensations", "red_flag_answers"):
                if isinstance(item[name], str):
                    item[name] = json.loads(item[name])
            items.append(item)
        return Response(json.dumps({"items": items}, default=str), mimetype="application/json")

    @bare.post("/insert")
    def insert():
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            patient = user_id(cursor)
            cursor.execute(
                "INSERT INTO check_in (patient_id, recorded_at, local_date, received_at, "
                "leg_pain, back_pain, locations, side, sensations, sitting_minutes, "
                f"red_flag_answers, has_red_flag) VALUES ({', '.join([mark] * 12)})",
                (
                    patient,
                    "2026-01-01 10:00:00.000000",
                    "2026-01-01",
                    "2026-01-01 10:00:00.000000",
                    5,
                    3,
                    '["buttock"]',
                    "left",
                    '["tingling"]',
                    200,
                    "{}",
                    False,
                ),
            )
            connection.commit()
        finally:
            connection.close()
        return Response('{"ok": true}', status=201, mimetype="application/json")

    return bare


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
        "from backend.models import Clinic, User, Role, CheckIn, RED_FLAGS\n"
        "from datetime import UTC, datetime, timedelta\n"
        "from flask_migrate import upgrade\n"
        "from sqlalchemy import select, text\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    if db.engine.dialect.name == 'postgresql':\n"
        "        with db.engine.begin() as c: c.execute(text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))\n"
        "    upgrade()\n"
        "    c = Clinic(name='Bench'); db.session.add(c); db.session.flush()\n"
        "    p = User(clinic_id=c.id, role=Role.PRACTITIONER, email='p@bench.test', display_name='P', password_hash=hash_password('bench-password'))\n"
        "    db.session.add(p); db.session.flush()\n"
        "    for email in ('reader@bench.test', 'writer@bench.test'):\n"
        "        db.session.add(User(clinic_id=c.id, role=Role.PATIENT, practitioner_id=p.id, email=email, display_name='B', password_hash=hash_password('bench-password')))\n"
        "    db.session.flush()\n"
        "    reader = db.session.scalar(select(User).filter_by(email='reader@bench.test'))\n"
        "    now = datetime.now(UTC)\n"
        "    for day in range(365):  # a year of daily check-ins: the list reads the newest page\n"
        "        at = now - timedelta(days=day, hours=2)\n"
        "        db.session.add(CheckIn(patient_id=reader.id, recorded_at=at, local_date=at.date(), leg_pain=day % 11, back_pain=3, locations=['buttock'], side='left', sensations=['tingling'], sitting_minutes=200, red_flag_answers={f: False for f in RED_FLAGS}, has_red_flag=False))\n"
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


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes (Linux /proc), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU spent per request by the workers, the database server and the client threads:
    unlike a rate, it hardly moves when other jobs share the machine."""

    def __init__(self, server: subprocess.Popen, database_url: str | None):
        self.server = server
        self.database_url = database_url
        self.per_request: dict[str, list[tuple[float, float, float]]] = {}

    def database_pids(self) -> list[int]:
        if not self.database_url:
            return []
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return [row[0] for row in rows]

    def drive(self, name, port, seconds, clients, make_request) -> float:
        workers, backends = worker_pids(self.server), self.database_pids()
        before = (cpu_seconds(workers), cpu_seconds(backends), sum(os.times()[:2]))
        began = time.perf_counter()
        rate = drive(port, seconds, clients, make_request)
        requests = rate * (time.perf_counter() - began)
        after = (cpu_seconds(workers), cpu_seconds(backends), sum(os.times()[:2]))
        app, database, client = (
            1000 * (a - b) / requests for a, b in zip(after, before, strict=True)
        )
        self.per_request.setdefault(name, []).append((app, database, client))
        return rate

    def median(self, name) -> tuple[float, float, float]:
        rows = self.per_request[name]
        app, database, client = (statistics.median(row[i] for row in rows) for i in range(3))
        return app, database, client


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


def start_server(env) -> tuple[subprocess.Popen, int]:
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
    for _ in range(100):
        try:
            request(port, "GET", "/bench/noop")
            break
        except OSError:
            time.sleep(0.1)
    return server, port


def login(port, email: str) -> dict:
    """Headers that carry the session of this patient."""
    response, _ = request(
        port,
        "POST",
        "/api/auth/login",
        json.dumps({"email": email, "password": "bench-password"}),
        {"Content-Type": "application/json", "X-Requested-With": "between"},
    )
    if response.status != 200:
        raise SystemExit(f"login as {email} answered {response.status}")
    cookies = [
        header.split(";")[0]
        for name, header in response.getheaders()
        if name.lower() == "set-cookie"
    ]
    return {"Cookie": "; ".join(cookies)}


def endpoints(port) -> dict:
    """How to make one request to each endpoint. The list is read by a patient with a year
    of daily check-ins; another patient posts, so the page read stays the same size."""
    reader = login(port, "reader@bench.test")
    post = {
        **login(port, "writer@bench.test"),
        "Content-Type": "application/json",
        "X-Requested-With": "between",
    }
    key = uuid.uuid4().hex
    response, _ = request(port, "POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key})
    if response.status != 201:
        raise SystemExit(f"a check-in answered {response.status}")
    return {
        NOOP: lambda: ("GET", "/bench/noop", None, {}),
        GET: lambda: ("GET", "/api/checkins?limit=20", None, reader),
        BARE_GET: lambda: ("GET", "/bench/bare/page", None, reader),
        POST: lambda: (
            "POST",
            "/api/checkins",
            BODY,
            {**post, "Idempotency-Key": uuid.uuid4().hex},
        ),
        BARE_INSERT: lambda: ("POST", "/bench/bare/insert", BODY, post),
        REPLAY: lambda: ("POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key}),
    }


def worker_pids(server: subprocess.Popen) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(pid) for pid in out.split()]


FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def summarize(collapsed: Path, top: int = 18) -> str:
    """Top frames of py-spy's collapsed stacks: inclusive and self share of the samples."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        names = []
        for frame in stack.split(";"):
            m = FRAME.match(frame)
            if not m:
                continue
            path = m["file"]
            short = path.split("site-packages/")[-1].split("/perf/")[-1]
            names.append(f"{m['func']} ({short})")
        for name in set(names):
            inclusive[name] += n
        if names:
            own[names[-1]] += n
    if not total:
        return "  (no samples)\n"
    lines = [f"  {total} samples; inclusive share (frames under 97 %):"]
    shown = 0
    for name, n in inclusive.most_common():
        if n / total > 0.97:
            continue
        lines.append(f"    {100 * n / total:5.1f} %  {name}")
        shown += 1
        if shown == top:
            break
    lines.append("  self share:")
    for name, n in own.most_common(10):
        lines.append(f"    {100 * n / total:5.1f} %  {name}")
    return "\n".join(lines) + "\n"


def profile(label, port, server, make, seconds, clients, directory: Path) -> None:
    """Sample both workers with py-spy while driving each endpoint."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    slug = label.split()[0].lower()
    for name, maker in make.items():
        outs, spies = [], []
        for pid in worker_pids(server):
            out = directory / f"{slug}-{re.sub(r'[^a-z]+', '-', name.lower()).strip('-')}-{pid}.txt"
            outs.append(out)
            spies.append(
                subprocess.Popen(
                    [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw"]
                    + ["--duration", str(int(seconds) + 1), "--output", str(out), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(0.5)
        rate = drive(port, seconds, clients, maker)
        for p in spies:
            p.wait(timeout=60)
        merged = directory / f"{slug}-{re.sub(r'[^a-z]+', '-', name.lower()).strip('-')}.txt"
        merged.write_text("".join(o.read_text() for o in outs if o.exists()))
        for o in outs:
            o.unlink(missing_ok=True)
        print(f"\n{label} {name}: {rate:.0f} req/s under the profiler")
        print(summarize(merged))


def run(label: str, database_url: str | None, args) -> dict[str, float]:
    env, _ = prepare(database_url)
    server, port = start_server(env)
    try:
        make = endpoints(port)
        if args.profile:
            directory = Path(args.profile)
            directory.mkdir(parents=True, exist_ok=True)
            profile(label, port, server, make, args.seconds, args.clients, directory)
            return {}
        drive(port, 0.5, args.clients, make[NOOP])  # warm both workers
        drive(port, 0.5, args.clients, make[GET])
        meter = Meter(server, database_url)
        rates: dict[str, list[float]] = {name: [] for name in make}
        for _ in range(args.rounds):
            for name, maker in make.items():
                rates[name].append(meter.drive(name, port, args.seconds, args.clients, maker))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)  # a loaded machine can take a while to stop it
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(
        f"\n{label}: gunicorn 2 workers, {args.clients} client threads, "
        f"{args.rounds} rounds of {args.seconds:g} s each (medians)"
    )
    ratios = {}
    noop_cpu = sum(meter.median(NOOP))
    for name, values in rates.items():
        per_round = [v / n for v, n in zip(values, rates[NOOP], strict=True)]
        ratio = ratios[name] = statistics.median(per_round)
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f"goal >= {goal:.2f}x  {'met' if ratio >= goal else 'NOT met'}"
        spread = f"[{min(per_round):.2f}-{max(per_round):.2f}]"
        print(
            f"  {name:26s} {statistics.median(values):7.0f} req/s  "
            f"{ratio:5.2f}x no-op {spread:13s} {verdict}"
        )
    print("  CPU per request (ms): app workers + database server + client = total; ratio")
    for name in rates:
        app, database, client = meter.median(name)
        total = app + database + client
        print(
            f"  {name:26s} {app:5.2f} + {database:5.2f} + {client:5.2f} = {total:5.2f}"
            f"  {noop_cpu / total:5.2f}x no-op"
        )
    return ratios


def app_cpu(database_url: str | None, requests: int) -> None:
    """CPU per request of the app alone: its WSGI callable called in this process, with no
    server, network or client (run in a child process per database, see --app-cpu). The
    best of three runs of ``requests`` each; steadier than rates on a shared machine."""
    import io

    env, _ = prepare(database_url)
    for name in ("BETWEEN_INSTANCE", "BETWEEN_ENV", "DATABASE_URL"):
        if name in env:
            os.environ[name] = env[name]
    app = bench_app()

    def call(method, path, body=None, headers=None):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path.partition("?")[0],
            "QUERY_STRING": path.partition("?")[2],
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body or "")),
        }
        for header, value in (headers or {}).items():
            key = header.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        answer: list[str] = []
        environ["wsgi.input"] = io.BytesIO((body or "").encode())
        data = b"".join(app(environ, lambda status, headers, *_: answer.extend([status, headers])))
        return answer[0], dict(answer[1]) | {"Set-Cookie": _cookies(answer[1])}, data

    def _cookies(headers) -> str:
        return "; ".join(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie")

    def login(email: str) -> dict:
        status, headers, _ = call(
            "POST",
            "/api/auth/login",
            json.dumps({"email": email, "password": "bench-password"}),
            {"Content-Type": "application/json", "X-Requested-With": "between"},
        )
        assert status.startswith("200"), status
        return {"Cookie": headers["Set-Cookie"]}

    reader = login("reader@bench.test")
    post = {
        **login("writer@bench.test"),
        "Content-Type": "application/json",
        "X-Requested-With": "between",
    }
    key = uuid.uuid4().hex
    call("POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key})
    cases = {
        NOOP: lambda: call("GET", "/bench/noop"),
        GET: lambda: call("GET", "/api/checkins?limit=20", None, reader),
        BARE_GET: lambda: call("GET", "/bench/bare/page", None, reader),
        POST: lambda: call(
            "POST", "/api/checkins", BODY, {**post, "Idempotency-Key": uuid.uuid4().hex}
        ),
        BARE_INSERT: lambda: call("POST", "/bench/bare/insert", BODY, post),
        REPLAY: lambda: call("POST", "/api/checkins", BODY, {**post, "Idempotency-Key": key}),
    }
    label = "PostgreSQL" if database_url else "SQLite (WAL)"
    print(
        f"\n{label}: the app's own CPU per request (no server, no client), best of 3 x {requests}"
    )
    for name, make in cases.items():
        for _ in range(30):
            status, _, data = make()
            assert status[0] == "2", (name, status, data[:200])
        best = float("inf")
        for _ in range(3):
            began = time.process_time()
            for _ in range(requests):
                make()
            best = min(best, (time.process_time() - began) / requests)
        print(f"  {name:28s} {1000 * best:6.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--app-cpu",
        action="store_true",
        help="measure the app's own CPU per request in process instead (no server or client)",
    )
    parser.add_argument("--app-cpu-database", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profile", metavar="DIR", help="sample the workers with py-spy")
    args = parser.parse_args()
    runs: list[tuple[str, str | None]] = [("SQLite (WAL)", None)]
    if os.environ.get("TEST_DATABASE_URL"):
        runs.append(("PostgreSQL", os.environ["TEST_DATABASE_URL"]))
    if args.app_cpu_database is not None:
        app_cpu(args.app_cpu_database or None, 400)
        return
    if args.app_cpu:
        for _, url in runs:  # a process each: the app reads its database from the environment
            subprocess.run(
                [sys.executable, __file__, "--app-cpu-database", url or ""], check=True, cwd=ROOT
            )
        return
    met = total = 0
    for label, url in runs:
        ratios = run(label, url, args)
        for name, goal in GOALS.items():
            if name in ratios:
                total += 1
                met += ratios[name] >= goal
    if not args.profile:
        print(f"\ngoals met: {met} of {total}")


if __name__ == "__main__":
    main()
