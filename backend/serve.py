"""``between serve``'s processes: the web server and the clock as one group that fails safe.

- The listening socket is bound here, before anything starts: a port already in use is a
  clear error and a non-zero exit, not a second clock running beside a web server that
  never came up. gunicorn inherits the socket (``--bind fd://N``).
- A SIGTERM, SIGINT or SIGHUP to this process alone (``kill PID``, supervisord, systemd
  without a control group) stops every child, then this process.
- When one child exits by itself, the others are stopped and its exit code is ours, so a
  supervisor sees the failure and restarts the group.
- Children are told by the kernel to stop if this process dies without a word (SIGKILL).
"""

from __future__ import annotations

import ctypes
import ipaddress
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

ALL_INTERFACES = {"0.0.0.0", "::", ""}
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_WAIT = 30.0  # gunicorn's graceful_timeout (20 s) and a margin
_PR_SET_PDEATHSIG = 1


class PortInUse(RuntimeError):
    """Another program (perhaps another Between) already listens on this address."""


def bind(host: str, port: int) -> socket.socket:
    """The server's listening socket, inheritable by gunicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def lan_address() -> str | None:
    """This machine's address on its local network, as a phone on the same Wi-Fi sees it.

    The route the kernel would pick to reach an outside address tells which interface faces
    the network; connecting a UDP socket sends nothing. None when there is no such address.
    """
    candidates = []
    for probe in ("192.0.2.1", "10.255.255.255", "8.8.8.8"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                candidates.append(udp.getsockname()[0])
        except OSError:
            continue
    try:
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None


def phone_notes(host: str, port: int, public_url: str | None) -> tuple[str, list[str]]:
    """The address links and QR codes should carry, and what to tell whoever starts the server.

    With ``PUBLIC_URL`` set, that is the address. Listening on every interface without it,
    phones get the machine's LAN address, never ``0.0.0.0`` or loopback, which no phone can
    open; and a word that offline use and push need HTTPS.
    """
    if public_url:
        lines = []
        if not public_url.startswith("https://"):
            lines.append(_HTTPS_NOTE)
        return public_url.rstrip("/"), lines
    if host not in ALL_INTERFACES:
        url = f"http://{_url_host(host)}:{port}"
        if _is_loopback(host):
            return url, [
                f"Listening on this computer only ({url}): phones cannot reach it. "
                "To let phones on this network in, run with --host 0.0.0.0."
            ]
        return url, [_HTTPS_NOTE]
    lan = lan_address()
    if lan is None:
        return f"http://127.0.0.1:{port}", [
            "No network address found for phones: this computer seems to be offline. "
            "Set PUBLIC_URL to the address phones will use.",
            _HTTPS_NOTE,
        ]
    url = f"http://{lan}:{port}"
    return url, [
        f"Phones on this network can open {url}/app/ (invite links and QR codes use it).",
        _HTTPS_NOTE,
    ]


_HTTPS_NOTE = (
    "Phones need HTTPS for the app to work offline and for reminders (push): put Caddy in "
    "front and set PUBLIC_URL=https://your.address and BETWEEN_PROXIES=1 "
    "(README, 'HTTPS on one box')."
)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _die_with_parent() -> None:
    """In a child, before exec: the kernel sends SIGTERM when the parent dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(command: Sequence[str], env: dict[str, str], pass_fds: Sequence[int] = ()):
    """Start a child of the group."""
    return subprocess.Popen(
        list(command),
        env=env,
        pass_fds=tuple(pass_fds),
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def gunicorn_command(fd: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:backend.gunicorn_conf",
        "--workers",
        str(workers),
        "--bind",
        f"fd://{fd}",
        "backend.wsgi:app",
    ]


def supervise(children: dict[str, subprocess.Popen], say=print) -> int:
    """Wait until a stop signal or until one child exits; stop them all; the exit code.

    0 after a stop signal; otherwise the first child's own exit code (1 if it was 0: a
    server that stops by itself has failed).
    """
    stop_requested: list[int] = []

    def on_signal(signum, _frame):
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        code = 0
        while not stop_requested:
            exited = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
            if exited:
                name, returncode = exited[0]
                say(f"The {name} stopped (exit code {returncode}); stopping the rest.")
                code = returncode if returncode > 0 else 1
                break
            time.sleep(0.1)
        stop_all(children)
        return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to every child still running; SIGKILL to any that outlives STOP_WAIT."""
    for process in children.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for process in children.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
