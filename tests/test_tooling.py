"""The test command and the lock file stay what the README says they are."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
