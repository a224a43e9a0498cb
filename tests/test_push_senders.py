"""Several sender processes share the outbox, and a sender that lost its lease records
nothing over the new holder's work: every reminder reaches its phone once, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import OutboxMessage, PushSubscription, utcnow
from backend.push.sender import Outcome
from backend.push.standin import StandIn
from backend.push.vapid import signer
from backend.reminders import outbox
from backend.reminders.delivery import _prepare
from backend.reminders.settling import record

MESSAGES = 120


@pytest.fixture
def service():
    with StandIn(latency=0.02) as running:  # a little network time, so the senders overlap
        yield running


def sender_process(url: str, instance: str, worker: str, ready, go, out) -> None:
    """One sender process on the test database: waits for the start, sends until none is due."""
    from backend.push.sender import Sender
    from tests.conftest import make_app

    app = make_app(url, instance)
    with app.app_context():
        sender = Sender(signer(app), workers=8, timeout=(2, 5))
        ready.put(worker)
        go.wait(60)
        try:
            totals = outbox.send_due(sender, worker, batch=10)
        finally:
            sender.close()
    out.put((worker, dict(totals)))


def test_sender_processes_share_the_outbox_and_every_reminder_arrives_once(app, factory, service):
    practitioner = factory.practitioner()
    now = utcnow()
    phones = {}
    for _ in range(MESSAGES):
        patient = factory.patient(practitioner, timezone="UTC")
        phone = phones[patient.id] = service.subscriber()
        db.session.add(
            PushSubscription(
                user_id=patient.id, endpoint=phone.endpoint, p256dh=phone.p256dh, auth=phone.auth
            )
        )
    rows = [outbox.outbox_row(uid, "checkin", f"{uid}:checkin:now", now) for uid in phones]
    outbox.insert_if_absent(rows)
    db.session.commit()
    signer(app)  # the VAPID key exists before the processes read it

    spawn = multiprocessing.get_context("spawn")
    ready, go, out = spawn.Queue(), spawn.Event(), spawn.Queue()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    processes = [
        spawn.Process(
            target=sender_process, args=(url, app.instance_path, f"proc-{i}", ready, go, out)
        )
        for i in range(2)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=60)
    go.set()
    results = dict(out.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)

    assert sum(totals.get("sent", 0) for totals in results.values()) == MESSAGES
    assert all(totals.get("sent", 0) > 0 for totals in results.values()), results
    for uid, phone in phones.items():
        assert [p["tag"] for p in service.payloads(phone)] == [
            outbox.tag_for("checkin", f"{uid}:checkin:now")
        ]
    db.session.rollback()
    assert Counter(db.session.scalars(db.select(OutboxMessage.status))) == {"sent": MESSAGES}


def test_a_sender_that_lost_its_lease_records_only_the_rows_it_still_holds(app, factory, caplog):
    now = utcnow()
    patients = [factory.patient() for _ in range(2)]
    subs = []
    for number, patient in enumerate(patients):
        sub = PushSubscription(
            user_id=patient.id,
            endpoint=f"https://push.example/{number}",
            p256dh="x",
            auth="y",
        )
        db.session.add(sub)
        subs.append(sub)
    rows = [outbox.outbox_row(p.id, "checkin", f"{p.id}:checkin:now", now) for p in patients]
    outbox.insert_if_absent(rows)
    db.session.commit()
    claimed = outbox.claim(10, "slow", now)
    work = _prepare(claimed, now)
    db.session.commit()
    # The slow sender's lease lapses on one message; another sender takes it over.
    taken = claimed[1]
    db.session.execute(
        db.update(OutboxMessage)
        .where(OutboxMessage.id == taken)
        .values(claimed_until=now - timedelta(seconds=1))
    )
    db.session.commit()
    assert outbox.claim(10, "other", now) == [taken]

    # The slow sender's answers for both arrive in one group.
    totals: Counter = Counter()
    answers = [(item, item.pushes[0][0], Outcome("sent", 201)) for item in work]
    with caplog.at_level(logging.WARNING):
        settled = record(answers, "slow", now, totals)
    db.session.commit()

    assert settled == [claimed[0]]
    assert totals["sent_messages"] == 1
    assert f"outbox message {taken} was taken over" in caplog.text
    db.session.expire_all()
    mine, theirs = (db.session.get(OutboxMessage, i) for i in claimed)
    assert mine is not None and theirs is not None
    assert mine.status == "sent" and mine.claimed_by is None and mine.payload["sent_to"]
    assert theirs.status == "sending" and theirs.claimed_by == "other"
    assert "sent_to" not in theirs.payload


def test_the_fast_stand_in_keeps_every_body_for_a_tally_and_each_decrypts_as_a_phone_would(
    app,
):
    import struct
    import urllib.request

    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec

    from backend.push.sender import Push, Sender
    from backend.push.standin import Subscriber

    phone = Subscriber("bench", "", ec.generate_private_key(ec.SECP256R1()), b"0123456789abcdef")
    with StandIn(fast=True, keep=True, verify_vapid=False) as service:
        pushes = [
            Push(
                f"{service.origin}/push/tok-{i}",
                phone.p256dh,
                phone.auth,
                json.dumps({"tag": f"t{i}"}).encode(),
                60,
            )
            for i in range(3)
        ]
        sender = Sender(signer(app), workers=2, timeout=(2, 5))
        try:
            assert [o.result for o in sender.send_all(pushes)] == ["sent"] * 3
        finally:
            sender.close()
        raw = urllib.request.urlopen(f"{service.origin}/bodies", timeout=5).read()
    shown, at = [], 0
    while at < len(raw):
        token_len, body_len = struct.unpack_from("!HH", raw, at)
        token = raw[at + 4 : at + 4 + token_len].decode()
        body = raw[at + 4 + token_len : at + 4 + token_len + body_len]
        at += 4 + token_len + body_len
        plain = http_ece.decrypt(
            body, private_key=phone.private_key, auth_secret=phone.auth_secret, version="aes128gcm"
        )
        shown.append((token, json.loads(plain)["tag"]))
    assert sorted(shown) == [("tok-0", "t0"), ("tok-1", "t1"), ("tok-2", "t2")]
