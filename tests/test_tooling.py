"""The test command and the lock file stay what the README says they are."""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests import pgserver

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


def test_the_lock_file_pins_every_declared_dependency_within_its_bounds():
    """A dependency added to pyproject.toml without re-locking fails here (see README)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in ("test", "dev"):
        declared += project["optional-dependencies"][extra]
    pins = _locked()
    problems = []
    for spec in map(Requirement, declared):
        version = pins.get(canonicalize_name(spec.name))
        if version is None:
            problems.append(f"{spec.name} is not in requirements.lock")
        elif not spec.specifier.contains(version, prereleases=True):
            problems.append(f"{spec.name}=={version} is outside {spec.specifier}")
    assert not problems, "re-lock (README, Code health): " + "; ".join(problems)


def test_ci_runs_exactly_the_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    assert commands == ['exec bash "$(dirname "$0")/../tests/run" "$@"']
    readme = (ROOT / "README.md").read_text()
    assert "\nbash tests/run\n" in readme


def test_a_killed_runs_private_postgres_is_stopped_by_the_next():
    """pg_ctl detaches the server: if a test run is killed, the next run stops what it left."""
    script = (
        "import time\n"
        "from tests.pgserver import PrivatePostgres\n"
        "server = PrivatePostgres()\n"
        "server.start()\n"
        "print(server.folder, flush=True)\n"
        "time.sleep(300)\n"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        folder = Path(run.stdout.readline().strip())
    finally:
        run.kill()
        run.wait()
    server_pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    assert pgserver._alive(server_pid)  # orphaned, still serving
    pgserver.sweep_orphans(pgserver.server_bin(), pgserver.as_server_user())
    assert not folder.exists()
    for _ in range(50):
        if not pgserver._alive(server_pid):
            break
        time.sleep(0.1)
    assert not pgserver._alive(server_pid)
