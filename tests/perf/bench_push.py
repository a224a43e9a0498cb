"""Benchmark: sending due reminders through the local push stand-in.

Run:  .venv/bin/python tests/perf/bench_push.py [--messages 10000] [--naive 1000]
      [--senders 2] [--rounds 3] [--latency-ms 50] [--database-url postgresql://...]
      [--scale 100000] [--scale-senders 4]

Measured in one run on this machine, against the stand-in in its own process (fast mode:
VAPID and TTL checked only when --verify is given, payloads not decrypted, so the service
is not the bottleneck):

  a) our path: 10,000 due reminders in the outbox, claimed, encrypted, sent and recorded by
     --senders sender processes (each: one aiohttp session, cached VAPID header, at most
     32 pushes out and unrecorded), as several clocks or `between sender` processes would;
  b) a naive loop of ``pywebpush.webpush()`` calls, the way its README shows (a key file,
     a claims dict, no session): a new connection, key parse and JWT per message;
  c) encryption alone (RFC 8291 aes128gcm per message): the ceiling for any sender in Python;

then the same a) and b) against a push service that takes --latency-ms to answer, which is
what a real one over the internet does. a), b) and c) are repeated --rounds times,
interleaved, and the medians compared.

Scale-out (PostgreSQL only: --database-url or TEST_DATABASE_URL): --scale reminders
(100,000) due in the same minute, sent through the outbox by --scale-senders processes to
a stand-in answering after 50 ms; the stand-in keeps every encrypted body, and afterwards
each is decrypted as the phone would: every occurrence's tag must have arrived exactly
once on its device.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SUBJECT = "mailto:bench@between.invalid"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_standin(latency: float, verify: bool, keep: bool = False) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "backend.push.standin",
        "--port",
        str(port),
        "--fast",
        "--latency",
        str(latency),
    ]
    if not verify:
        args.append("--no-vapid")
    if keep:
        args.append("--keep")
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{origin}/stats", timeout=1)
            return process, origin
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the push stand-in did not start")


def subscriber():
    """One browser key pair for every subscription: encryption still runs per message."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from backend.push.standin import Subscriber

    return Subscriber("bench", "", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


def make_app(database_url: str | None, instance: Path):
    os.environ["BETWEEN_INSTANCE"] = str(instance)
    os.environ.setdefault("BETWEEN_ENV", "development")
    from backend import create_app

    url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "PUSH_ALLOW_LOOPBACK": True, "VAPID_SUBJECT": SUBJECT}
    )


