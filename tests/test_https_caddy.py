"""The README's HTTPS recipe, for real: Debian's Caddy with its own certificate authority in
front of ``between serve`` (gunicorn) with ``BETWEEN_PROXIES=1``.

Through Caddy the session cookie is Secure, HSTS is sent, a same-origin API call from the
https page is accepted, and the app records the client's own address (the client connects
from 127.0.0.2; Caddy reaches gunicorn from 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import sqlite3
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from backend.demo import DEMO_PASSWORD
from tests.processes import between, between_env, free_port, serving, stop

CADDY = "/usr/bin/caddy"
CLIENT_ADDRESS = "127.0.0.2"
PATIENT = "ana@demo.between.example"

CADDYFILE = """\
{{
	admin off
	skip_install_trust
	storage file_system {{
		root {data}
	}}
}}

https://127.0.0.1:{port} {{
	bind 127.0.0.1
	tls internal
	request_body {{
		max_size 2MB
	}}
	reverse_proxy 127.0.0.1:{upstream} {{
		buffer_requests
	}}
}}
"""


@pytest.fixture(autouse=True)
def caddy_installed():
    """Never skipped: the test command installs Debian's caddy (tests/run)."""
    assert shutil.which(CADDY), (
        "Debian's caddy is missing: run bash tests/run, or apt-get install caddy"
    )


def wait_for_tls(port: int, context: ssl.SSLContext, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                    return
        except (OSError, ssl.SSLError):
            time.sleep(0.2)
    raise AssertionError(f"Caddy did not serve HTTPS on {port} within {timeout} s")


def request(port, context, method, path, body=None, headers=None):
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, context=context, source_address=(CLIENT_ADDRESS, 0), timeout=30
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_caddy_in_front_gives_secure_cookies_hsts_and_the_real_client_address(tmp_path):
    port, upstream = free_port(), free_port()
    public_url = f"https://127.0.0.1:{port}"
    instance = tmp_path / "instance"
    env = between_env(instance, PUBLIC_URL=public_url, BETWEEN_PROXIES="1")
    demo = between("demo", env=env)
    assert demo.wait(timeout=180) == 0, demo.communicate()

    home = tmp_path / "caddy"
    data = home / "data"
    config = tmp_path / "Caddyfile"
    config.write_text(CADDYFILE.format(port=port, upstream=upstream, data=data))
    caddy_env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "PATH": "/usr/bin:/bin",
    }
    with serving(env, "--host", "127.0.0.1", port=upstream):
        caddy = subprocess.Popen(
            [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=caddy_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            # Trust nothing but Caddy's own local CA (created on its first start).
            root = data / "pki" / "authorities" / "local" / "root.crt"
            deadline = time.monotonic() + 60
            while not root.exists() and time.monotonic() < deadline:
                assert caddy.poll() is None, caddy.communicate()
                time.sleep(0.1)
            context = ssl.create_default_context(cafile=str(root))
            wait_for_tls(port, context, caddy)

            status, headers, _ = request(port, context, "GET", "/login")
            assert status == 200
            assert headers["Strict-Transport-Security"].startswith("max-age=")

            status, headers, body = request(
                port,
                context,
                "POST",
                "/api/auth/login",
                body=json.dumps({"email": PATIENT, "password": DEMO_PASSWORD}),
                headers={
                    "Content-Type": "application/json",
                    "X-Requested-With": "between",
                    # The https page's own origin: accepted only if the app knows it is
                    # served over https at this address (X-Forwarded-Proto and -Host).
                    "Origin": public_url,
                    "Sec-Fetch-Site": "same-origin",
                },
            )
            assert status == 200, body
            cookies = headers.get_all("Set-Cookie")
            # Under HTTPS the __Host- name: Secure, this host only, Path=/.
            session = [c for c in cookies if c.startswith("__Host-between_session=")]
            assert session and "Secure" in session[0] and "HttpOnly" in session[0]
            assert "Path=/" in session[0] and "Domain" not in session[0]
        finally:
            stop(caddy)

    with sqlite3.connect(Path(instance) / "between.sqlite3") as conn:
        addresses = [row[0] for row in conn.execute("SELECT ip FROM login_attempt")]
    assert addresses == [CLIENT_ADDRESS]
