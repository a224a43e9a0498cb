"""A new version of the patient app: derived from the shell's content, offered with a tap."""

from __future__ import annotations

import shutil
from pathlib import Path

from backend.frontend import precache_manifest
from tests.browser.test_patient_app import log_in, wait_for_worker

MARK = "/* a new version */"


def test_a_changed_shell_file_offers_a_new_version_that_reloads_on_a_tap(
    live, tmp_path, page, patient_world
):
    shell = tmp_path / "frontend"
    shutil.copytree(live.app.config["FRONTEND_DIR"], shell)
    live.app.config["FRONTEND_DIR"] = str(shell)

    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    old = precache_manifest(shell)["version"]
    assert f"between-shell-{old}" in page.evaluate("caches.keys()")
    banner = page.get_by_role("status").filter(has_text="A new version of Between is ready")
    assert not banner.is_visible()

    # A shell file changes on the server: the worker's version changes with it, by itself.
    css = shell / "css" / "app.css"
    css.write_text(css.read_text() + MARK + "\n")
    new = precache_manifest(shell)["version"]
    assert new != old
    assert f'"version":"{new}"' in page.request.get("/app/sw.js").text()

    page.reload()  # the phone opens the app again: the new worker installs and waits
    banner.wait_for(timeout=15000)
    # Until the tap, the page keeps the version it was loaded with.
    assert MARK not in page.evaluate("fetch('css/app.css').then(r => r.text())")

    with page.expect_event("load", timeout=15000):
        banner.get_by_role("button", name="Reload").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert MARK in page.evaluate("fetch('css/app.css').then(r => r.text())")
    shells = {n for n in page.evaluate("caches.keys()") if n.startswith("between-shell-")}
    assert shells == {f"between-shell-{new}"}  # the old version's cache is gone
    assert not banner.is_visible()


def test_the_precache_manifest_lists_every_module_and_hashes_content(tmp_path):
    root = Path(__file__).resolve().parents[2] / "frontend"
    files = precache_manifest(root)["files"]
    for module in (root / "js").rglob("*.js"):
        assert module.relative_to(root).as_posix() in files
    assert "js/vocab.js" in files and "index.html" in files and "sw.js" not in files

    copy = tmp_path / "frontend"
    shutil.copytree(root, copy)
    first = precache_manifest(copy)["version"]
    assert precache_manifest(copy)["version"] == first  # stable while nothing changes
    picture = copy / "exercises" / "heat.svg"
    picture.write_text(picture.read_text().replace("<svg", "<svg data-x='1'", 1))
    assert precache_manifest(copy)["version"] != first