def fill_outbox(app, origin: str, count: int, keys: dict, run: str) -> None:  # noqa: PLR0915
    """``count`` patients, each with a phone on the stand-in and a check-in reminder due now."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from backend.extensions import db
    from backend.models import Clinic, PushSubscription, Role, User, utcnow
    from backend.reminders import outbox

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        now = utcnow()
        clinic = Clinic(name="Bench clinic")
        db.session.add(clinic)
        db.session.flush()
        users = [
            {
                "clinic_id": clinic.id,
                "role": Role.PATIENT,
                "email": f"{run}-{i}@bench.test",
                "display_name": f"Patient {i}",
                "timezone": "UTC",
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
            for i in range(count)
        ]
        db.session.execute(insert(User), users)
        ids = db.session.scalars(db.select(User.id).where(User.email.like(f"{run}-%"))).all()
        db.session.execute(
            insert(PushSubscription),
            [
                {
                    "user_id": uid,
                    "endpoint": f"{origin}/push/{run}-{uid}",
                    "p256dh": keys["p256dh"],
                    "auth": keys["auth"],
                    "created_at": now,
                }
                for uid in ids
            ],
        )
        rows = [outbox.outbox_row(uid, "checkin", f"{uid}:checkin:{run}", now) for uid in ids]
        for start in range(0, len(rows), 500):
            outbox.insert_if_absent(rows[start : start + 500])
        db.session.commit()


def sender_process(url: str | None, instance: str, worker: str, ready, go, out) -> None:
    """One sender process: waits for the start, sends until the outbox is empty."""
    from backend.push.sender import Sender
    from backend.push.vapid import signer
    from backend.reminders import outbox

    app = make_app(url, Path(instance))
    with app.app_context():
        sender = Sender(signer(app), workers=32)  # the clock's window: 32 unrecorded at most
        ready.put(worker)
        go.wait()
        cpu = time.process_time()
        totals = outbox.send_due(sender, worker, batch=500, max_batches=100_000)
        cpu = time.process_time() - cpu
        sender.close()
    out.put((dict(totals), cpu, time.time()))


def ours(app, url: str | None, count: int, senders: int) -> tuple[float, float]:
    """Send the outbox with ``senders`` processes; (messages per second, CPU ms per message)."""
    import multiprocessing

    from backend.push.vapid import signer

    signer(app)  # the key file exists before the processes start
    spawn = multiprocessing.get_context("spawn")
    ready, out, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    processes = [
        spawn.Process(
            target=sender_process,
            args=(url, app.instance_path, f"bench-{i}", ready, go, out),
        )
        for i in range(senders)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    started = time.time()
    go.set()
    results = [out.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(finished for _totals, _cpu, finished in results) - started
    sent = sum(totals.get("sent", 0) for totals, _cpu, _finished in results)
    assert sent == count, results
    return count / elapsed, sum(cpu for _t, cpu, _f in results) / count * 1e3


def naive(app, origin: str, count: int, keys: dict) -> float:
    from pywebpush import webpush

    key_file = Path(app.instance_path) / "vapid_private.pem"
    payload = json.dumps(
        {
            "title": "Daily check-in",
            "body": "How are you today?",
            "url": "/app/#/checkin",
            "tag": "checkin",
        }
    )
    started = time.perf_counter()
    for i in range(count):
        webpush(
            {"endpoint": f"{origin}/push/naive-{i}", "keys": keys},
            payload,
            vapid_private_key=str(key_file),
            vapid_claims={"sub": SUBJECT},
            ttl=3600,
        )
    return count / (time.perf_counter() - started)


def encryption_only(count: int, keys: dict) -> float:
    from pywebpush import WebPusher

    pusher = WebPusher({"endpoint": "https://fcm.googleapis.com/x", "keys": keys})
    data = b'{"title":"Daily check-in","body":"How are you today?","url":"/app/#/checkin"}'
    started = time.perf_counter()
    for _ in range(count):
        pusher.encode(data, "aes128gcm")
    return count / (time.perf_counter() - started)


def requeue(app, origin: str, count: int) -> None:
    """Point ``count`` phones at another stand-in and queue one reminder each again."""
    from backend.extensions import db
    from backend.models import OutboxMessage, PushSubscription, utcnow
    from backend.reminders import outbox

    with app.app_context():
        db.session.execute(db.delete(OutboxMessage))
        keep = db.session.scalars(
            db.select(PushSubscription).order_by(PushSubscription.id).limit(count)
        ).all()
        db.session.execute(db.delete(PushSubscription).where(PushSubscription.id > keep[-1].id))
        now = utcnow()
        for sub in keep:
            sub.endpoint = f"{origin}/push/slow-{sub.user_id}"
        rows = [
            outbox.outbox_row(sub.user_id, "checkin", f"{sub.user_id}:slow", now) for sub in keep
        ]
        for start in range(0, len(rows), 500):
            outbox.insert_if_absent(rows[start : start + 500])
        db.session.commit()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stand_in_count(origin: str) -> int:
    return json.load(urllib.request.urlopen(f"{origin}/stats"))["count"]


def tally(origin: str, browser) -> Counter:
    """Decrypt every kept push as the phone would: how often each (device, tag) arrived."""
    import struct

    import http_ece

    raw = urllib.request.urlopen(f"{origin}/bodies", timeout=600).read()
    seen: Counter = Counter()
    at = 0
    while at < len(raw):
        token_len, body_len = struct.unpack_from("!HH", raw, at)
        at += 4
        token = raw[at : at + token_len].decode()
        at += token_len
        body = raw[at : at + body_len]
        at += body_len
        shown = json.loads(
            http_ece.decrypt(
                body,
                private_key=browser.private_key,
                auth_secret=browser.auth_secret,
                version="aes128gcm",
            )
        )
        seen[(token, shown["tag"])] += 1
    return seen


def scale(url: str, count: int, senders: int, browser) -> dict:
    """``count`` reminders due in the same minute, sent by ``senders`` processes to a push
    service that answers after 50 ms; every one counted on its phone."""
    from backend.extensions import db
    from backend.models import OutboxMessage, PushSubscription
    from backend.reminders.kinds import tag_for

    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        process, origin = start_standin(0.05, verify=False, keep=True)
        try:
            started = time.perf_counter()
            fill_outbox(app, origin, count, keys, "scale")
            filled = time.perf_counter() - started
            rate, cpu = ours(app, url, count, senders)
            took = count / rate
            seen = tally(origin, browser)
            with app.app_context():
                rows = db.session.execute(
                    db.select(
                        PushSubscription.endpoint,
                        OutboxMessage.kind,
                        OutboxMessage.occurrence_key,
                        OutboxMessage.status,
                    ).join(PushSubscription, PushSubscription.user_id == OutboxMessage.user_id)
                ).all()
            expected = {
                (endpoint.rsplit("/", 1)[1], tag_for(kind, key)) for endpoint, kind, key, _s in rows
            }
            unsent = sum(1 for *_rest, status in rows if status != "sent")
        finally:
            process.terminate()
            process.wait()
    # Each device (subscription token) must have shown its occurrence's tag exactly once.
    devices = len({token for token, _tag in seen})
    lost = len(expected - set(seen))
    doubled = sum(n - 1 for n in seen.values()) + len(set(seen) - expected)
    return {
        "count": count,
        "senders": senders,
        "fill_s": filled,
        "seconds": took,
        "rate": rate,
        "cpu_ms": cpu,
        "devices": devices,
        "lost": lost,
        "doubled": doubled,
        "unsent_rows": unsent,
    }


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def goal(label: str, value: str, target: str, met: bool, tally_: list[bool]) -> None:
    tally_.append(met)
    print(f"   {label:<48} {value:>12}   goal {target:<10} {'met' if met else 'NOT met'}")


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=2, help="sender processes for a)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of a), b), c)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--verify", action="store_true", help="stand-in checks VAPID too")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--scale", type=int, default=100_000, help="scale-out reminders (PostgreSQL; 0: skip)"
    )
    parser.add_argument("--scale-senders", type=int, default=4)
    args = parser.parse_args()

    browser = subscriber()
    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    met: list[bool] = []
    rounds: dict[str, list[float]] = {"a": [], "b": [], "c": [], "ab": [], "ac": [], "cpu": []}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.database_url, Path(tmp))
        print(
            f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
            f"cores: {os.cpu_count()}, sender processes: {args.senders}",
            flush=True,
        )

        process, origin = start_standin(0.0, args.verify)
        try:
            for number in range(args.rounds):
                fill_outbox(app, origin, args.messages, keys, f"fast{number}")
                standin_cpu = cpu_seconds(process.pid)
                a, cpu = ours(app, args.database_url, args.messages, args.senders)
                standin_cpu = (cpu_seconds(process.pid) - standin_cpu) / args.messages * 1e3
                b = naive(app, origin, args.naive, keys)
                c = encryption_only(3_000, keys)
                for key, value in (
                    ("a", a),
                    ("b", b),
                    ("c", c),
                    ("ab", a / b),
                    ("ac", a / c),
                    ("cpu", cpu),
                ):
                    rounds[key].append(value)
                print(
                    f"round {number + 1}: a) ours {a:6.0f} msg/s   b) naive {b:5.0f} msg/s   "
                    f"c) encryption only {c:5.0f} msg/s   a/b {a / b:4.1f}x   a/c {a / c:4.0%}   "
                    f"CPU per message: senders {cpu:.2f} ms, stand-in {standin_cpu:.2f} ms",
                    flush=True,
                )
            assert stand_in_count(origin) == args.rounds * (args.messages + args.naive)
        finally:
            process.terminate()
            process.wait()
        print(
            f"medians of {args.rounds}: a) {median(rounds['a']):.0f} msg/s ({args.messages} "
            f"messages, {args.senders} processes), b) {median(rounds['b']):.0f} msg/s "
            f"({args.naive}), c) {median(rounds['c']):.0f} msg/s; senders' CPU "
            f"{median(rounds['cpu']):.2f} ms per message",
            flush=True,
        )
        goal(
            "push: ours / naive webpush() loop",
            f"{median(rounds['ab']):.1f}x",
            ">= 5x",
            median(rounds["ab"]) >= 5,
            met,
        )
        goal(
            "push: ours / encryption-only limit",
            f"{median(rounds['ac']):.0%}",
            ">= 40 %",
            median(rounds["ac"]) >= 0.4,
            met,
        )

        if args.latency_ms > 0:
            latency = args.latency_ms / 1000
            process, origin = start_standin(latency, args.verify)
            try:
                slow_messages = min(args.messages, 2_000)
                requeue(app, origin, slow_messages)
                naive_count = max(20, min(args.naive, 200))
                slow_ours, _cpu = ours(app, args.database_url, slow_messages, args.senders)
                slow_naive = naive(app, origin, naive_count, keys)
                print(
                    f"with {args.latency_ms:.0f} ms push-service latency: ours {slow_ours:.0f} "
                    f"msg/s ({slow_messages}), naive {slow_naive:.0f} msg/s ({naive_count}), "
                    f"a/b = {slow_ours / slow_naive:.1f}x",
                    flush=True,
                )
            finally:
                process.terminate()
                process.wait()

    url = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if args.scale and url and url.startswith("postgresql"):
        print(
            f"scale-out: {args.scale} reminders due in the same minute, {args.scale_senders} "
            "sender processes, PostgreSQL, stand-in answering after 50 ms ...",
            flush=True,
        )
        result = scale(url, args.scale, args.scale_senders, browser)
        print(
            f"   outbox filled in {result['fill_s']:.0f} s; all sent and recorded in "
            f"{result['seconds']:.1f} s ({result['rate']:.0f} msg/s, senders' CPU "
            f"{result['cpu_ms']:.2f} ms per message); at the stand-in: {result['devices']} "
            f"devices, {result['lost']} lost, {result['doubled']} doubled, "
            f"{result['unsent_rows']} rows not sent",
            flush=True,
        )
        goal(
            f"push at scale: {args.scale} due, delivered within",
            f"{result['seconds']:.1f} s",
            "<= 60 s",
            result["seconds"] <= 60 and args.scale >= 100_000,
            met,
        )
        goal(
            "push at scale: lost or doubled",
            f"{result['lost'] + result['doubled'] + result['unsent_rows']}",
            "0",
            result["lost"] == result["doubled"] == result["unsent_rows"] == 0,
            met,
        )
    elif args.scale:
        print("scale-out skipped: it needs PostgreSQL (--database-url or TEST_DATABASE_URL)")
    print(f"goals met: {sum(met)} of {len(met)}")


if __name__ == "__main__":
    main()
