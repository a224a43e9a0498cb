"""Configuration from the environment, with secrets kept in the instance folder.

Everything has a safe single-machine default: SQLite in WAL mode inside the instance
folder and a SECRET_KEY generated there on first run. ``DATABASE_URL`` switches to
PostgreSQL (psycopg 3).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "test", "development"}


class ConfigError(RuntimeError):
    """The app must not start with this configuration."""


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance / 'between.sqlite3'}"
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance: Path) -> str:
    """The SECRET_KEY from the environment, else one generated once into the instance folder."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        create_once(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def create_once(path: Path, content: bytes) -> None:
    """Write ``path`` (owner-only) unless it exists, atomically: several workers starting at
    once all end up reading the same content, whoever wins the race.

    The content goes into a private temporary file first, which is then hard-linked into
    place: a link never replaces an existing file, and the file is complete once visible.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass  # another worker was first: its file is the one everybody reads
    finally:
        os.unlink(tmp)


def _loopback_push(value: str) -> bool | int:
    value = value.strip()
    if value == "1":
        return True
    port = value.removeprefix("port:")
    return int(port) if value.startswith("port:") and port.isdigit() else False


def check_secret_key(key: str | None) -> None:
    """Refuse weak keys: a guessable key lets anyone forge a session cookie."""
    if not key or len(key) < MIN_SECRET_LENGTH or key.lower() in WEAK_SECRETS:
        raise ConfigError(
            f"SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} characters "
            "in production; unset it to have one generated into the instance folder."
        )


def _mail_url() -> str:
    """``MAIL_URL``: smtp://user:pass@host:port (STARTTLS when offered, or required with
    ``?starttls=required``) or smtps://... (TLS from the start). Empty: no mail is sent."""
    url = os.environ.get("MAIL_URL", "").strip()
    if url and not url.startswith(("smtp://", "smtps://")):
        raise ConfigError("MAIL_URL must start with smtp:// or smtps://")
    return url


def _mail_from(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    if host.replace(".", "").isdigit() or "." not in host:
        host = "localhost"
    return os.environ.get("MAIL_FROM", "").strip() or f"Between <no-reply@{host}>"


def load(instance: Path) -> dict:
    """The app's configuration, read once at start-up."""
    production = os.environ.get("BETWEEN_ENV", "production") != "development"
    public_url = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    # Secure cookies whenever the app is served over https (always, in any real deployment);
    # the plain-http default is for one machine on loopback.
    https = public_url.startswith("https://")
    database_url = _database_url(instance)
    return {
        "SECRET_KEY": _secret_key(instance),
        "PRODUCTION": production,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A pooled PostgreSQL connection may have been closed by a server restart: test it
        # before use. A SQLite file has no server to lose, and the test is a statement on
        # every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        # Cookies: HttpOnly, SameSite=Lax and Secure outside plain-http development.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        # Under HTTPS the __Host- prefix: the browser keeps such a cookie only if it is
        # Secure, has no Domain and Path=/, so no sibling subdomain can plant or read one.
        "SESSION_COOKIE_NAME": f"{'__Host-' if https else ''}between_session",
        "REMEMBER_COOKIE_NAME": f"{'__Host-' if https else ''}between_remember",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        # A login lasts 30 days from the login however active (auth/service.py), so the
        # cookie set then need not be re-signed on every answer; it is set again only when
        # the session changes.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Panel form tokens live as long as the session: a token that expires after an
        # hour turns a long-open form into lost work.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PUBLIC_URL": public_url,
        "MAIL_URL": _mail_url(),
        "MAIL_FROM": _mail_from(public_url),
        # Push services may write to the subject about a problem: the clinic's own https
        # address is a valid one (RFC 8292), and Apple accepts only https or mailto.
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "").strip()
        or (public_url if https else "mailto:admin@between.invalid"),
        # Push endpoints must belong to a known push service; tests widen this to loopback.
        # "1": any loopback port; "port:8090": that one only (serve --demo's stand-in).
        "PUSH_ALLOW_LOOPBACK": _loopback_push(os.environ.get("PUSH_ALLOW_LOOPBACK", "")),
    }
