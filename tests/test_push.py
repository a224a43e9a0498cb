"""Sending pushes: every answer a push service can give, against the local stand-in.

The stand-in verifies the VAPID JWT and decrypts each payload with the subscriber's keys,
so what these tests read is what the phone would show.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backend.extensions import db
from backend.models import OutboxMessage, PushSubscription, utcnow
from backend.push.endpoints import endpoint_problem
from backend.push.sender import (
    MAX_PAYLOAD_BYTES,
    PayloadTooLarge,
    Push,
    Sender,
    encode_notification,
    parse_retry_after,
)
from backend.push.standin import StandIn
from backend.push.vapid import VapidSigner, signer
from backend.reminders import outbox

WORKER = "test-sender"


@pytest.fixture
def service():
    with StandIn() as running:
        yield running


@pytest.fixture
def sender(app):
    sender = Sender(signer(app), workers=4, timeout=(1, 1))
    yield sender
    sender.close()


def device(patient, subscriber) -> PushSubscription:
    sub = PushSubscription(
        user_id=patient.id,
        endpoint=subscriber.endpoint,
        p256dh=subscriber.p256dh,
        auth=subscriber.auth,
    )
    db.session.add(sub)
    db.session.commit()
    return sub


def queue(patient, kind="checkin", due_at=None, note=None) -> int:
    due_at = due_at or utcnow()
    note = note or outbox.notification(kind, when="tomorrow at 10:00")
    key = f"{patient.id}:{kind}:{due_at.isoformat()}"
    outbox.insert_if_absent([outbox.outbox_row(patient.id, kind, key, due_at, note)])
    db.session.commit()
    return db.session.scalar(db.select(OutboxMessage.id).filter_by(occurrence_key=key))


def message(message_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get_one(OutboxMessage, message_id)


def test_a_reminder_reaches_the_phone_as_exactly_title_body_url_and_tag(
    app, factory, service, sender
):
    patient = factory.patient()
    phone = service.subscriber()
    sub = device(patient, phone)
    message_id = queue(patient, "checkin")

    totals = outbox.send_due(sender, WORKER)

    assert totals["sent"] == 1
    row = message(message_id)
    assert service.payloads(phone) == [
        {
            "title": "Daily check-in",
            "body": "How are you today? It takes 20 seconds.",
            "url": "/app/#/checkin",
            "tag": row.payload["tag"],
        }
    ]
    # The tag and the Topic name this occurrence, so a repeat replaces the first copy.
    assert row.payload["tag"] == outbox.tag_for("checkin", row.occurrence_key)
    headers = service.received[phone.token][0].headers
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "normal" and headers["topic"] == row.topic
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", headers["topic"])
    assert 4 * 3600 - 60 <= int(headers["ttl"]) <= 4 * 3600
    assert message(message_id).status == "sent"
    db.session.refresh(sub)
    assert sub.last_success_at is not None


def test_each_kind_is_sent_with_its_own_ttl_urgency_and_topic(app, factory, service, sender):
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    for kind in ("standup", "appointment", "homework"):
        queue(patient, kind)
    outbox.send_due(sender, WORKER)
    seen = {
        outbox.kind_of(r.payload["tag"]): (r.headers["urgency"], int(r.headers["ttl"]))
        for r in service.received[phone.token]
    }
    assert len({r.headers["topic"] for r in service.received[phone.token]}) == 3
    assert seen["standup"][0] == "low" and seen["standup"][1] <= 15 * 60
    assert seen["appointment"][0] == "normal" and 11 * 3600 < seen["appointment"][1] <= 12 * 3600
    assert seen["homework"][1] <= 2 * 3600


def test_no_health_data_reaches_the_lock_screen(app, factory, service, sender):
    patient = factory.patient()
    factory.checkin(patient, leg_pain=9, note="Sciatica flare after lifting")
    factory.assignment(patient, factory.exercise(name="Piriformis stretch"))
    phone = service.subscriber()
    device(patient, phone)
    for kind in outbox.KINDS:
        # Even data wrongly stored with a message must not be copied into the push.
        note = {
            **outbox.notification(kind, when="tomorrow at 10:00"),
            "leg_pain": 9,
            "exercise": "Piriformis stretch",
        }
        queue(patient, kind, note=note)
    outbox.send_due(sender, WORKER)
    shown = service.payloads(phone)
    assert len(shown) == len(outbox.KINDS)
    for payload in shown:
        assert set(payload) == {"title", "body", "url", "tag"}
        assert outbox.kind_of(payload["tag"]) in outbox.KINDS  # a kind and a hash, no data
        text = json.dumps({**payload, "tag": ""}).lower()
        for word in ("piriformis", "sciatica", "pain", "flare", "9"):
            assert word not in text


def test_a_payload_over_3_kb_is_refused_and_never_sent(app, factory, service, sender):
    with pytest.raises(PayloadTooLarge):
        encode_notification({"title": "x", "body": "y" * MAX_PAYLOAD_BYTES, "url": "/app/"})
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    message_id = queue(patient, "checkin", note={"title": "x", "body": "y" * 4000, "url": "/"})
    outbox.send_due(sender, WORKER)
    assert service.payloads(phone) == []
    assert message(message_id).status == "failed"
    assert "bytes" in message(message_id).last_error


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted_and_the_other_device_still_gets_it(
    app, factory, service, sender, status
):
    patient = factory.patient()
    phone, tablet = service.subscriber(), service.subscriber()
    device(patient, phone)
    old_id = device(patient, tablet).id
    service.answer(tablet, status)
    message_id = queue(patient)

    outbox.send_due(sender, WORKER)

    assert len(service.payloads(phone)) == 1
    remaining = db.session.scalars(db.select(PushSubscription.endpoint)).all()
    assert remaining == [phone.endpoint]
    assert db.session.get(PushSubscription, old_id) is None
    assert message(message_id).status == "sent"


@pytest.mark.parametrize("retry_after", ["120", "date"])
def test_rate_limited_429_waits_for_retry_after_then_sends_once(
    app, factory, service, sender, retry_after
):
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    now = utcnow().replace(microsecond=0)
    if retry_after == "date":
        retry_after = format_datetime(now + timedelta(seconds=120), usegmt=True)
    service.answer(phone, 429, retry_after=retry_after)
    message_id = queue(patient, due_at=now)

    outbox.send_due(sender, WORKER, now=now)
    waiting = message(message_id)
    assert waiting.status == "pending"
    # Retry-After counts from the answer (the sender's clock moves on while it waits).
    assert timedelta(seconds=115) <= waiting.next_attempt_at - now <= timedelta(seconds=126)

    outbox.send_due(sender, WORKER, now=now + timedelta(seconds=60))
    assert service.payloads(phone) == []

    outbox.send_due(sender, WORKER, now=waiting.next_attempt_at)
    assert len(service.payloads(phone)) == 1
    assert message(message_id).status == "sent"


def test_server_errors_are_retried_with_growing_backoff_until_the_ttl_ends(
    app, factory, service, sender
):
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    service.answer(phone, 500, times=100)
    now = utcnow().replace(microsecond=0)
    message_id = queue(patient, "standup", due_at=now)  # lives 15 minutes

    waits = []
    while message(message_id).status == "pending":
        outbox.send_due(sender, WORKER, now=now)
        row = message(message_id)
        if row.status == "pending":
            # Whole seconds of backoff (the answer itself takes a moment to arrive).
            waits.append(int((row.next_attempt_at - now).total_seconds()) // 10 * 10)
            now = row.next_attempt_at

    assert waits == [30, 60, 120, 240]  # the next wait (480 s) would end after the TTL
    assert message(message_id).status == "expired"
    assert message(message_id).attempts == 5
    assert service.payloads(phone) == []
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 1


def test_a_timeout_is_retried_not_lost(app, factory, service, sender):
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    service.answer(phone, 201, delay=1.5)  # longer than the sender's 1 s read timeout
    now = utcnow()
    message_id = queue(patient, due_at=now)
    outbox.send_due(sender, WORKER, now=now)
    assert message(message_id).status == "pending"
    assert "Timeout" in message(message_id).last_error
    # The 30 s wait counts from the timeout, a second after the send began.
    assert message(message_id).next_attempt_at - now >= timedelta(seconds=31)
    outbox.send_due(sender, WORKER, now=message(message_id).next_attempt_at)
    assert message(message_id).status == "sent"


@pytest.mark.parametrize("status", [401, 403, 413])
def test_refusals_fail_at_once_are_logged_and_keep_the_subscription(
    app, factory, service, sender, caplog, status
):
    patient = factory.patient()
    phone = service.subscriber()
    device(patient, phone)
    service.answer(phone, status)
    message_id = queue(patient)
    # Alembic's fileConfig (run by the migrations in the fixtures) disables loggers that
    # already exist; the clock process never runs migrations, so it logs normally.
    logging.getLogger("backend.push.sender").disabled = False
    with caplog.at_level(logging.ERROR, logger="backend.push.sender"):
        outbox.send_due(sender, WORKER)
    row = message(message_id)
    assert row.status == "failed" and row.attempts == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 1
    assert any(
        str(status) in record.getMessage() or "refused" in record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR
    )
    outbox.send_due(sender, WORKER, now=utcnow() + timedelta(hours=1))
    assert message(message_id).attempts == 1  # never retried


def test_vapid_header_is_signed_once_per_push_service_and_reused(app, factory, sender):
    vapid = signer(app)
    before = vapid.signatures
    patient = factory.patient()
    with StandIn() as chrome, StandIn() as firefox:
        phones = [chrome.subscriber() for _ in range(3)] + [firefox.subscriber() for _ in range(3)]
        for phone in phones:
            device(patient, phone)
        for kind in ("checkin", "homework", "standup"):
            queue(patient, kind)
        outbox.send_due(sender, WORKER)
        assert vapid.signatures - before == 2  # 18 pushes, one signature per origin
        for service in (chrome, firefox):
            received = [r for items in service.received.values() for r in items]
            assert len(received) == 9
            assert {r.claims["aud"] for r in received} == {service.origin}
            assert len({r.headers["authorization"] for r in received}) == 1


def test_vapid_header_is_renewed_with_an_hour_left():
    clock = [1_000_000.0]
    vapid = VapidSigner(
        ec.generate_private_key(ec.SECP256R1()), "mailto:ops@example.test", clock=lambda: clock[0]
    )
    first = vapid.authorization("https://fcm.googleapis.com/fcm/send/abc")
    clock[0] += 10 * 3600
    assert vapid.authorization("https://fcm.googleapis.com/fcm/send/other") == first
    clock[0] += 1.5 * 3600  # 30 minutes left on the first token
    assert vapid.authorization("https://fcm.googleapis.com/fcm/send/abc") != first
    assert vapid.signatures == 2


def test_the_standin_refuses_a_vapid_header_signed_for_another_service(service):
    wrong = VapidSigner(ec.generate_private_key(ec.SECP256R1()), "mailto:ops@example.test")
    phone = service.subscriber()

    class OtherAudience(VapidSigner):
        def authorization(self, endpoint):
            return wrong.authorization("https://fcm.googleapis.com/x")

    sender = Sender(OtherAudience(wrong.private_key, wrong.subject), workers=1)
    try:
        outcome = sender.send(Push(phone.endpoint, phone.p256dh, phone.auth, b'{"title":"x"}', 60))
    finally:
        sender.close()
    assert outcome.result == "failed" and outcome.status == 401
    assert service.refused and "aud" in service.refused[0][1]
    assert service.payloads(phone) == []


@pytest.mark.parametrize("value, seconds", [("30", 30.0), ("", None), ("soon", None)])
def test_retry_after_is_read_as_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize(
    "endpoint, loopback, ok",
    [
        ("https://fcm.googleapis.com/fcm/send/abc", False, True),
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", False, True),
        ("https://wns2-par02p.notify.windows.com/w/?token=abc", False, True),
        ("https://web.push.apple.com/QGz", False, True),
        ("http://fcm.googleapis.com/fcm/send/abc", False, False),
        ("https://fcm.googleapis.com.evil.test/abc", False, False),
        ("https://evil.test/?fcm.googleapis.com", False, False),
        ("https://user:pw@fcm.googleapis.com/abc", False, False),
        ("http://127.0.0.1:8090/push/abc", False, False),
        ("http://127.0.0.1:8090/push/abc", True, True),
        # serve --demo: its own stand-in's port only, so the test button scans no ports.
        ("http://127.0.0.1:8090/push/abc", 8090, True),
        ("http://127.0.0.1:22/push/abc", 8090, False),
        ("http://localhost:5432/", 8090, False),
        ("http://127.0.0.1/push/abc", 8090, False),
        ("http://169.254.169.254/latest/meta-data", True, False),
        ("file:///etc/passwd", True, False),
    ],
)
def test_only_known_push_services_are_accepted(endpoint, loopback, ok):
    assert (endpoint_problem(endpoint, loopback) is None) is ok


@pytest.mark.parametrize(
    "value, allowed", [("", False), ("1", True), ("port:8090", 8090), ("port:x", False)]
)
def test_the_demo_allows_its_own_stand_in_port_only(monkeypatch, tmp_path, value, allowed):
    from backend.config import load

    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK", value)
    assert load(tmp_path)["PUSH_ALLOW_LOOPBACK"] == allowed


def test_a_retry_for_one_device_does_not_repeat_the_push_on_another(app, factory, service, sender):
    patient = factory.patient()
    phone, tablet = service.subscriber(), service.subscriber()
    device(patient, phone)
    device(patient, tablet)
    service.answer(tablet, 503)
    now = utcnow()
    message_id = queue(patient, due_at=now)

    outbox.send_due(sender, WORKER, now=now)
    assert message(message_id).status == "pending"
    outbox.send_due(sender, WORKER, now=message(message_id).next_attempt_at)

    assert len(service.payloads(phone)) == 1
    assert len(service.payloads(tablet)) == 1
    assert message(message_id).status == "sent"


def test_the_vapid_key_can_come_from_the_environment(app, monkeypatch):
    from py_vapid import Vapid
    from py_vapid.utils import b64urlencode

    key = Vapid()
    key.generate_keys()
    raw = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    monkeypatch.setenv("VAPID_PRIVATE_KEY", b64urlencode(raw))
    app.extensions.pop("between_vapid", None)
    expected = Vapid(key.private_key).sign({"aud": "https://x.test", "sub": "mailto:a@b.test"})
    assert signer(app).public_key == expected["Authorization"].rsplit("k=", 1)[1]
    assert not (Path(app.instance_path) / "vapid_private.pem").exists()


def test_the_sender_never_follows_a_redirect(sender):
    """A 307 from an "endpoint" must not make our server post elsewhere (e.g. inside)."""
    import http.server
    import threading

    hits: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(201)
            self.end_headers()

        def do_GET(self):
            self.do_POST()

        def log_message(self, *args):
            pass

    target = http.server.HTTPServer(("127.0.0.1", 0), Target)

    class Redirect(Target):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/internal")
            self.send_header("Content-Length", "0")
            self.end_headers()

    redirect = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    servers = [target, redirect]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with StandIn() as service:
            phone = service.subscriber()
        endpoint = f"http://127.0.0.1:{redirect.server_port}/push/x"
        outcome = sender.send(Push(endpoint, phone.p256dh, phone.auth, b'{"t":1}', 60))
    finally:
        for server in servers:
            server.shutdown()
    assert hits == []
    assert outcome.result == "failed" and outcome.status == 307
