"""A local push service, for tests, the demo and the benchmark.

It checks what a real push service checks (the VAPID JWT: ES256 signature with the key in
the header, ``aud`` = this origin, ``exp`` in the future and at most 24 h away, ``sub`` a
mailto: or https: URL; a TTL header; aes128gcm), then plays the browser: it decrypts the
payload with the subscriber's private key and auth secret and records what the phone
would show. It can be told to answer 404, 410, 429 (with Retry-After), 500, 413 or to
be slow, per subscription.

    python -m backend.push.standin --port 8090          # then POST /subscribers
    python -m backend.push.standin --port 8090 --fast   # any /push/<token>, no decryption
    ... --fast --keep     # also keep each push's encrypted body: GET /bodies for a tally

In tests: ``with StandIn() as service: sub = service.subscriber()`` and POST to
``sub.endpoint`` with ``sub.info``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import struct
import sys
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import decode as verify_jwt

MAX_BODY = 4096
SUB_PATTERN = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Subscriber:
    """A browser's side of a subscription: its key pair and auth secret."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    @property
    def info(self) -> dict:
        """What ``PushSubscription.toJSON()`` gives the app, ready to POST to our API."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    """One push as the device got it."""

    payload: dict | bytes | None
    headers: dict
    claims: dict
    at: float = field(default_factory=time.time)  # when it arrived (seconds since the epoch)


@dataclass
class Answer:
    status: int
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class StandIn:
    """A push service on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(
        self,
        port: int = 0,
        *,
        fast: bool = False,
        verify_vapid: bool = True,
        latency: float = 0.0,
        keep: bool = False,
    ):
        self.fast = fast  # bench mode: accept any token, skip decryption
        self.keep = keep  # fast mode: keep (token, encrypted body) for a later tally
        self.kept: list[tuple[str, bytes]] = []
        self.verify_vapid = verify_vapid
        self.latency = latency  # seconds each answer waits, like a real network round trip
        self.subscribers: dict[str, Subscriber] = {}
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.refused: list[tuple[int, str]] = []  # (status, why) for requests we rejected
        self.count = 0
        self.in_flight = 0  # pushes taken in but not yet answered
        self._script: dict[str, deque[Answer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="push-standin"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------
    def subscriber(self) -> Subscriber:
        """A new browser subscription on this service."""
        token = secrets.token_urlsafe(16)
        sub = Subscriber(
            token,
            f"{self.origin}/push/{token}",
            ec.generate_private_key(ec.SECP256R1()),
            secrets.token_bytes(16),
        )
        with self._lock:
            self.subscribers[token] = sub
        return sub

    def answer(
        self,
        subscriber: Subscriber,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` pushes to ``subscriber`` with ``status``, then 201 again."""
        headers = {"Retry-After": retry_after} if retry_after else {}
        with self._lock:
            self._script[subscriber.token].extend(
                Answer(status, headers, delay) for _ in range(times)
            )

    def forget(self, subscriber: Subscriber) -> None:
        """The browser unsubscribed: pushes now get 410 Gone."""
        with self._lock:
            self.subscribers.pop(subscriber.token, None)

    def payloads(self, subscriber: Subscriber) -> list:
        """What the phone would show, oldest first."""
        with self._lock:
            return [item.payload for item in self.received[subscriber.token]]

    # -- the push service --------------------------------------------------------------
    def _check_vapid(self, authorization: str) -> tuple[dict | None, str]:
        match = re.fullmatch(r"vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_-]+)", authorization.strip())
        if not match:
            return None, "Authorization must be 'vapid t=<jwt>, k=<key>'"
        token, key = match.groups()
        try:
            header = json.loads(_unb64url(token.split(".")[0]))
            claims = verify_jwt(token, key)
        except (InvalidSignature, ValueError, IndexError):
            return None, "VAPID signature does not verify"
        now = time.time()
        if header.get("alg") != "ES256":
            return None, "JWT alg must be ES256"
        if claims.get("aud") != self.origin:
            return None, f"aud {claims.get('aud')!r} is not {self.origin}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 86400:
            return None, "exp must be in the future and at most 24 h away"
        if not SUB_PATTERN.match(str(claims.get("sub", ""))):
            return None, "sub must be a mailto: or https: URL"
        return claims, ""

    def handle(self, token: str, headers: dict, body: bytes) -> Answer:
        """Decide the answer to one push (called on the server's threads)."""
        claims: dict = {}
        if self.verify_vapid:
            checked, why = self._check_vapid(headers.get("authorization", ""))
            if checked is None:
                return self._refuse(401, why)
            claims = checked
        if not headers.get("ttl", "").isdigit():
            return self._refuse(400, "TTL header required")
        if headers.get("content-encoding") != "aes128gcm":
            return self._refuse(415, "Content-Encoding must be aes128gcm")
        if len(body) > MAX_BODY:
            return self._refuse(413, "payload larger than 4096 bytes")
        with self._lock:
            self.count += 1
            scripted = self._script[token].popleft() if self._script.get(token) else None
            sub = self.subscribers.get(token)
        if scripted is not None:
            return scripted
        if self.fast:
            if self.keep:
                with self._lock:
                    self.kept.append((token, body))
            return Answer(201, {"Location": f"/message/{self.count}"})
        if sub is None:
            return Answer(410)
        payload = http_ece.decrypt(
            body, private_key=sub.private_key, auth_secret=sub.auth_secret, version="aes128gcm"
        )
        try:
            shown = json.loads(payload)
        except ValueError:
            shown = payload
        with self._lock:
            self.received[token].append(Received(shown, headers, claims))
        return Answer(201, {"Location": f"/message/{self.count}"})

    def _refuse(self, status: int, why: str) -> Answer:
        with self._lock:
            self.refused.append((status, why))
        return Answer(status, {}, 0.0)

    def stats(self) -> dict:
        with self._lock:
            return {
                "count": self.count,
                "refused": len(self.refused),
                "received": sum(len(v) for v in self.received.values()),
            }


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # senders open dozens of connections at once
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A sender that died (or timed out) mid-push closed its end: not our error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(service: StandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real push services do

        def log_message(self, *args):  # quiet: tests and benchmarks read the records instead
            pass

        def _reply(self, status: int, headers: dict | None = None, body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/subscribers":  # the demo and the benchmark make subscribers here
                sub = service.subscriber()
                return self._reply(
                    201, {"Content-Type": "application/json"}, json.dumps(sub.info).encode()
                )
            if not self.path.startswith("/push/"):
                return self._reply(404)
            headers = {name.lower(): value for name, value in self.headers.items()}
            with service._lock:
                service.in_flight += 1
            try:
                answer = service.handle(self.path[len("/push/") :], headers, body)
                delay = answer.delay or service.latency
                if delay:
                    time.sleep(delay)
                self._reply(answer.status, answer.headers)
            finally:
                with service._lock:
                    service.in_flight -= 1

        def do_GET(self):
            if self.path == "/stats":
                return self._reply(
                    200, {"Content-Type": "application/json"}, json.dumps(service.stats()).encode()
                )
            if self.path == "/bodies":  # length-prefixed (token, body) pairs, in arrival order
                with service._lock:
                    kept = list(service.kept)
                out = bytearray()
                for token, body in kept:
                    raw = token.encode()
                    out += struct.pack("!HH", len(raw), len(body)) + raw + body
                return self._reply(200, {"Content-Type": "application/octet-stream"}, bytes(out))
            if self.path.startswith("/received/"):
                token = self.path[len("/received/") :]
                with service._lock:
                    items = [
                        r.payload
                        for r in service.received.get(token, [])
                        if not isinstance(r.payload, bytes)
                    ]
                return self._reply(
                    200, {"Content-Type": "application/json"}, json.dumps(items).encode()
                )
            return self._reply(404)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--fast", action="store_true", help="accept any token; skip decryption")
    parser.add_argument("--no-vapid", action="store_true", help="skip the VAPID checks")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--keep", action="store_true", help="fast: keep bodies for GET /bodies")
    args = parser.parse_args()
    service = StandIn(
        args.port,
        fast=args.fast,
        verify_vapid=not args.no_vapid,
        latency=args.latency,
        keep=args.keep,
    )
    print(f"push stand-in on {service.origin} (POST /subscribers for a subscription)", flush=True)
    try:
        service._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        service._server.server_close()


if __name__ == "__main__":
    main()
