"""Email for real: the queue sent through a real SMTP server (aiosmtpd) started by each test.

What arrived is read back from the server, so these tests see what a mailbox would get:
once, with both parts and the right headers, however the server misbehaves.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.mail import queue_mail
from backend.mail.failures import failed_mail
from backend.mail.sending import MAX_ATTEMPTS, MailServer, send_due
from backend.models import MailMessage, utcnow
from tests.mailserver import Passwords, certificate_for_loopback, running_inbox, server_context


@pytest.fixture
def inbox(app):
    with running_inbox() as handler:
        app.config["MAIL_URL"] = handler.url
        app.config["MAIL_FROM"] = "Between at Clinic <no-reply@clinic.example>"
        yield handler


def queue(to="lee@example.test", key=None, clinic_id=None, **kw) -> int:
    row = queue_mail(
        to=to,
        subject=kw.pop("subject", "Your invitation to Between"),
        text=kw.pop("text", "Hello Lee,\n\nJoin your clinic here:\nhttps://between.example/j/abc"),
        kind=kw.pop("kind", "invite"),
        key=key or f"invite:{to}",
        clinic_id=clinic_id,
        **kw,
    )
    assert row is not None
    db.session.flush()
    message_id = row.id
    db.session.commit()  # and no read after it: this session holds no snapshot meanwhile
    return message_id


def row(message_id: int) -> MailMessage:
    db.session.rollback()
    db.session.expire_all()
    message = db.session.get(MailMessage, message_id)
    assert message is not None
    return message


def test_a_message_arrives_once_with_both_parts_and_the_right_headers(app, inbox):
    message_id = queue()
    queue_mail(
        to="lee@example.test", subject="x", text="x", kind="invite", key="invite:lee@example.test"
    )
    db.session.commit()  # queued twice under one key: stored once

    assert send_due(app)["sent"] == 1
    assert send_due(app) == Counter()  # nothing left to send

    [mail] = inbox.received
    assert inbox.envelopes == [("no-reply@clinic.example", ["lee@example.test"])]
    assert mail["From"] == "Between at Clinic <no-reply@clinic.example>"
    assert mail["To"] == "lee@example.test"
    assert mail["Subject"] == "Your invitation to Between"
    assert mail["Date"] and mail["Message-ID"].startswith(f"<between.{message_id}.")
    assert mail["Message-ID"].endswith("@clinic.example>")
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Join your clinic here:\nhttps://between.example/j/abc" in text
    assert '<a href="https://between.example/j/abc">' in html and "<p>Hello Lee,</p>" in html
    sent = row(message_id)
    assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 1
    assert sent.claimed_by is None


def test_the_message_id_is_the_same_when_a_message_is_sent_again(app, inbox):
    message_id = queue()
    send_due(app)
    db.session.execute(
        db.update(MailMessage).values(status="pending", next_attempt_at=utcnow())
    )  # as if the sender died before recording the send
    db.session.commit()
    send_due(app)
    first, second = inbox.received
    assert first["Message-ID"] == second["Message-ID"] and first["Date"] == second["Date"]
    assert row(message_id).attempts == 2


def test_given_html_is_sent_as_given(app, inbox):
    queue(html="<p>Hello <b>Lee</b></p>")
    send_due(app)
    [mail] = inbox.received
    assert mail.get_body(("html",)).get_content().strip() == "<p>Hello <b>Lee</b></p>"


@pytest.mark.parametrize("answer", ["421 Service not available", "451 Try again later"])
def test_a_server_that_refuses_for_now_is_tried_again_and_delivers_once(app, inbox, answer):
    inbox.rcpt_answers = [answer]
    message_id = queue()
    now = utcnow()

    assert send_due(app, now)["retry"] == 1
    waiting = row(message_id)
    assert waiting.status == "pending" and answer[:3] in waiting.last_error
    # A minute from the answer (the sender's clock moves on while it talks to the server).
    assert timedelta(seconds=60) <= waiting.next_attempt_at - now <= timedelta(seconds=70)
    assert send_due(app, now + timedelta(seconds=30)) == Counter()  # not before its time
    assert inbox.received == []

    assert send_due(app, waiting.next_attempt_at)["sent"] == 1
    assert len(inbox.to("lee@example.test")) == 1
    assert row(message_id).status == "sent" and row(message_id).attempts == 2


def test_a_refused_message_is_tried_again_too(app, inbox):
    inbox.data_answers = ["451 Local error in processing"]
    message_id = queue()
    now = utcnow()
    assert send_due(app, now)["retry"] == 1
    assert send_due(app, now + timedelta(minutes=2))["sent"] == 1
    assert len(inbox.received) == 1 and row(message_id).status == "sent"


def test_a_connection_dropped_during_data_is_tried_again(app, inbox):
    inbox.data_answers = ["drop"]
    first, second = queue("lee@example.test"), queue("sam@example.test")
    now = utcnow()

    totals = send_due(app, now)
    # The first message's answer never came; the second went out on a new connection.
    assert totals == Counter({"retry": 1, "sent": 1})
    assert row(first).status == "pending" and "Disconnected" in row(first).last_error
    assert row(second).status == "sent"

    assert send_due(app, now + timedelta(minutes=2))["sent"] == 1
    assert len(inbox.to("lee@example.test")) == 1 and len(inbox.to("sam@example.test")) == 1


def test_a_server_that_cannot_be_reached_keeps_the_mail_for_later(app, inbox):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    ids = [queue(f"p{n}@example.test") for n in range(3)]
    now = utcnow()
    assert send_due(app, now) == Counter({"retry": 3})
    assert {row(i).status for i in ids} == {"pending"}
    assert "refused" in row(ids[0]).last_error.lower()


def test_a_recipient_refused_for_good_fails_and_is_shown_in_the_panel(app, inbox, factory, api):
    practitioner = factory.practitioner()
    inbox.refused["gone@example.test"] = "550 5.1.1 No such user here"
    message_id = queue("gone@example.test", clinic_id=practitioner.clinic_id)
    other = queue("sam@example.test", clinic_id=practitioner.clinic_id)

    assert send_due(app) == Counter({"failed": 1, "sent": 1})
    failed = row(message_id)
    assert failed.status == "failed" and "550" in failed.last_error and failed.attempts == 1
    assert row(other).status == "sent"
    assert send_due(app, utcnow() + timedelta(hours=2)) == Counter()  # never tried again

    [shown] = failed_mail(practitioner.clinic_id)
    assert (shown.what, shown.to_address) == ("Invitation", "gone@example.test")
    assert failed_mail(factory.clinic().id) == []  # another clinic sees nothing of it

    api.login_form(practitioner)
    page = api.get("/panel/").get_data(as_text=True)
    assert "1 email could not be sent" in page
    assert "Invitation to gone@example.test" in page and "No such user here" in page


def test_a_message_that_keeps_failing_is_given_up_after_about_a_day(app, inbox):
    inbox.rcpt_answers = ["451 Try again later"] * (MAX_ATTEMPTS + 1)
    message_id = queue()
    started = now = utcnow()
    while row(message_id).status == "pending":
        send_due(app, now)
        now = max(now, row(message_id).next_attempt_at)
    given_up = row(message_id)
    assert given_up.status == "failed" and given_up.attempts == MAX_ATTEMPTS
    assert "gave up after 30 attempts: 451" in given_up.last_error
    assert timedelta(hours=23) < now - started < timedelta(hours=25)
    assert inbox.received == []


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A certificate for 127.0.0.1 that the sender trusts (through SSL_CERT_FILE)."""
    cert, key = certificate_for_loopback(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return server_context(cert, key)


def test_starttls_and_a_login_with_a_percent_encoded_password(app, tls):
    passwords = Passwords("mailer@clinic.example", "p@ss:w/rd")
    with running_inbox(
        tls_context=tls, require_starttls=True, authenticator=passwords, auth_require_tls=True
    ) as server:
        port = server.url.rsplit(":", 1)[1]
        app.config["MAIL_URL"] = (
            f"smtp://mailer%40clinic.example:p%40ss%3Aw%2Frd@127.0.0.1:{port}?starttls=required"
        )
        queue()
        assert send_due(app)["sent"] == 1
    assert passwords.logins == ["mailer@clinic.example"] and len(server.received) == 1


def test_implicit_tls_with_smtps(app, tls):
    with running_inbox(ssl_context=tls) as server:
        app.config["MAIL_URL"] = server.url
        assert server.url.startswith("smtps://")
        queue()
        assert send_due(app)["sent"] == 1
    assert len(server.received) == 1


def test_starttls_required_but_not_offered_keeps_the_mail(app, inbox):
    app.config["MAIL_URL"] = inbox.url + "?starttls=required"
    message_id = queue()
    assert send_due(app) == Counter({"retry": 1})
    assert "STARTTLS" in row(message_id).last_error and inbox.received == []


def test_a_wrong_password_keeps_the_mail_for_when_it_is_fixed(app, tls):
    with running_inbox(tls_context=tls, authenticator=Passwords("u", "right")) as server:
        app.config["MAIL_URL"] = server.url.replace("smtp://", "smtp://u:wrong@")
        message_id = queue()
        assert send_due(app) == Counter({"retry": 1})
        assert "535" in row(message_id).last_error
        assert server.received == []


def run_together(app, *jobs: Callable[[], Counter]) -> list[Counter]:
    barrier = threading.Barrier(len(jobs))
    results: list[Counter] = [Counter() for _ in jobs]
    errors: list[BaseException] = []

    def runner(index: int, job: Callable[[], Counter]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_two_senders_at_once_deliver_each_message_once(app, inbox):
    addresses = [f"patient{n}@example.test" for n in range(40)]
    for address in addresses:
        queue(address)
    now = utcnow()

    totals = run_together(
        app,
        *[(lambda w=w: send_due(app, now, worker=w, batch=3)) for w in ("first", "second")],
    )

    assert sum(t["sent"] for t in totals) == 40
    assert sorted(m["To"] for m in inbox.received) == sorted(addresses)
    assert Counter(db.session.scalars(db.select(MailMessage.status))) == {"sent": 40}


def test_without_mail_url_nothing_is_sent_and_nothing_is_lost(app, inbox):
    message_id = queue()
    app.config["MAIL_URL"] = ""
    assert send_due(app) == Counter()
    waiting = row(message_id)
    assert waiting.status == "pending" and waiting.attempts == 0
    assert inbox.received == []
    app.config["MAIL_URL"] = inbox.url  # configured later: the waiting mail goes out
    assert send_due(app)["sent"] == 1 and len(inbox.received) == 1


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "smtp://mailer%40clinic.example:p%40ss%3Aw0rd@mail.example:587",
            MailServer("mail.example", 587, False, False, "mailer@clinic.example", "p@ss:w0rd"),
        ),
        (
            "smtp://mail.example?starttls=required",
            MailServer("mail.example", 25, False, True, None, None),
        ),
        ("smtps://u:p@mail.example", MailServer("mail.example", 465, True, False, "u", "p")),
    ],
)
def test_mail_url_is_read_with_its_user_and_password_percent_decoded(url, expected):
    assert MailServer.from_url(url) == expected


def test_the_clock_sends_the_mail_queue_each_minute(app, inbox):
    from backend.reminders import clock

    queue()
    result = clock.tick(app)
    assert result["mail_sent"] == 1 and len(inbox.received) == 1
    assert "mail_sent" not in clock.tick(app)
