"""VAPID (RFC 8292): our key pair, and the Authorization header each push service wants.

The private key comes from ``VAPID_PRIVATE_KEY`` (PEM, DER or raw, base64url) or is
generated once into the instance folder (``vapid_private.pem``, mode 0600). Changing it
invalidates every subscription, so it is never regenerated when it exists.

A signed header is valid for one push-service origin until its ``exp``: we sign once per
origin for 12 hours and reuse it, instead of one ECDSA signature per message.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from py_vapid import Vapid
from py_vapid.jwt import sign
from py_vapid.utils import b64urlencode

from .endpoints import origin_of

KEY_FILE = "vapid_private.pem"
LIFETIME = 12 * 3600  # push services refuse a JWT that expires more than 24 h ahead
REFRESH_BEFORE = 3600  # re-sign when less than this is left, so no send races the expiry


class VapidSigner:
    """Signs and caches ``Authorization: vapid t=..., k=...`` per push-service origin."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, subject: str, clock=time.time):
        self.private_key = private_key
        self.subject = subject
        self.clock = clock
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = b64urlencode(raw)
        self._headers: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self.signatures = 0  # how many JWTs were signed (the cache's effect is observable)

    def authorization(self, endpoint: str) -> str:
        """The Authorization header for ``endpoint``'s push service, signed at most every ~11 h."""
        origin = origin_of(endpoint)
        now = int(self.clock())
        with self._lock:
            cached = self._headers.get(origin)
            if cached and cached[1] - now > REFRESH_BEFORE:
                return cached[0]
            expires = now + LIFETIME
            token = sign({"aud": origin, "exp": expires, "sub": self.subject}, self.private_key)
            header = f"vapid t={token}, k={self.public_key}"
            self._headers[origin] = (header, expires)
            self.signatures += 1
            return header


def _load_from_env(value: str) -> ec.EllipticCurvePrivateKey:
    value = value.strip().replace("\\n", "\n")
    if value.startswith("-----BEGIN"):
        return _p256(serialization.load_pem_private_key(value.encode(), password=None))
    return _p256(Vapid.from_string(value).private_key)


def _p256(key: object) -> ec.EllipticCurvePrivateKey:
    """VAPID keys are P-256 (RFC 8292); any other key is a configuration mistake."""
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID private key must be an EC P-256 key")
    return key


def _load_or_create_file(path: Path) -> ec.EllipticCurvePrivateKey:
    """Read the key file, creating it atomically the first time.

    The web workers and the clock may start together: the key is written to a private
    temporary file and linked into place, so whoever loses the race reads the winner's key.
    """
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")  # created 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return _p256(serialization.load_pem_private_key(path.read_bytes(), password=None))


def signer(app: Flask) -> VapidSigner:
    """The app's VAPID signer (one per process, so the header cache is shared)."""
    existing = app.extensions.get("between_vapid")
    if existing is None:
        env_key = os.environ.get("VAPID_PRIVATE_KEY", "")
        key = (
            _load_from_env(env_key)
            if env_key.strip()
            else _load_or_create_file(Path(app.instance_path) / KEY_FILE)
        )
        existing = app.extensions["between_vapid"] = VapidSigner(key, app.config["VAPID_SUBJECT"])
    return existing
