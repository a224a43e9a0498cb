"""Real processes for tests: ``between`` commands, free ports, waiting, and cleaning up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def between_env(instance: Path, database_url: str | None = None, **extra: str) -> dict:
    """The environment of a real ``between`` process on its own instance folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "DATABASE_URL")}
    env.update(BETWEEN_ENV="development", BETWEEN_INSTANCE=str(instance), PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def between(*args: str, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=kw.pop("stdout", subprocess.PIPE),
        stderr=kw.pop("stderr", subprocess.PIPE),
        text=True,
        **kw,
    )


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate() if process.stdout else ("", "")
            raise AssertionError(f"exited with {process.returncode}:\n{out}\n{err}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc), children of children included."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(process: subprocess.Popen, timeout: float = 40.0) -> None:
    """Stop a process we started and everything it started (tests must clean up)."""
    family = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in family:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextmanager
def serving(env: dict, *args: str, port: int | None = None):
    """``between serve`` on a free port, answering; stopped afterwards. Yields (process, url).

    Its output goes to a file, never to an unread pipe: a full pipe would block gunicorn's
    access log and with it every request.
    """
    port = port or free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = between(
            "serve", "--port", str(port), *args, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_answering(f"{url}/login", process)
            except AssertionError as exc:
                log.seek(0)
                raise AssertionError(f"{exc}\n{log.read()[-5000:]}") from None
            yield process, url
        finally:
            stop(process)


def fresh_database(database_url: str, tmp_path: Path, name: str) -> str:
    """An empty database of the same kind: a new SQLite file, or a new PostgreSQL schema
    (so the shared test schema is left alone)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{name}"


def drop_schema(database_url: str, name: str) -> None:
    if database_url.startswith("sqlite"):
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()
