"""SQLite's write lock under several processes: logins don't hold it while hashing, panel
pages that write take it up front, and workers starting together agree on one SECRET_KEY."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from backend.auth import service
from backend.extensions import db
from tests.conftest import PASSWORD

# These tests are about SQLite's single write lock (PostgreSQL locks rows): they run on
# SQLite alone rather than being skipped on PostgreSQL.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sqlite_path(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("sqlite:///"), url
    return url.removeprefix("sqlite:///")


def probe_the_lock_while_verifying(monkeypatch, module, path: str) -> list[str]:
    """Make ``module.verify_password`` first try to take SQLite's write lock from another
    connection; each check adds "free" (or the error) to the returned list."""
    real_verify = module.verify_password
    seen: list[str] = []

    def verify_while_someone_writes(stored_hash, password):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the request held the lock
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))
        finally:
            other.close()
        return real_verify(stored_hash, password)

    monkeypatch.setattr(module, "verify_password", verify_while_someone_writes)
    return seen


@sqlite_only
def test_login_checks_the_password_without_holding_the_write_lock(app, api, factory, monkeypatch):
    """While Argon2 runs, another connection can begin a write at once (no waiting)."""
    path = _sqlite_path(app)
    user = factory.practitioner()
    seen = probe_the_lock_while_verifying(monkeypatch, service, path)
    email = user.email
    app.config["WTF_CSRF_ENABLED"] = False
    for password, status in ((PASSWORD, 200), ("wrong password", 401)):
        db.session.remove()  # each request begins its own transaction, as in a worker
        answer = api.post("/api/auth/login", json={"email": email, "password": password})
        assert answer.status_code == status
        api.client.post("/logout")
        db.session.remove()
        form = api.client.post("/login", data={"email": email, "password": password})
        assert form.status_code == (302 if status == 200 else 401)
        api.client.post("/logout")
    assert seen == ["free"] * 4, seen


@sqlite_only
def test_closing_the_account_checks_the_password_without_holding_the_write_lock(
    app, api, factory, monkeypatch
):
    """``DELETE /api/me`` asks for the password again: Argon2 runs with the lock free."""
    from backend.progress import api as progress_api

    path = _sqlite_path(app)
    patient = factory.patient()
    seen = probe_the_lock_while_verifying(monkeypatch, progress_api, path)
    api.login(patient)
    db.session.remove()  # each request begins its own transaction, as in a worker
    assert api.delete("/api/me", json={"password": "not my password"}).status_code == 403
    db.session.remove()
    assert api.delete("/api/me", json={"password": PASSWORD}).status_code == 200
    assert seen == ["free", "free"], seen


WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
    con.execute("PRAGMA busy_timeout=5000")
    end = time.monotonic() + float(sys.argv[2])
    print("ready", flush=True)
    n = 0
    while time.monotonic() < end:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO login_attempt (at, email, ip, succeeded) "
            "VALUES ('2026-01-01 00:00:00.000000', 'writer@example.test', '10.0.0.9', 0)"
        )
        con.execute("COMMIT")
        n += 1
        time.sleep(0.0005)
    print(n, flush=True)
    """
)


@sqlite_only
def test_panel_pages_hold_up_while_another_process_writes(app, factory):
    """Each panel page reads, then writes its audit row. With another process committing
    all the while, none may answer 500 "database is locked". The pages are served by a real
    threaded server, a session per request as under gunicorn."""
    path = _sqlite_path(app)
    practitioner = factory.practitioner()
    patient = factory.patient(practitioner)
    factory.checkin(patient)
    pages = ["/panel/", f"/panel/patients/{patient.id}", "/panel/audit"]
    email = practitioner.email
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    browser = requests.Session()
    answer = browser.post(
        base + "/api/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-Requested-With": "between"},
    )
    assert answer.status_code == 200
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, path, "120"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        statuses = [
            browser.get(base + page, allow_redirects=False).status_code
            for _ in range(8)
            for page in pages
        ]
        assert writer.poll() is None, "the writer stopped: it could not get the lock"
    finally:
        writer.terminate()
        writer.wait(timeout=10)
        server.shutdown()
        thread.join(timeout=5)
    assert set(statuses) == {200}, statuses


SECRET_RACE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    os.environ.pop("SECRET_KEY", None)
    from backend.config import _secret_key
    root, start, trials = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    for trial in range(trials):
        folder = root / str(trial)
        folder.mkdir(exist_ok=True)
        while time.time() < start + trial * 0.1:
            pass
        print(trial, _secret_key(folder), flush=True)
    """
)


def test_workers_starting_together_agree_on_one_secret_key(tmp_path):
    """Four processes create the instance's key at the same moment, 20 times over."""
    trials, workers = 20, 4
    start = time.time() + 3  # every process is up and waiting by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SECRET_RACE, str(tmp_path), str(start), str(trials)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        for _ in range(workers)
    ]
    keys: dict[int, set[str]] = {}
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        for line in out.splitlines():
            trial, key = line.split(" ", 1)
            keys.setdefault(int(trial), set()).add(key)
    assert len(keys) == trials
    assert all(len(found) == 1 and len(next(iter(found))) >= 48 for found in keys.values()), keys
    for trial in range(trials):
        assert (tmp_path / str(trial) / "secret_key").stat().st_mode & 0o777 == 0o600
        assert [p.name for p in (tmp_path / str(trial)).iterdir()] == ["secret_key"]


def test_the_sqlite_files_are_private_from_the_first_start(tmp_path):
    """The database, its -wal and its -shm: readable and writable by the owner only."""
    from tests.conftest import make_app, reset_database

    app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path / "instance")
    reset_database(app)  # migrations: the database is written, in WAL mode
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        files = sorted(p.name for p in tmp_path.glob("fresh.sqlite3*"))
        assert files == ["fresh.sqlite3", "fresh.sqlite3-shm", "fresh.sqlite3-wal"]
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("fresh.sqlite3*")}
        db.session.remove()
        db.engine.dispose()
    assert set(modes.values()) == {0o600}, modes


@sqlite_only
def test_a_replayed_entry_is_answered_while_another_worker_holds_the_write_lock(app, api, factory):
    """A replay only reads its stored answer: it does not queue behind a writer (before,
    it began IMMEDIATE and waited out the writer, up to busy_timeout). A new entry still
    writes, once the writer is done."""
    from backend.models import CheckIn
    from tests.conftest import checkin_body, new_key

    path = _sqlite_path(app)
    api.login(factory.patient())
    key = new_key()
    assert api.post("/api/checkins", json=checkin_body(), key=key).status_code == 201
    writer = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    try:
        db.session.remove()  # each request begins its own transaction, as in a worker
        began = time.monotonic()
        replay = api.post("/api/checkins", json=checkin_body(), key=key)
        waited = time.monotonic() - began
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert waited < 1.0, f"the replay waited {waited:.1f} s for the write lock"
        released = threading.Timer(0.3, lambda: writer.execute("ROLLBACK"))
        released.start()
        db.session.remove()
        began = time.monotonic()
        first = api.post("/api/checkins", json=checkin_body(), key=new_key())
        assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
        assert time.monotonic() - began >= 0.25  # it waited for the writer, then wrote
        released.join()
    finally:
        writer.close()
    db.session.remove()
    assert db.session.query(CheckIn).count() == 2
