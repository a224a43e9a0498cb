"""Benchmark: sending due reminders through the outbox to the local push stand-in.

The zero-latency comparison (issue 11: a/b >= 5x, a/c >= 40 %), SQLite, 2 sender processes,
3 interleaved rounds of 10,000 messages (about 2 minutes on 2 idle cores):

    .venv/bin/python tests/perf/bench_push.py --mode compare

  a) our path: 10,000 due reminders in the outbox, claimed, encrypted and sent by pywebpush's
     WebPusher.send_async and recorded, by --senders sender processes (each: one aiohttp
     session, cached VAPID header, at most 32 pushes out and unrecorded), as several
     `between clock` processes would;
  b) a naive loop of ``pywebpush.webpush()`` calls, the way its README shows (a key file,
     a claims dict, no session): a new connection, key parse and JWT per message;
  c) encryption alone (``WebPusher.encode``, RFC 8291 aes128gcm) in one thread: the limit;

then a) and b) again against a push service that takes --latency-ms to answer. Each round
prints the CPU milliseconds per message of the senders (every thread, all processes) and of
the stand-in (from /proc), since rates move with whatever else the machine runs.

The scale-out (issue 11: 100,000 due in the same minute, through the outbox to the stand-in
answering after 50 ms, two or more sender processes on PostgreSQL, none lost or doubled);
it EMPTIES the database it is given (DROP SCHEMA public):

    TEST_DATABASE_URL=postgresql://between:between@127.0.0.1:5432/between_XX \\
        .venv/bin/python tests/perf/bench_push.py --mode scale --scale-senders 2,4

The stand-in keeps every encrypted body; afterwards each is decrypted as the phone would
and every (device, tag) must have arrived exactly once. It prints the time for all of them,
and the CPU per message of the senders, PostgreSQL's server processes for that database
and the stand-in: what a machine needs to meet the goal.

Both, one after the other: ``TEST_DATABASE_URL=... .venv/bin/python tests/perf/bench_push.py``.
Each ratio is printed with its goal beside it, then ``goals met: N of M``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
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


class CpuMeter:
    """CPU seconds used by other processes while our senders run (Linux /proc): the
    stand-in, and PostgreSQL's server processes for our database (their titles name it).
    Sampled every 0.2 s, since a server process ends with its connection."""

    def __init__(self, standin_pid: int, database: str | None):
        self.standin_pid, self.database = standin_pid, database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._started = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _postgres_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {self.database} " in title:
                pids.append(int(entry.name))
        return pids

    def sample(self) -> None:
        pids = [self.standin_pid] + (self._postgres_pids() if self.database else [])
        for pid in pids:
            try:
                used = cpu_seconds(pid)
            except (OSError, IndexError):
                continue
            # A server process first seen now started during the run: count all its CPU.
            self.first.setdefault(pid, 0.0 if self._started else used)
            self.last[pid] = used
        self._started = True

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def __enter__(self) -> CpuMeter:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def seconds(self, standin: bool) -> float:
        return sum(
            self.last[pid] - self.first[pid]
            for pid in self.last
            if (pid == self.standin_pid) == standin
        )


def ours(app, url: str | None, count: int, senders: int, standin_pid: int) -> dict:
    """Send the outbox with ``senders`` processes: the rate, and CPU milliseconds per
    message of the senders (every thread), the stand-in and PostgreSQL's server processes."""
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
    database = url.rsplit("/", 1)[1].split("?")[0] if url and "postgresql" in url else None
    with CpuMeter(standin_pid, database) as meter:
        started = time.time()
        go.set()
        results = [out.get(timeout=3600) for _ in processes]
        for process in processes:
            process.join()
    elapsed = max(finished for _totals, _cpu, finished in results) - started
    sent = sum(totals.get("sent", 0) for totals, _cpu, _finished in results)
    assert sent == count, results
    return {
        "rate": count / elapsed,
        "seconds": elapsed,
        "senders_ms": sum(cpu for _t, cpu, _f in results) / count * 1e3,
        "standin_ms": meter.seconds(standin=True) / count * 1e3,
        "database_ms": meter.seconds(standin=False) / count * 1e3,
        "per_sender": sorted(totals.get("sent", 0) for totals, _c, _f in results),
    }


