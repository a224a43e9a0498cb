"""A real SMTP server for tests (aiosmtpd), reading back what arrived.

    with running_inbox() as inbox:
        app.config["MAIL_URL"] = inbox.url
        ...
        [mail] = inbox.to("lee@example.test")   # email.message.EmailMessage

It can be told to answer RCPT TO or DATA with an error, or to hang up during DATA.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class _Controller(Controller):
    """aiosmtpd's controller on an ephemeral port (port=0): 1.4 would connect to port 0."""

    def _trigger_server(self):
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class Inbox:
    """An SMTP server's handler: keeps what it accepted, misbehaves when told to."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_answers: list[str] = []  # next answers to RCPT TO (then 250)
        self.data_answers: list[str] = []  # next answers to DATA; "drop" hangs up instead
        self.refused: dict[str, str] = {}  # address -> a permanent answer
        self.url = ""
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            if address in self.refused:
                return self.refused[address]
            if self.rcpt_answers:
                return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            answer = self.data_answers.pop(0) if self.data_answers else "250 OK"
            if answer == "drop":
                server.transport.abort()  # the message was sent; the answer never comes
                return "250 OK"
            if answer.startswith("250"):
                parsed = email.message_from_bytes(
                    envelope.content.replace(b"\r\n", b"\n"), policy=email.policy.default
                )
                self.received.append(parsed)
                self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return answer

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@contextmanager
def running_inbox(ssl_context: ssl.SSLContext | None = None, **smtp: Any) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 (an ephemeral port) for the duration of the block.

    ``ssl_context`` makes it speak TLS from the start (smtps); ``smtp`` goes to aiosmtpd's
    ``SMTP`` (``tls_context=`` for STARTTLS, ``authenticator=``, ``require_starttls=``).
    """
    handler = Inbox()
    controller = _Controller(handler, hostname="127.0.0.1", port=0, ssl_context=ssl_context, **smtp)
    controller.start()
    scheme = "smtps" if ssl_context else "smtp"
    handler.url = f"{scheme}://127.0.0.1:{controller.port}"
    try:
        yield handler
    finally:
        controller.stop()


def certificate_for_loopback(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key: (cert.pem, key.pem).

    A client trusts it with ``SSL_CERT_FILE=cert.pem``, as it would a real authority.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Between test mail server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


class Passwords:
    """An aiosmtpd authenticator that accepts one user and password."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (login, password) == (self.user, self.password)
        if ok:
            self.logins.append(login)
        return AuthResult(success=ok, handled=False)
