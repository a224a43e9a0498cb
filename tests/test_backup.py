"""``between backup``: a copy taken while a phone keeps writing holds every entry confirmed
before it began, passes the integrity check, and restores with the instance's keys."""

from __future__ import annotations

import http.cookiejar
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from backend.backup import BackupError, make_backup
from backend.demo import DEMO_PASSWORD
from tests.processes import ROOT, between, between_env, drop_schema, fresh_database, serving, stop

PATIENT = "ana@demo.between.example"
DOUBLINGS = 9  # the demo's check-ins copied 2**9 times: a database of some tens of MB


def grow(database: Path) -> None:
    """Make the demo database big enough for the copy to take a measurable time."""
    with sqlite3.connect(database) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(check_in)") if row[1] != "id"]
        names = ", ".join(columns)
        for _ in range(DOUBLINGS):
            conn.execute(f"INSERT INTO check_in ({names}) SELECT {names} FROM check_in")


def login(url: str):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    request = urllib.request.Request(
        f"{url}/api/auth/login",
        data=json.dumps({"email": PATIENT, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "X-Requested-With": "between"},
        method="POST",
    )
    opener.open(request, timeout=30).close()
    return opener


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_under_write_load_restores_every_confirmed_entry(tmp_path):
    instance = tmp_path / "instance"
    env = between_env(instance)
    demo = between("demo", env=env)
    assert demo.wait(timeout=180) == 0, demo.communicate()
    grow(instance / "between.sqlite3")

    with serving(env) as (_server, url):
        phone = login(url)  # a session made before the backup, to use after the restore
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.writer", url, PATIENT, DEMO_PASSWORD],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        confirmed: list[tuple[int, float]] = []
        output = writer.stdout
        assert output is not None

        def read():
            for line in output:
                if line.startswith("confirmed"):
                    _, entry_id, at = line.split()
                    confirmed.append((int(entry_id), float(at)))

        reader = threading.Thread(target=read, daemon=True)
        try:
            assert output.readline().strip() == "ready"
            reader.start()
            while len(confirmed) < 30:
                assert writer.poll() is None
                time.sleep(0.05)
            began = time.time()
            backup = between("backup", str(tmp_path / "backup"), env=env)
            out, err = backup.communicate(timeout=120)
            took = time.time() - began
            assert backup.returncode == 0, err
            time.sleep(2.0)  # the phone keeps writing after the copy
        finally:
            stop(writer)
            reader.join(timeout=10)
    before = {entry_id for entry_id, at in confirmed if at < began}
    during = [entry_id for entry_id, at in confirmed if began <= at <= began + took]
    after = [entry_id for entry_id, at in confirmed if at > began + took]
    assert len(before) >= 30 and after

    folder = tmp_path / "backup"
    copy = folder / "between.sqlite3"
    assert mode(folder) == 0o700
    for name in ("between.sqlite3", "secret_key", "vapid_private.pem", "RESTORE.txt"):
        assert mode(folder / name) == 0o600, name
    for name in ("secret_key", "vapid_private.pem"):
        assert (folder / name).read_bytes() == (instance / name).read_bytes()

    # Restore as RESTORE.txt says, into a new instance folder, and look.
    restored = tmp_path / "restored"
    restored.mkdir()
    for name in ("between.sqlite3", "secret_key", "vapid_private.pem"):
        shutil.copy(folder / name, restored / name)
    with sqlite3.connect(restored / "between.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = {row[0] for row in conn.execute("SELECT id FROM check_in")}
    assert before <= kept
    assert not set(after) & kept
    print(
        f"\nbackup of {copy.stat().st_size / 1e6:.1f} MB under load: {out.strip()}; "
        f"command {took:.2f} s; {len(before)} entries confirmed before it, all restored; "
        f"{len(during)} confirmed while it ran, {len(after)} after"
    )

    # The restored instance knows the phone's session and the same push key.
    # (Cookies are not kept per port: the jar sends the same cookie to the new server.)
    with serving(between_env(restored)) as (_server, url):
        with phone.open(f"{url}/api/me", timeout=30) as response:
            assert json.load(response)["email"] == PATIENT


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        make_backup(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, tmp_path / "backup")


@pytest.mark.postgres
def test_postgresql_backup_runs_pg_dump_or_explains_it(tmp_path, monkeypatch, postgres_url):
    database_url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("k" * 48)
    fresh_database(database_url, tmp_path, "backup_probe")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE backup_probe.entry (id integer primary key)"))
            conn.execute(text("INSERT INTO backup_probe.entry VALUES (1)"))
        if shutil.which("pg_dump"):
            backup = make_backup(database_url, instance, tmp_path / "backup")
            assert backup.database.name == "between.dump" and backup.size > 0
            assert mode(backup.database) == 0o600 and backup.keys == ["secret_key"]
            listing = subprocess.run(
                ["pg_restore", "--list", str(backup.database)], capture_output=True, text=True
            )
            assert listing.returncode == 0
            assert "TABLE DATA backup_probe entry" in listing.stdout
    finally:
        engine.dispose()
        drop_schema(database_url, "backup_probe")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(BackupError, match="pg_restore"):
        make_backup(database_url, instance, tmp_path / "explained")