def naive(app, origin: str, count: int, keys: dict) -> tuple[float, float]:
    """The naive loop's rate and its own CPU milliseconds per message (this process)."""
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
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        webpush(
            {"endpoint": f"{origin}/push/naive-{i}", "keys": keys},
            payload,
            vapid_private_key=str(key_file),
            vapid_claims={"sub": SUBJECT},
            ttl=3600,
        )
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count * 1e3


def encryption_only(count: int, keys: dict) -> tuple[float, float]:
    from pywebpush import WebPusher

    pusher = WebPusher({"endpoint": "https://fcm.googleapis.com/x", "keys": keys})
    data = b'{"title":"Daily check-in","body":"How are you today?","url":"/app/#/checkin"}'
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        pusher.encode(data, "aes128gcm")
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count * 1e3


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


def scale(url: str, count: int, senders: int, latency: float, browser) -> dict:
    """``count`` reminders due in the same minute, sent by ``senders`` processes to a push
    service that answers after ``latency`` seconds; every one counted on its phone."""
    from backend.extensions import db
    from backend.models import OutboxMessage, PushSubscription
    from backend.reminders.kinds import tag_for

    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        process, origin = start_standin(latency, verify=False, keep=True)
        try:
            started = time.perf_counter()
            fill_outbox(app, origin, count, keys, "scale")
            filled = time.perf_counter() - started
            sent = ours(app, url, count, senders, process.pid)
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
        **sent,
        "count": count,
        "senders": senders,
        "fill_s": filled,
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


def compare(args, browser, met: list[bool]) -> None:
    """a), b) and c) at zero latency, interleaved rounds, medians; then 50 ms latency."""
    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    rounds: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.database_url, Path(tmp))
        print(
            f"zero-latency comparison: database {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}"
            f", cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, "
            f"sender processes {args.senders}",
            flush=True,
        )
        process, origin = start_standin(0.0, args.verify)
        try:
            for number in range(args.rounds):
                fill_outbox(app, origin, args.messages, keys, f"fast{number}")
                a = ours(app, args.database_url, args.messages, args.senders, process.pid)
                b, b_ms = naive(app, origin, args.naive, keys)
                c, c_ms = encryption_only(3_000, keys)
                figures = {
                    "a": a["rate"],
                    "b": b,
                    "c": c,
                    "ab": a["rate"] / b,
                    "ac": a["rate"] / c,
                    "senders_ms": a["senders_ms"],
                    "standin_ms": a["standin_ms"],
                    # Per CPU rather than per second: what the ratios would be if each side
                    # had the same cores to itself, whatever else the machine runs.
                    "ab_cpu": b_ms / a["senders_ms"],
                    "ac_cpu": c_ms / a["senders_ms"],
                }
                for key, value in figures.items():
                    rounds.setdefault(key, []).append(value)
                print(
                    f"round {number + 1}: a) ours {a['rate']:6.0f} msg/s   b) naive {b:5.0f} "
                    f"msg/s   c) encryption only {c:5.0f} msg/s   a/b {a['rate'] / b:4.1f}x   "
                    f"a/c {a['rate'] / c:4.0%}   CPU per message: senders "
                    f"{a['senders_ms']:.3f} ms, stand-in {a['standin_ms']:.3f} ms, naive "
                    f"{b_ms:.3f} ms, encryption only {c_ms:.3f} ms (sent per process: "
                    f"{a['per_sender']})",
                    flush=True,
                )
            assert stand_in_count(origin) == args.rounds * (args.messages + args.naive)
        finally:
            process.terminate()
            process.wait()
        mid = {key: median(values) for key, values in rounds.items()}
        print(
            f"medians of {args.rounds}: a) {mid['a']:.0f} msg/s ({args.messages} messages, "
            f"{args.senders} processes), b) {mid['b']:.0f} msg/s ({args.naive}), c) "
            f"{mid['c']:.0f} msg/s; CPU per message: senders {mid['senders_ms']:.3f} ms, "
            f"stand-in {mid['standin_ms']:.3f} ms\n"
            f"   per CPU-second (load-independent): ours/naive {mid['ab_cpu']:.1f}x, ours/"
            f"encryption-only {mid['ac_cpu']:.0%} (shown for reference; goals below use rates)",
            flush=True,
        )
        goal("push: ours / naive webpush() loop", f"{mid['ab']:.1f}x", ">= 5x", mid["ab"] >= 5, met)
        goal(
            "push: ours / encryption-only limit",
            f"{mid['ac']:.0%}",
            ">= 40 %",
            mid["ac"] >= 0.4,
            met,
        )

        if args.latency_ms > 0:
            latency = args.latency_ms / 1000
            process, origin = start_standin(latency, args.verify)
            try:
                slow_messages = min(args.messages, 2_000)
                requeue(app, origin, slow_messages)
                naive_count = max(20, min(args.naive, 200))
                slow = ours(app, args.database_url, slow_messages, args.senders, process.pid)
                slow_naive, _ms = naive(app, origin, naive_count, keys)
                print(
                    f"with {args.latency_ms:.0f} ms push-service latency: ours "
                    f"{slow['rate']:.0f} msg/s ({slow_messages}), naive {slow_naive:.0f} msg/s "
                    f"({naive_count}), a/b = {slow['rate'] / slow_naive:.1f}x",
                    flush=True,
                )
            finally:
                process.terminate()
                process.wait()


