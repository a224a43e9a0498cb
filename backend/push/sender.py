"""Send encrypted pushes and say what the push service answered.

``pywebpush.webpush()`` is not used: it mutates the claims it is given, signs a JWT per
message, has no timeout and defaults to TTL 0. We use its ``WebPusher`` (RFC 8291
aes128gcm encryption) with our cached VAPID header and its ``send_async`` over one shared
aiohttp session: sending is mostly waiting for the push service, and aiohttp waits on many
pushes at once for a third of the CPU that a requests session in a thread pool spends per
push (tests/perf/bench_push.py measures both).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import queue
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from pywebpush import WebPusher, WebPushException

from .endpoints import origin_of
from .vapid import VapidSigner

log = logging.getLogger(__name__)

NOTIFICATION_FIELDS = ("title", "body", "url", "tag")
MAX_PAYLOAD_BYTES = 3 * 1024  # RFC 8291 allows 3993 bytes of plaintext; keep a margin
URGENCIES = ("very-low", "low", "normal", "high")
GATHER = 0.002  # seconds to wait for more answers to record together
TIMEOUT = (3, 10)  # seconds to connect, seconds to wait for the answer


# Made once: json.dumps with options builds a new encoder for every message.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class PayloadTooLarge(ValueError):
    """The notification would not fit in one push record."""


def encode_notification(notification: dict) -> bytes:
    """The bytes the service worker receives: title, body, url and tag, nothing else.

    Only these four fields are ever copied, so nothing else stored with a message can
    reach a lock screen.
    """
    data = {
        field: str(notification[field])
        for field in NOTIFICATION_FIELDS
        if notification.get(field) is not None
    }
    raw = _COMPACT_JSON.encode(data).encode()
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
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def outcome_of(status: int, headers: Mapping[str, str]) -> Outcome:
    if status in (200, 201, 202):
        return Outcome("sent", status)
    if status in (404, 410):
        return Outcome("gone", status, detail="subscription expired or unsubscribed")
    if status == 429:
        return Outcome(
            "retry",
            status,
            parse_retry_after(headers.get("Retry-After")),
            "rate limited by the push service",
        )
    if status >= 500:
        return Outcome(
            "retry",
            status,
            parse_retry_after(headers.get("Retry-After")),
            f"push service error {status}",
        )
    detail = {
        401: "VAPID signature refused",
        403: "VAPID key does not match the subscription",
        413: "payload too large",
    }.get(status, f"refused with {status}")
    return Outcome("failed", status, detail=detail)


class _NoRedirects:
    """The shared session, posting without following redirects: a push service answers
    itself; a redirect would let an endpoint aim our server at another (internal) address."""

    def __init__(self, session: aiohttp.ClientSession):
        self._session = session

    def post(self, url, **kwargs):
        return self._session.post(url, allow_redirects=False, **kwargs)


def _release(places: asyncio.Semaphore, count: int) -> None:
    for _ in range(count):
        places.release()


class Sender:
    """Sends pushes concurrently; one per process, shared by every batch.

    Callers stay synchronous: the aiohttp session lives on an event loop in the sender's own
    thread, so its kept-alive connections to each push service outlast a batch.
    """

    def __init__(self, vapid: VapidSigner, workers: int = 50, timeout=TIMEOUT):
        self.vapid = vapid
        self.timeout = aiohttp.ClientTimeout(sock_connect=timeout[0], sock_read=timeout[1])
        self.workers = workers
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="push-sender", daemon=True
        )
        self._thread.start()
        self._session: aiohttp.ClientSession = self._run(self._open())

    async def _open(self) -> aiohttp.ClientSession:
        self._in_flight = asyncio.Semaphore(self.workers)
        # The proxy (if the environment names one) is read once here: aiohttp's trust_env
        # would look it and ~/.netrc up again for every push, halving the rate.
        # Push services set no cookies we need and send tiny answers: no cookie jar and no
        # decompression, two pieces of per-request work fewer.
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.workers),
            proxy=urllib.request.getproxies().get("https"),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
        )

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def send(self, push: Push) -> Outcome:
        return self._run(self._send(push))

    def send_all(self, pushes: list[Push]) -> list[Outcome]:
        """Send every push at once (up to ``workers`` in flight); outcomes in order."""

        async def every() -> list[Outcome]:
            return list(await asyncio.gather(*(self._send(push) for push in pushes)))

        return self._run(every())

    def answers(
        self, pushes: list[Push], window: int | None = None
    ) -> Iterator[list[tuple[int, Outcome]]]:
        """Send every push and yield answers as they arrive: each time, all that came in
        since the last (index into ``pushes``, outcome), for the caller to record.

        At most ``window`` pushes (default: ``workers``) are out and not yet recorded: a
        push's place is given to the next one only when the caller asks for more answers,
        having recorded these. A sender killed at any moment has thus sent at most
        ``window`` pushes that its records do not show.
        """
        arrived: queue.SimpleQueue[tuple[int, Outcome]] = queue.SimpleQueue()
        ready = threading.Event()
        places: list[asyncio.Semaphore] = []

        queued = iter(enumerate(pushes))
        size = window or self.workers

        async def one() -> None:
            # A few long-lived tasks take the pushes in turn, rather than a task per push
            # waiting for its place: a tenth of the event loop's work per push.
            for index, push in queued:
                await places[0].acquire()
                try:
                    outcome = await self._send(push)
                except Exception as exc:  # never leave the caller waiting for an answer
                    log.exception("push to %s failed unexpectedly", origin_of(push.endpoint))
                    outcome = Outcome("retry", detail=f"{type(exc).__name__} while sending")
                arrived.put((index, outcome))

        async def every() -> None:
            places.append(asyncio.Semaphore(size))
            ready.set()
            await asyncio.gather(*(one() for _ in range(min(size, len(pushes)))))

        done = asyncio.run_coroutine_threadsafe(every(), self._loop)
        finished = False
        try:
            remaining = len(pushes)
            while remaining:
                batch = [arrived.get()]
                # Gather a group to record in one transaction: all that has arrived, and
                # if that is under half the window, what arrives within GATHER seconds of
                # the first answer. The places of answers waiting here stay taken, so the
                # bound on unrecorded pushes holds.
                wanted = min(remaining, max(1, (window or self.workers) // 2))
                until = time.monotonic() + GATHER
                while True:
                    try:
                        batch.append(arrived.get_nowait())
                        continue
                    except queue.Empty:
                        pass
                    left = until - time.monotonic()
                    if len(batch) >= wanted or left <= 0:
                        break
                    try:
                        batch.append(arrived.get(timeout=left))
                    except queue.Empty:
                        break
                remaining -= len(batch)
                yield batch
                # The caller has recorded this batch: as many new pushes may go out.
                ready.wait()
                self._loop.call_soon_threadsafe(_release, places[0], len(batch))
            finished = True
        finally:
            if not finished:  # the caller could not record: send nothing more
                done.cancel()
            try:
                done.result()
            except concurrent.futures.CancelledError:
                pass

    async def _send(self, push: Push) -> Outcome:
        headers = {
            "Authorization": self.vapid.authorization(push.endpoint),
            "Urgency": push.urgency if push.urgency in URGENCIES else "normal",
        }
        if push.topic:
            headers["Topic"] = push.topic
        subscription = {
            "endpoint": push.endpoint,
            "keys": {"p256dh": push.p256dh, "auth": push.auth},
        }
        # send_async rather than posting WebPusher.encode()'s body ourselves: measured side
        # by side (4 runs of 5,000 pushes, 32 in flight), posting it ourselves saved about
        # 5 % of the CPU of encrypting and posting (0.36 against 0.38 ms per push), 3 % of a
        # whole send with its recording: under the 10 % that would be worth a second path.
        async with self._in_flight:
            try:
                response = await WebPusher(
                    subscription,
                    aiohttp_session=_NoRedirects(self._session),
                ).send_async(
                    push.data,
                    headers=headers,
                    ttl=max(1, int(push.ttl)),
                    timeout=self.timeout,
                    content_encoding="aes128gcm",
                )
            except (TimeoutError, aiohttp.ClientError) as exc:  # timeouts, resets
                return Outcome(
                    "retry", detail=f"{type(exc).__name__} talking to {origin_of(push.endpoint)}"
                )
            except (WebPushException, ValueError) as exc:  # keys that cannot be used
                log.error("push to %s not possible: %s", origin_of(push.endpoint), exc)
                return Outcome("failed", detail=str(exc)[:200])
        outcome = outcome_of(response.status, response.headers)
        if outcome.result == "failed":
            # send_async has read the body already; this only decodes what is buffered.
            log.error(
                "push service %s refused a push: %s (%s)",
                origin_of(push.endpoint),
                outcome.detail,
                (await response.text())[:200],
            )
        return outcome

    def close(self) -> None:
        self._run(self._session.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
