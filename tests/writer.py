"""A patient's phone that keeps making check-ins, for tests that need real write load.

    python -m tests.writer URL EMAIL PASSWORD

Logs in, then posts check-ins one after another until stopped (SIGTERM), printing
``confirmed <id> <unix time>`` for each one the server confirmed (201), as it arrives.
"""

from __future__ import annotations

import http.cookiejar
import json
import signal
import sys
import time
import urllib.request
import uuid

from backend.models import RED_FLAGS

running = True


def stop(_signum, _frame):
    global running
    running = False


def main(url: str, email: str, password: str) -> None:
    signal.signal(signal.SIGTERM, stop)
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def post(path: str, body: dict, key: str | None = None) -> dict:
        headers = {"Content-Type": "application/json", "X-Requested-With": "between"}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(
            url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with opener.open(request, timeout=30) as response:
            assert response.status in (200, 201), response.status
            return json.load(response)

    post("/api/auth/login", {"email": email, "password": password})
    opener.open(url + "/api/push/key", timeout=30).close()  # the VAPID key exists
    print("ready", flush=True)
    n = 0
    while running:
        n += 1
        entry = post(
            "/api/checkins",
            {
                "leg_pain": n % 11,
                "back_pain": 3,
                "note": f"load test entry {n}",
                "red_flags": {flag: False for flag in RED_FLAGS},
            },
            key=uuid.uuid4().hex,
        )
        print(f"confirmed {entry['id']} {time.time():.6f}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
