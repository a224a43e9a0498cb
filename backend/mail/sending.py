"""Sending the mail queue through SMTP: the clock process calls ``send_due(app)`` each minute.

``MAIL_URL`` names the server: ``smtp://user:password@host:port`` upgrades to TLS with
STARTTLS when the server offers it (``?starttls=required`` refuses to go on without it),
``smtps://`` speaks TLS from the start. User and password are percent-decoded. Certificates
are checked against the system's authorities (``SSL_CERT_FILE`` names another bundle).

Exactly once, with the push outbox's discipline (``backend.claims``): a sender claims due
rows with a lease that a heartbeat renews, sends each message and records its outcome at
once. A sender killed after the server took a message but before the record repeats that
one message, with the same Message-ID, which mail clients and servers recognise.

Outcomes: accepted -> ``sent``; a 5xx refusal of the recipient or the message -> ``failed``
with the server's reason; anything temporary (a 4xx, a refused or dropped connection, a
timeout, a login or sender refused) -> tried again with a growing wait, and ``failed`` after
``MAX_ATTEMPTS`` (about 24 hours). Failed mail is shown in the panel (``failures``).
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import smtplib
import ssl
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask
from sqlalchemy import select

from .. import claims
from ..database import writing
from ..extensions import db
from ..models import MailMessage, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # renewed every 20 s while the sender lives
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 30  # 1, 2, 4 ... 32 minutes, then hourly: the 30th try is ~24 h after the first
TIMEOUT = 30  # seconds for each step of the SMTP conversation
BATCH = 20


class MailConfigError(ValueError):
    """MAIL_URL cannot be used."""


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    implicit_tls: bool
    starttls_required: bool
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> MailServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailConfigError("MAIL_URL must look like smtp://user:password@host:port")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["auto"])[-1].lower()
        if starttls not in ("auto", "required"):
            raise MailConfigError("MAIL_URL's starttls must be auto or required")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls_required=starttls == "required",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


# -- the message ---------------------------------------------------------------------------


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(row: MailMessage, mail_from: str) -> str:
    """The same for every send of one row, so a repeat after a crash is recognisable."""
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:16]
    return f"<between.{row.id}.{digest}@{_domain(mail_from)}>"


_LINK = re.compile(r"(https?://[^\s<>\"]+)")


def html_from_text(text: str) -> str:
    """Simple HTML for a plain-text body: paragraphs, line breaks and live links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = _LINK.sub(r'<a href="\1">\1</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def compose(row: MailMessage, mail_from: str) -> EmailMessage:
    """The message for one row: plain text and simple HTML."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body or html_from_text(row.text_body), subtype="html")
    return message


# -- the conversation ----------------------------------------------------------------------


class ServerProblem(Exception):
    """The server could not be reached or would not take mail from us at all."""


class Connection:
    """One SMTP session, opened on first use, reused for a batch, reopened after a problem."""

    def __init__(self, server: MailServer, helo: str, timeout: float = TIMEOUT):
        self.server, self.helo, self.timeout = server, helo, timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        server, context = self.server, ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, self.helo, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, self.helo, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not server.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif server.starttls_required:
                    raise ServerProblem("the mail server does not offer STARTTLS")
            if server.user:
                smtp.login(server.user, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except (OSError, smtplib.SMTPException) as exc:
                raise ServerProblem(_describe(exc)) from exc
        self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {_text(reply)}" for code, reply in exc.recipients.values()
        ) or str(exc)
    if isinstance(exc, ServerProblem):
        return str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def outcome_of(exc: BaseException | None) -> tuple[str, str]:
    """("sent" | "retry" | "failed", why) for how a send ended."""
    if exc is None:
        return "sent", ""
    detail = _describe(exc)[:500]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return ("failed" if codes and min(codes) >= 500 else "retry"), detail
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
        return "failed", detail  # the server refuses this message for good
    # 4xx replies, a refused sender or login, dropped connections, timeouts, TLS problems:
    # the server or our settings, which may be fixed; try again later.
    return "retry", detail


# -- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    server: MailServer
    mail_from: str
    helo: str

    @classmethod
    def of(cls, app: Flask) -> Settings:
        public_host = urlsplit(app.config.get("PUBLIC_URL", "")).hostname or ""
        helo = public_host if "." in public_host else "localhost"
        return cls(
            MailServer.from_url(app.config["MAIL_URL"]),
            app.config.get("MAIL_FROM") or "Between <no-reply@localhost>",
            helo,
        )


def send_due(
    app: Flask,
    now: datetime | None = None,
    *,
    worker: str | None = None,
    batch: int = BATCH,
    max_batches: int = 50,
) -> Counter:
    """Send the queue's due mail; returns counts of ``sent``, ``retry`` and ``failed``.

    Without ``MAIL_URL`` nothing is sent and nothing changes: the mail waits, and the panel
    shows links instead.
    """
    totals: Counter = Counter()
    if not app.config.get("MAIL_URL"):
        return totals
    settings = Settings.of(app)
    worker = worker or claims.worker_id()
    with app.app_context():
        try:
            beat = claims.Heartbeat(app, MailMessage, worker, now or utcnow(), LEASE)
            connection = Connection(settings.server, settings.helo)
            with beat:
                try:
                    for _ in range(max_batches):
                        ids = claims.claim(MailMessage, batch, worker, beat.now(), LEASE)
                        if not ids:
                            break
                        beat.hold(ids)
                        if not _send_batch(ids, settings, connection, beat, worker, totals):
                            break  # the server is unreachable: the rest waits for later
                finally:
                    connection.close()
        finally:
            db.session.remove()
    if totals:
        log.info("mail: %s", dict(totals))
    return totals


def _send_batch(
    ids: list[int],
    settings: Settings,
    connection: Connection,
    beat: claims.Heartbeat,
    worker: str,
    totals: Counter,
) -> bool:
    """Send each claimed message and record its outcome at once; False if the server is down."""
    rows = db.session.scalars(
        select(MailMessage)
        .where(MailMessage.id.in_(ids))
        .order_by(MailMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    messages = [(row.id, row.attempts, compose(row, settings.mail_from)) for row in rows]
    db.session.commit()  # no transaction (on SQLite, no lock) is held over the network
    for index, (row_id, attempts, message) in enumerate(messages):
        error: BaseException | None = None
        try:
            connection.send(message)
        except ServerProblem as exc:
            error = exc
        except (OSError, smtplib.SMTPException) as exc:
            error = exc
            if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                connection.close()  # the session is in an unknown state
        result, detail = outcome_of(error)
        _record(row_id, attempts, result, detail, worker, beat.now(), totals)
        beat.drop([row_id])
        if isinstance(error, ServerProblem):
            for later_id, later_attempts, _message in messages[index + 1 :]:
                _record(later_id, later_attempts, "retry", detail, worker, beat.now(), totals)
            beat.drop(ids)
            log.warning("mail server unavailable: %s", detail)
            return False
    return True


def _record(
    row_id: int,
    attempts: int,
    result: str,
    detail: str,
    worker: str,
    now: datetime,
    totals: Counter,
) -> None:
    if result == "retry" and attempts >= MAX_ATTEMPTS:
        result, detail = "failed", f"gave up after {attempts} attempts: {detail}"
    if result == "sent":
        values = {"status": "sent", "sent_at": now, "last_error": None}
    elif result == "retry":
        wait = claims.backoff(attempts, FIRST_BACKOFF, MAX_BACKOFF)
        values = {"status": "pending", "next_attempt_at": now + wait, "last_error": detail}
    else:
        values = {"status": "failed", "last_error": detail}
        log.warning("mail %s could not be sent: %s", row_id, detail)
    with writing():
        if claims.settle(MailMessage, row_id, worker, **values):
            totals[result] += 1
        db.session.commit()
