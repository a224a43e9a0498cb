"""``between serve`` as real processes: slow clients, stop signals, a port in use, and the
address it gives phones."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from backend import serve
from tests.processes import (
    alive,
    between,
    between_env,
    descendants,
    free_port,
    serving,
    stop,
)


@pytest.fixture
def env(tmp_path):
    return between_env(tmp_path / "instance")


def timed_get(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - started


def test_idle_and_half_sent_connections_leave_the_app_answering(env):
    """Two workers, as ``between serve`` runs by default: 20 connections that send nothing
    and 10 that send half a request must not stop the answers to everyone else."""
    with serving(env) as (_process, url):
        port = int(url.rsplit(":", 1)[1])
        for _ in range(10):  # both workers warm (templates compiled, connections open)
            timed_get(f"{url}/login")
        held = []
        try:
            for _ in range(20):
                held.append(socket.create_connection(("127.0.0.1", port)))
            for _ in range(10):
                half = socket.create_connection(("127.0.0.1", port))
                half.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                held.append(half)
            time.sleep(1.0)  # let the server take them all in
            timings = [timed_get(f"{url}/login") for _ in range(20)]
        finally:
            for sock in held:
                sock.close()
    print(
        f"\n20 idle + 10 half-sent connections: worst {max(timings) * 1000:.0f} ms, "
        f"median {sorted(timings)[10] * 1000:.0f} ms over 20 requests"
    )
    assert max(timings) < 2.0


def test_sigterm_to_serve_alone_stops_the_web_server_and_the_clock(env):
    """``kill PID`` or supervisord signal only the process they started."""
    with serving(env) as (process, _url):
        children = descendants(process.pid)
        assert len(children) >= 4  # clock, gunicorn master, two workers
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)]


@pytest.mark.parametrize(
    ("child", "how"),
    [
        ("backend.cli clock", signal.SIGKILL),
        ("gunicorn", signal.SIGKILL),
        ("gunicorn", signal.SIGTERM),
    ],
)
def test_a_child_that_stops_stops_the_group_and_the_exit_code_says_so(env, child, how):
    """A clock or web server killed by the kernel (out of memory, say) or stopped on its
    own takes the group down with a non-zero exit, so the supervisor restarts everything
    instead of running without reminders or without a web server."""
    with serving(env) as (process, _url):
        children = {pid: _cmdline(pid) for pid in descendants(process.pid)}
        # The child itself: the one whose parent is serve (gunicorn's workers are below it).
        [target] = [
            pid
            for pid, command in children.items()
            if child in command and pid not in _grandchildren(process.pid)
        ]
        os.kill(target, how)
        assert process.wait(timeout=40) not in (0, None)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)]


def _grandchildren(pid: int) -> set[int]:
    everyone = descendants(pid)
    return set().union(*(descendants(child) for child in everyone))


def test_a_second_serve_on_a_port_in_use_exits_non_zero_and_starts_nothing(env, tmp_path):
    with serving(env) as (first, url):
        port = url.rsplit(":", 1)[1]
        second = between("serve", "--port", port, env=between_env(tmp_path / "second"))
        try:
            out, err = second.communicate(timeout=60)
        finally:
            stop(second)
        assert second.returncode != 0
        assert "Is Between already running?" in err
        assert first.poll() is None  # the first one is untouched


def test_serve_on_every_interface_gives_phones_the_lan_address(env):
    lan = serve.lan_address()
    if lan is None:
        pytest.skip("this machine has no network address besides loopback")
    port = free_port()
    process = between("serve", "--host", "0.0.0.0", "--port", str(port), env=env)
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline and not any("HTTPS" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
    finally:
        stop(process)
    printed = "".join(lines)
    assert f"http://{lan}:{port}/app/" in printed
    assert "0.0.0.0" not in printed and "127.0.0.1" not in printed
    assert "HTTPS" in printed and "offline" in printed and "PUBLIC_URL" in printed


@pytest.mark.parametrize(
    ("host", "public_url", "expected", "said"),
    [
        ("0.0.0.0", None, "http://192.168.1.20:5000", "http://192.168.1.20:5000/app/"),
        ("::", None, "http://192.168.1.20:5000", "HTTPS"),
        ("127.0.0.1", None, "http://127.0.0.1:5000", "phones cannot reach it"),
        ("0.0.0.0", "https://between.example/", "https://between.example", ""),
        ("0.0.0.0", "http://between.lan", "http://between.lan", "HTTPS"),
    ],
)
def test_the_address_links_carry(monkeypatch, host, public_url, expected, said):
    monkeypatch.setattr(serve, "lan_address", lambda: "192.168.1.20")
    url, notes = serve.phone_notes(host, 5000, public_url)
    assert url == expected
    text = " ".join(notes)
    assert said in text
    if public_url is None and host != "127.0.0.1":
        assert "0.0.0.0" not in text and "127.0.0.1" not in text


def test_without_any_network_address_phones_are_told_to_set_public_url(monkeypatch):
    monkeypatch.setattr(serve, "lan_address", lambda: None)
    _url, notes = serve.phone_notes("0.0.0.0", 5000, None)
    assert "PUBLIC_URL" in notes[0]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_stop_all_kills_a_child_that_ignores_sigterm(monkeypatch):
    monkeypatch.setattr(serve, "STOP_WAIT", 0.5)
    stubborn = subprocess.Popen(
        [
            "python3",
            "-c",
            "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == "ready"
    serve.stop_all({"stubborn": stubborn})
    assert stubborn.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("public_url", "subject", "expected"),
    [
        ("https://between.clinic.example", "", "https://between.clinic.example"),
        ("https://between.clinic.example", "mailto:it@clinic.example", "mailto:it@clinic.example"),
        ("http://192.168.1.20:5000", "", "mailto:admin@between.invalid"),
    ],
)
def test_the_push_subject_is_the_public_https_address(
    monkeypatch, tmp_path, public_url, subject, expected
):
    from backend import config

    monkeypatch.setenv("PUBLIC_URL", public_url)
    monkeypatch.setenv("VAPID_SUBJECT", subject)
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    assert config.load(tmp_path)["VAPID_SUBJECT"] == expected
