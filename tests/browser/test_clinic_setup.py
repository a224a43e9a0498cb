"""A clinic adopts Between from nothing: the real ``between serve`` (no ``--demo``) on a
fresh instance folder, a real SMTP server, and then only the browser.

The owner sets the clinic up from the link ``serve`` prints, invites a practitioner who joins
through the emailed link; the practitioner invites a patient whose phone joins through the
emailed link, checks in, and the check-in shows on the practitioner's "mine" list. The
emails are sent by the clock process inside ``serve`` (each minute, on the minute).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import mailserver
from tests.browser.test_patient_app import quick_checkin

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long new password"
MAIL_WAIT = 150  # the clock sends on the minute: at most a minute, plus start-up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """``between serve`` as the README runs it, in its own process group; its output is
    read line by line (the setup link is in it)."""

    def __init__(self, instance: Path, mail_url: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "PUBLIC_URL", "SECRET_KEY", "BETWEEN_ENV"}
        }
        env.update(
            BETWEEN_INSTANCE=str(instance),
            MAIL_URL=mail_url,
            MAIL_FROM="Harbour Physio <clinic@harbour.example>",
            PYTHONUNBUFFERED="1",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        # The console script the README runs, from this environment.
        between = Path(sys.executable).with_name("between")
        command = [str(between)] if between.exists() else [sys.executable, "-m", "backend.cli"]
        self.process = subprocess.Popen(
            [*command, "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no {pattern!r} in the output:\n{''.join(self.output)[-3000:]}")

    def wait_until_answering(self, timeout: float = 30):
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("serve did not answer:\n" + "".join(self.output)[-3000:])

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


@pytest.fixture
def inbox():
    with mailserver.running_inbox() as inbox:
        yield inbox


@pytest.fixture
def serve(tmp_path, inbox):
    server = Serve(tmp_path / "instance", inbox.url)
    yield server
    server.stop()


def _emailed_link(inbox, address: str, path: str) -> str:
    deadline = time.monotonic() + MAIL_WAIT
    while time.monotonic() < deadline:
        for message in inbox.to(address):
            body = message.get_body(preferencelist=("plain",)).get_content()
            if match := re.search(rf"https?://\S+/{path}/\S+", body):
                return match.group(0)
        time.sleep(0.5)
    raise AssertionError(f"no email with a /{path}/ link reached {address}")


def test_a_clinic_sets_up_invites_its_team_and_a_patient_checks_in(chromium, serve, inbox):
    started = time.monotonic()
    setup_link = serve.wait_for(r"(http://\S+/setup/\S+)", timeout=60).group(1)
    serve.wait_until_answering()
    assert setup_link.startswith(serve.url)

    def desktop():
        return chromium.new_context(base_url=serve.url, viewport={"width": 1366, "height": 900})

    # The owner sets the clinic up.
    owner_context = desktop()
    owner = owner_context.new_page()
    owner.set_default_timeout(15000)
    owner.goto(setup_link)
    owner.get_by_label("Clinic name").fill("Harbour Physio")
    owner.get_by_label("Country").select_option("GB")
    owner.get_by_label("Time zone").select_option("Europe/London")
    owner.get_by_label("Your name").fill("Dr Ana Roux")
    owner.get_by_label("Your email").fill("ana@harbour.example")
    owner.locator("#password").fill(PASSWORD)
    owner.locator("#confirm").fill(PASSWORD)
    owner.get_by_role("button", name="Set up the clinic").click()
    owner.get_by_role("heading", name="Harbour Physio: the team").wait_for()

    # ... and invites a practitioner, who joins through the emailed link.
    owner.get_by_label("Name").fill("Kim Park")
    owner.get_by_label("Email").fill("kim@harbour.example")
    owner.get_by_role("button", name="Invite to the team").click()
    owner.get_by_text("We are emailing the invite to kim@harbour.example").wait_for()
    join_link = _emailed_link(inbox, "kim@harbour.example", "join")
    assert join_link.startswith(serve.url)

    kim_context = desktop()
    kim = kim_context.new_page()
    kim.set_default_timeout(15000)
    kim.goto(join_link)
    kim.get_by_role("heading", name="Join Harbour Physio").wait_for()
    kim.locator("#password").fill(PASSWORD)
    kim.locator("#confirm").fill(PASSWORD)
    kim.get_by_role("button", name="Join").click()
    kim.get_by_role("heading", name="My patients").wait_for()

    # Kim invites a patient; the patient's phone joins through the emailed link.
    kim.get_by_role("navigation", name="Panel").get_by_role("link", name="Invite a patient").click()
    kim.get_by_label("Name").fill("Maya Chen")
    kim.get_by_label("Email").fill("maya@home.example")
    kim.get_by_role("button", name="Create invite").click()
    kim.get_by_text("We are emailing the invite to maya@home.example").wait_for()
    invite_link = _emailed_link(inbox, "maya@home.example", "invite")

    phone_context = chromium.new_context(
        base_url=serve.url,
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(15000)
    phone.goto(invite_link)
    phone.locator("#password").fill(PASSWORD)
    phone.locator("#confirm").fill(PASSWORD)
    phone.get_by_role("button", name="Set my password").click()
    phone.get_by_role("heading", name="Hello, Maya").wait_for()
    quick_checkin(phone, 6, 3)

    # The check-in shows on Kim's "mine" list.
    deadline = time.monotonic() + 20
    while True:
        kim.goto("/panel/")
        row = kim.get_by_role("row").filter(has_text="Maya Chen")
        if row.count() and "never" not in row.inner_text():
            break
        assert time.monotonic() < deadline, row.inner_text() if row.count() else kim.content()
        time.sleep(0.5)
    assert kim.get_by_role("heading", name="My patients").count() == 1
    # Not on the owner's "mine", but on "everyone in the clinic", with Kim as lead.
    owner.goto("/panel/")
    assert owner.get_by_role("row").filter(has_text="Maya Chen").count() == 0
    owner.get_by_role("link", name="Everyone in the clinic", exact=True).click()
    assert "Kim Park" in owner.get_by_role("row").filter(has_text="Maya Chen").inner_text()
    for context in (owner_context, kim_context, phone_context):
        context.close()
    print(f"fresh instance to a check-in on the lead's list in {time.monotonic() - started:.0f}s")
