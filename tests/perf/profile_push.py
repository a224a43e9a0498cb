"""Profile the push sender: one in-process sender, then where its CPU went.

How tests/perf/PROFILE-push.md was made (py-spy is not a project dependency:
``.venv/bin/pip install py-spy``):

    .venv/bin/py-spy record -r 200 -f raw --threads --gil -o /tmp/push.txt -- \\
        .venv/bin/python tests/perf/profile_push.py send --messages 10000
    .venv/bin/python tests/perf/profile_push.py shares /tmp/push.txt

``send`` fills the outbox (SQLite, or ``--database-url``; a PostgreSQL one is emptied) with due
reminders for phones on the stand-in, then times ``outbox.send_due`` with one sender (window
32, batches of 500) and prints its rate and CPU per message. ``shares`` sorts the samples
taken while sending into the groups of PROFILE-push.md (the first group found in a stack wins).
With ``--root DIR`` the sender's code is taken from another checkout (say, main's), for a
before and after with the same harness.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BUCKETS = [
    ("lease heartbeat", ["Heartbeat._run"]),
    ("claim", ["claims.py)", " claim ("]),
    ("encryption (WebPusher.encode / http_ece)", ["encode (pywebpush", "http_ece"]),
    ("WebPusher.__init__ (deep copy, key decoding)", ["__init__ (pywebpush"]),
    ("VAPID header", ["authorization (backend/push/vapid"]),
    ("recording answers (settling.record)", ["record (backend/reminders/settling"]),
    ("reading claimed rows (delivery._prepare)", ["_prepare (backend/reminders/delivery"]),
    ("commit", ["commit ("]),
    ("handing answers over", ["answers (backend/push/sender", "_release (", "_write_to_self"]),
    ("HTTP client (aiohttp)", ["aiohttp/", "multidict", "yarl"]),
    ("event loop waiting (epoll)", ["select (selectors"]),
    ("event loop and tasks (asyncio)", ["asyncio/"]),
]


def send(args: argparse.Namespace) -> None:
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "tests" / "perf"))
    import bench_push as bench  # type: ignore[import-not-found]  # from --root, at run time

    browser = bench.subscriber()
    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    with tempfile.TemporaryDirectory() as tmp:
        app = bench.make_app(args.database_url, Path(tmp))
        process, origin = bench.start_standin(0.0, False)
        try:
            bench.fill_outbox(app, origin, args.messages, keys, "profile")
            from backend.push.sender import Sender
            from backend.push.vapid import signer
            from backend.reminders import outbox

            with app.app_context():
                sender = Sender(signer(app), workers=32)
                started, cpu = time.perf_counter(), time.process_time()
                totals = outbox.send_due(sender, "profile", batch=500, max_batches=100_000)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                sender.close()
        finally:
            process.terminate()
            process.wait()
    print(
        f"sent {totals['sent']} in {elapsed:.2f} s: {args.messages / elapsed:.0f} msg/s, "
        f"CPU {cpu / args.messages * 1e3:.3f} ms per message (code from {root})"
    )


def shares(args: argparse.Namespace) -> None:
    groups: Counter = Counter()
    frames: Counter = Counter()
    total = 0
    for line in Path(args.raw).read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        thread = stack.split(";", 1)[0]
        if "MainThread" in thread and "send_due" not in stack:
            continue  # filling the outbox, not sending
        if not any(name in thread for name in ("MainThread", "push-sender", "lease-heartbeat")):
            continue
        total += count
        group = next(
            (name for name, keys in BUCKETS if any(key in stack for key in keys)), "the rest"
        )
        groups[group] += count
        frames[stack.rsplit(";", 1)[-1]] += count
    print(f"{total} samples while sending")
    for name, count in groups.most_common():
        print(f"| {100 * count / total:5.1f} % | {name} |")
    print("top frames (self):")
    for frame, count in frames.most_common(15):
        print(f"  {100 * count / total:5.1f} %  {frame[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("send", help="fill the outbox and send it with one sender")
    run.add_argument("--messages", type=int, default=10_000)
    run.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    run.add_argument("--root", default=str(Path(__file__).resolve().parents[2]))
    tally = commands.add_parser("shares", help="group a py-spy raw file's samples")
    tally.add_argument("raw")
    args = parser.parse_args()
    if args.command == "send":
        send(args)
    else:
        shares(args)


if __name__ == "__main__":
    main()