def scale_out(args, browser, met: list[bool]) -> None:
    url = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if not (url and url.startswith("postgresql")):
        print("scale-out skipped: it needs PostgreSQL (TEST_DATABASE_URL or --database-url)")
        return
    latency = args.scale_latency_ms / 1000
    for senders in args.scale_senders:
        print(
            f"scale-out: {args.scale} reminders due in the same minute, {senders} sender "
            f"processes, PostgreSQL, stand-in answering after {args.scale_latency_ms:.0f} ms, "
            f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} ...",
            flush=True,
        )
        result = scale(url, args.scale, senders, latency, browser)
        total = result["senders_ms"] + result["standin_ms"] + result["database_ms"]
        print(
            f"   outbox filled in {result['fill_s']:.0f} s; all sent and recorded in "
            f"{result['seconds']:.1f} s ({result['rate']:.0f} msg/s; sent per process "
            f"{result['per_sender']})\n"
            f"   CPU per message: senders {result['senders_ms']:.3f} ms, PostgreSQL "
            f"{result['database_ms']:.3f} ms, stand-in {result['standin_ms']:.3f} ms, total "
            f"{total:.3f} ms = {total * args.scale / 1e3:.0f} CPU-seconds for {args.scale} "
            f"(60 s at full use needs {total * args.scale / 1e3 / 60:.1f} cores)\n"
            f"   at the stand-in: {result['devices']} devices, {result['lost']} lost, "
            f"{result['doubled']} doubled, {result['unsent_rows']} rows not sent",
            flush=True,
        )
        goal(
            f"push at scale: {args.scale} due, {senders} senders, within",
            f"{result['seconds']:.1f} s",
            "<= 60 s",
            result["seconds"] <= 60 and args.scale >= 100_000 and senders >= 2,
            met,
        )
        goal(
            "push at scale: lost + doubled + not sent",
            f"{result['lost'] + result['doubled'] + result['unsent_rows']}",
            "0",
            result["lost"] == result["doubled"] == result["unsent_rows"] == 0,
            met,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mode",
        choices=("both", "compare", "scale"),
        default="both",
        help="compare: a), b), c) at zero latency; scale: the scale-out run (default: both)",
    )
    parser.add_argument("--messages", type=int, default=10_000, help="a) messages per round")
    parser.add_argument("--naive", type=int, default=1_000, help="b) messages per round")
    parser.add_argument("--senders", type=int, default=2, help="sender processes for a)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of a), b), c)")
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="then a) and b) at this latency (0: skip)"
    )
    parser.add_argument("--verify", action="store_true", help="stand-in checks VAPID too")
    parser.add_argument(
        "--database-url", default=None, help="compare on this database (default: SQLite file)"
    )
    parser.add_argument("--scale", type=int, default=100_000, help="scale-out reminders")
    parser.add_argument(
        "--scale-senders",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[4],
        help="sender processes for the scale-out, or a list to run in turn: 2,4",
    )
    parser.add_argument("--scale-latency-ms", type=float, default=50.0)
    args = parser.parse_args()

    browser = subscriber()
    met: list[bool] = []
    if args.mode in ("both", "compare"):
        compare(args, browser, met)
    if args.mode in ("both", "scale"):
        scale_out(args, browser, met)
    print(f"goals met: {sum(met)} of {len(met)}")


if __name__ == "__main__":
    main()
