"""Which push endpoints we will ever POST to.

A subscription's endpoint is a URL the browser hands us; unchecked, it would let anyone
make our server send requests to any address (SSRF). Only https URLs on the browsers'
push services are accepted; loopback http only when ``PUSH_ALLOW_LOOPBACK`` is set
(tests and the local stand-in).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

# Exact hosts, and suffixes (starting with a dot) for services with many hosts.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Opera, Samsung Internet
    "android.googleapis.com",
    "updates.push.services.mozilla.com",  # Firefox
    ".push.services.mozilla.com",
    ".notify.windows.com",  # Edge on Windows
    "web.push.apple.com",  # Safari, iOS 16.4+ Home Screen apps
    ".push.apple.com",
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def origin_of(endpoint: str) -> str:
    """scheme://host[:port] of an endpoint: the VAPID ``aud`` and the header cache key."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _known_push_host(host: str) -> bool:
    return any(
        host.endswith(entry) if entry.startswith(".") else host == entry
        for entry in PUSH_SERVICE_HOSTS
    )


def endpoint_problem(endpoint: str, allow_loopback: bool | int) -> str | None:
    """Why ``endpoint`` is refused, or None when it is a known push service.

    ``allow_loopback``: True accepts any loopback endpoint (tests), a port number only that
    port on loopback (``serve --demo``'s own push stand-in, so the test button is no port
    scanner), False none."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "not a valid URL"
    if parts.username or parts.password:
        return "must not contain credentials"
    if (
        allow_loopback is not False
        and host in LOOPBACK_HOSTS
        and parts.scheme in ("http", "https")
        and (allow_loopback is True or parts.port == allow_loopback)
    ):
        return None
    if parts.scheme != "https":
        return "must be an https URL"
    if not _known_push_host(host):
        return "is not a known push service"
    return None


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def keys_problem(p256dh: str, auth: str) -> dict[str, str]:
    """Field errors for a subscription's keys: a P-256 public point and a 16-byte secret."""
    problems = {}
    try:
        raw = _b64url(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        if len(raw) != 65:
            raise ValueError
    except (ValueError, binascii.Error):
        problems["keys.p256dh"] = "must be an uncompressed P-256 public key, base64url"
    try:
        if len(_b64url(auth)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        problems["keys.auth"] = "must be a 16-byte secret, base64url"
    return problems
