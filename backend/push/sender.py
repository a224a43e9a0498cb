"""Send encrypted pushes and say what the push service answered.

``pywebpush.webpush()`` is not used: it mutates the claims it is given, signs a JWT per
message, has no timeout and defaults to TTL 0. We use its ``WebPusher`` (RFC 8291
aes128gcm encryption) with our cached VAPID header, one shared ``requests.Session``
(kept-alive connections per push service) and a thread pool, because sending is mostly
waiting for the push service.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests
from pywebpush import WebPusher, WebPushException
from requests.adapters import HTTPAdapter

from .endpoints import origin_of
from .vapid import VapidSigner

log = logging.getLogger(__name__)

NOTIFICATION_FIELDS = ("title", "body", "url", "tag")
MAX_PAYLOAD_BYTES = 3 * 1024  # RFC 8291 allows 3993 bytes of plaintext; keep a margin
URGENCIES = ("very-low", "low", "normal", "high")
TIMEOUT = (3, 10)  # seconds to connect, seconds to wait for the answer


class PayloadTooLarge(ValueError):
    """The notification would not fit in one push record."""


def encode_notification(notification: dict) -> bytes:
    """The bytes the service worker receives: title, body, url and tag, nothing else.

    Only these four fields are ever copied, so nothing else stored with a message can
    reach a lock screen.
    """
    data = {field: str(notification[field]) for field in NOTIFICATION_FIELDS
            if notification.get(field) is not None}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"notification is {len(raw)} bytes; at most {MAX_PAYLOAD_BYTES}")
    return raw


@dataclass(frozen=True)
class Push:
    """One notification for one device."""

    endpoint: str
    p256dh: str
    auth: str
    data: bytes
    ttl: int
    urgency: str = "normal"
    topic: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What to do after one send.

    ``result`` is ``sent``; ``gone`` (404/410: delete the subscription); ``retry`` (429,
    5xx, timeouts, connection errors; ``retry_after`` seconds when the service said so);
    or ``failed`` (401/403/413 and other refusals: retrying cannot help).
    """

    result: str
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now; it may be a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def outcome_of(response: requests.Response) -> Outcome:
    status = response.status_code
    if status in (200, 201, 202):
        return Outcome("sent", status)
    if status in (404, 410):
        return Outcome("gone", status, detail="subscription expired or unsubscribed")
    if status == 429:
        return Outcome("retry", status, parse_retry_after(response.headers.get("Retry-After")),
                       "rate limited by the push service")
    if status >= 500:
        return Outcome("retry", status, parse_retry_after(response.headers.get("Retry-After")),
                       f"push service error {status}")
    detail = {401: "VAPID signature refused", 403: "VAPID key does not match the subscription",
              413: "payload too large"}.get(status, f"refused with {status}")
    return Outcome("failed", status, detail=detail)


class Sender:
    """Sends pushes concurrently; one per process, shared by every batch."""

    def __init__(self, vapid: VapidSigner, workers: int = 32, timeout=TIMEOUT):
        self.vapid = vapid
        self.timeout = timeout
        self.session = requests.Session()
        # requests re-reads proxy settings from the environment on every request (about a
        # third of its CPU per push); read them once here instead.
        self.session.trust_env = False
        self.session.proxies = {scheme: url for scheme, url in urllib.request.getproxies().items()
                                if scheme in ("http", "https")}
        # One kept-alive connection per worker thread to each push service.
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=workers, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")

    def send(self, push: Push) -> Outcome:
        headers = {"Authorization": self.vapid.authorization(push.endpoint),
                   "Urgency": push.urgency if push.urgency in URGENCIES else "normal"}
        if push.topic:
            headers["Topic"] = push.topic
        subscription = {"endpoint": push.endpoint,
                        "keys": {"p256dh": push.p256dh, "auth": push.auth}}
        try:
            response = WebPusher(subscription, requests_session=self.session).send(
                push.data, headers=headers, ttl=max(1, int(push.ttl)), timeout=self.timeout,
                content_encoding="aes128gcm")
        except requests.RequestException as exc:  # timeouts, refused or reset connections
            return Outcome("retry",
                           detail=f"{type(exc).__name__} talking to {origin_of(push.endpoint)}")
        except (WebPushException, ValueError) as exc:  # keys that cannot be used
            log.error("push to %s not possible: %s", origin_of(push.endpoint), exc)
            return Outcome("failed", detail=str(exc)[:200])
        outcome = outcome_of(response)
        if outcome.result == "failed":
            log.error("push service %s refused a push: %s (%s)", origin_of(push.endpoint),
                      outcome.detail, response.text[:200])
        return outcome

    def send_all(self, pushes: list[Push]) -> list[Outcome]:
        """Send every push at once (up to the pool size in flight); outcomes in order."""
        return list(self.pool.map(self.send, pushes))

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.session.close()
