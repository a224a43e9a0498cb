"""Security headers, CSRF for the JSON API, and the login session rules.

CSRF has one rule per kind of client:
- the JSON API (the patient app) needs a JSON body, the ``X-Requested-With: between``
  header and a same-origin request. A cross-site page cannot send a custom header without
  a CORS preflight, which we never grant, and SameSite=Lax keeps the cookie off
  cross-site POSTs. Nothing expires, so an entry queued offline and replayed hours later
  still goes through;
- server-rendered forms (the practitioner panel) carry a Flask-WTF token.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden

from .database import has_nul
from .extensions import csrf

API_HEADER = ("X-Requested-With", "between")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _same_origin() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def check_api_csrf() -> None:
    """Refuse a state-changing API request that a cross-site page could have forged."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get(API_HEADER[0]) != API_HEADER[1]:
        raise Forbidden(f"Missing the {API_HEADER[0]} header.")
    if not _same_origin():
        raise Forbidden("Cross-site request refused.")
    if request.content_length and not request.is_json:
        raise BadRequest("Send JSON (Content-Type: application/json).")


def refuse_nul_in_address() -> None:
    """A NUL character in the path or query string (a slug, a search) is a 400: the
    database can neither store nor compare one. Bodies are checked field by field by the
    panel's forms and the API's schemas."""
    if has_nul(request.path) or any(
        has_nul(key) or has_nul(values) for key, values in request.args.lists()
    ):
        raise BadRequest("The address contains a NUL character; remove it and try again.")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(refuse_nul_in_address)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if current_app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Health data must not sit in shared or browser HTTP caches.
        if request.path.startswith(("/api/", "/panel")) and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
