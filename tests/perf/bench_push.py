"""Benchmark: sending due reminders through the local push stand-in.

Run:  .venv/bin/python tests/perf/bench_push.py [--messages 10000] [--naive 1000]
      [--latency-ms 50] [--database-url postgresql://...]

Measured in one run on this machine, against the stand-in in its own process (fast mode:
VAPID and TTL checked only when --verify is given, payloads not decrypted, so the service
is not the bottleneck):

  a) our path: 10,000 due reminders in the outbox, claimed, encrypted, sent by the pooled
     sender (WebPusher.send_async on one aiohttp session, cached VAPID header) and settled;
  b) a naive loop of ``pywebpush.webpush()`` calls, the way its README shows (a key file,
     a claims dict, no session): a new connection, key parse and JWT per message;
  c) encryption alone (RFC 8291 aes128gcm per message): the ceiling for any sender in Python;

then the same a) and b) against a push service that takes --latency-ms to answer, which is
what a real one over the internet does.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SUBJECT = "mailto:bench@between.invalid"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_standin(latency: float, verify: bool) -> tuple[subprocess.Popen, str]:
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
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{origin}/stats", timeout=1)
            return process, origin
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the push stand-in did not start")


def subscriber_keys() -> dict:
    """One browser key pair for every subscription: encryption still runs per message."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from backend.push.standin import Subscriber

    sub = Subscriber("bench", "", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
    return {"p256dh": sub.p256dh, "auth": sub.auth}


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


def fill_outbox(app, origin: str, count: int, keys: dict, run: str) -> None:
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


def ours(app, count: int) -> float:
    from backend.push.sender import Sender
    from backend.push.vapid import signer
    from backend.reminders import outbox

    with app.app_context():
        sender = Sender(signer(app))
        started = time.perf_counter()
        totals = outbox.send_due(sender, "bench", batch=500)
        elapsed = time.perf_counter() - started
        sender.close()
    assert totals["sent"] == count, totals
    return count / elapsed


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


def stand_in_count(origin: str) -> int:
    return json.load(urllib.request.urlopen(f"{origin}/stats"))["count"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--verify", action="store_true", help="stand-in checks VAPID too")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    keys = subscriber_keys()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.database_url, Path(tmp))
        print(
            f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
            f"cores: {os.cpu_count()}",
            flush=True,
        )

        process, origin = start_standin(0.0, args.verify)
        try:
            fill_outbox(app, origin, args.messages, keys, "fast")
            results["a"] = ours(app, args.messages)
            print(
                f"a) our sender, outbox to stand-in:   {results['a']:8.0f} msg/s "
                f"({args.messages} messages)",
                flush=True,
            )
            results["b"] = naive(app, origin, args.naive, keys)
            print(
                f"b) naive pywebpush.webpush() loop:    {results['b']:8.0f} msg/s "
                f"({args.naive} messages)",
                flush=True,
            )
            results["c"] = encryption_only(3_000, keys)
            print(f"c) encryption only (the limit):       {results['c']:8.0f} msg/s", flush=True)
            print(
                f"   a/b = {results['a'] / results['b']:.1f}x   a/c = "
                f"{results['a'] / results['c']:.0%} of the encryption limit",
                flush=True,
            )
            assert stand_in_count(origin) == args.messages + args.naive
        finally:
            process.terminate()
            process.wait()

        if args.latency_ms > 0:
            latency = args.latency_ms / 1000
            process, origin = start_standin(latency, args.verify)
            try:
                slow_messages = min(args.messages, 2_000)
                requeue(app, origin, slow_messages)
                naive_count = max(20, min(args.naive, 200))
                slow_ours = ours(app, slow_messages)
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


if __name__ == "__main__":
    main()
