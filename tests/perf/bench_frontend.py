"""Benchmark the patient app's weight on the wire, and Lighthouse on a phone, if available.

    .venv/bin/python tests/perf/bench_frontend.py [--no-lighthouse]

1. First-load transfer: opens /app/ in headless Chromium (the login screen, then Today after
   logging in), records every JS and CSS response of that first load and sums their sizes
   raw and gzip-compressed (level 6, as a typical server would send them). Target: under
   100 KB of compressed JS+CSS. Also reported: the chart library loaded on demand by the
   Progress screen, and everything the service worker precaches in the background.
2. Lighthouse (mobile, default throttling) on Today, logged in, with Debian's chromium,
   when a Lighthouse binary is found: $LIGHTHOUSE, or `lighthouse` on PATH (install with
   `npm install -g lighthouse` or `npm install --prefix /tmp/lh lighthouse` and set
   LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse). Targets: performance 95+,
   accessibility 100, best practices 100. Lighthouse 12 has no PWA category; the browser
   tests check the manifest and the service worker instead.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import Cookie, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer  # noqa: E402
from tests.conftest import PASSWORD, Factory, make_app, reset_database  # noqa: E402

TARGET_KB = 100
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def start_app(tmp: Path):
    app = make_app(f"sqlite:///{tmp / 'bench.sqlite3'}", tmp / "instance")
    reset_database(app)
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    server.start()
    with app.app_context():
        from backend.extensions import db
        from backend.homework.library import seed_library
        from backend.models import Exercise

        factory = Factory()
        patient = factory.patient(factory.practitioner(), display_name="Maya Chen")
        seed_library()
        db.session.commit()
        for slug in ("piriformis-stretch", "walking-break"):
            factory.assignment(patient, db.session.query(Exercise).filter_by(slug=slug).one())
        for n in range(5):
            factory.checkin(patient, leg_pain=7 - n // 2)
        email = patient.email
    return server, email


def kind(url: str, content_type: str) -> str | None:
    if url.endswith(".js") or "javascript" in content_type:
        return "js"
    if url.endswith(".css") or "text/css" in content_type:
        return "css"
    return None


def measure(server, email) -> tuple[dict, list[Cookie]]:
    results = {}
    cookies = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(
            base_url=server.url,
            viewport={"width": 360, "height": 780},
            is_mobile=True,
            has_touch=True,
        )
        # Don't let the service worker's background precache blur "what the first load needs".
        context.route("**/sw.js", lambda route: route.abort())
        page = context.new_page()
        seen: dict[str, tuple[str, bytes]] = {}

        def on_response(response):
            k = kind(response.url, response.headers.get("content-type", ""))
            if k and response.ok:
                seen[response.url] = (k, response.body())

        page.on("response", on_response)
        page.goto("/app/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Hello, Maya").wait_for()
        page.wait_for_load_state("networkidle")
        first = dict(seen)
        page.goto("/app/#/progress")
        page.locator("figure.chart canvas").first.wait_for()
        page.wait_for_load_state("networkidle")
        lazy = {u: v for u, v in seen.items() if u not in first}
        cookies = context.cookies()
        context.close()
        browser.close()

    def total(files):
        return {
            "files": len(files),
            "raw": sum(len(b) for _, b in files.values()),
            "gzip": sum(gz(b) for _, b in files.values()),
        }

    results["first_load"] = total(first)
    results["first_load"]["by_file"] = sorted(
        ((u.replace(server.url, ""), gz(b)) for u, (_, b) in first.items()), key=lambda x: -x[1]
    )
    results["progress_on_demand"] = total(lazy)
    frontend = Path(__file__).resolve().parents[2] / "frontend"
    every = [p for p in frontend.rglob("*") if p.is_file()]
    results["precache_all_files"] = {
        "files": len(every),
        "raw": sum(p.stat().st_size for p in every),
        "gzip": sum(gz(p.read_bytes()) for p in every),
    }
    return results, cookies


def lighthouse_bin() -> str | None:
    return os.environ.get("LIGHTHOUSE") or shutil.which("lighthouse")


def run_lighthouse(binary: str, url: str, cookies: list[Cookie], out: Path) -> dict:
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    cmd = [
        binary,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(cmd, check=True, env=env, timeout=240, capture_output=True)
    report = json.loads(out.read_text())
    scores = {k: round(100 * report["categories"][k]["score"]) for k in CATEGORIES}
    failed = {
        k: [
            a["id"]
            for a in (report["audits"][ref["id"]] for ref in report["categories"][k]["auditRefs"])
            if a.get("score") is not None
            and a["score"] < 1
            and a.get("scoreDisplayMode") == "binary"
        ]
        for k in CATEGORIES
    }
    metrics = {
        m: report["audits"][m]["displayValue"]
        for m in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
        if m in report["audits"]
    }
    return {"scores": scores, "metrics": metrics, "failed_audits": failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        server, email = start_app(Path(tmp))
        try:
            results, cookies = measure(server, email)
            first = results["first_load"]
            print(
                f"First load, JS+CSS: {first['files']} files, {first['raw'] / 1024:.1f} KB raw, "
                f"{first['gzip'] / 1024:.1f} KB gzip (target < {TARGET_KB} KB)"
            )
            for path, size in first["by_file"]:
                print(f"    {size / 1024:6.1f} KB  {path}")
            lazy = results["progress_on_demand"]
            print(
                f"Progress screen, loaded on demand: {lazy['files']} files, "
                f"{lazy['gzip'] / 1024:.1f} KB gzip"
            )
            pre = results["precache_all_files"]
            print(
                f"Whole frontend/ (what the service worker precaches, icons included): "
                f"{pre['files']} files, {pre['gzip'] / 1024:.1f} KB gzip"
            )
            ok = first["gzip"] < TARGET_KB * 1024
            binary = None if args.no_lighthouse else lighthouse_bin()
            if args.no_lighthouse:
                print("Lighthouse: skipped (--no-lighthouse)")
            elif not binary:
                print("Lighthouse: not found (set LIGHTHOUSE or put lighthouse on PATH)")
            else:
                results_dir = Path(__file__).parent / "results"
                results_dir.mkdir(exist_ok=True)
                report = run_lighthouse(
                    binary, f"{server.url}/app/", cookies, results_dir / "lighthouse-frontend.json"
                )
                print(f"    full report: {results_dir / 'lighthouse-frontend.json'}")
                print(
                    "Lighthouse (mobile):",
                    ", ".join(f"{k} {v}" for k, v in report["scores"].items()),
                )
                print("    " + ", ".join(f"{k} {v}" for k, v in report["metrics"].items()))
                for category, audits in report["failed_audits"].items():
                    if audits:
                        print(f"    {category} audits not passed: {', '.join(audits)}")
                for category, target in TARGETS.items():
                    if report["scores"][category] < target:
                        ok = False
                        print(
                            f"    below target: {category} {report['scores'][category]} < {target}"
                        )
        finally:
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
